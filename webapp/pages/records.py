"""The records (档案): projects with their phases, buildings, layouts with their floor plans, and units on a
grid floor by floor. Reading needs records.view, every form records.manage; every write goes through
crm.estate.services.Records. The unit page (records_units) and the owner's page and contractors
(records_people) are routes of the same blueprint."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from crm.attachments import UploadRefused, megabytes
from crm.estate.floor_plans import FloorPlans
from crm.estate.models import Layout, Project
from crm.estate.services import Records
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, translate, translate_fields
from webapp.pages.common import commit, ok

bp = Blueprint("records", __name__)

UNIT_STATE_NAMES = {
    "unsold": N_("未售"),
    "signed": N_("已签约"),
    "handed_over": N_("已交付"),
    "cancelled": N_("已解约"),
}
TIER_NAMES = {"regular": N_("普通"), "major": N_("重要客户"), "group": N_("集团客户")}
_LIST_SEPARATORS = re.compile(r"[、,，;；\n\r]+")


# -- shared by the records pages ---------------------------------------------------------------------


def records() -> Records:
    return platform().records


def split_list(text: str) -> list[str]:
    """`客厅、主卧，卫生间` or `客厅, 主卧` as the names typed, in order."""
    return [part.strip() for part in _LIST_SEPARATORS.split(text or "") if part.strip()]


def form_values(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in names}


def parse_date(values: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
    """A date typed as YYYY-MM-DD (what a date field sends); a problem noted in `errors`."""
    text = values.get(name, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = translate("must be a date (YYYY-MM-DD)")
        return None


def refused(errors: dict[str, str], invalid: InvalidData | None = None) -> dict[str, str]:
    """The problems to show by field: the page's own (dates it could not read) over the service's. Nothing
    the failed attempt wrote is kept."""
    db_session().rollback()
    merged = translate_fields(invalid.fields) if invalid is not None else {}
    merged.update(errors)
    return merged


def floor_plans() -> FloorPlans:
    if "floor_plans" not in g:
        config = current_app.config
        g.floor_plans = FloorPlans(
            Path(config["LINTEL_INSTANCE_PATH"]) / "floor_plans", int(config["LINTEL_UPLOAD_MAX_BYTES"])
        )
    found: FloorPlans = g.floor_plans
    return found


@bp.app_context_processor
def _record_helpers() -> dict[str, Any]:
    return {
        "unit_state_name": lambda state: _(UNIT_STATE_NAMES.get(state, state)),
        "tier_name": lambda tier: _(TIER_NAMES.get(tier, tier)),
    }


# -- projects ------------------------------------------------------------------------------------------


@bp.get("/records")
@allow(Permission.VIEW_RECORDS)
def index() -> Any:
    return render_template("records/projects.html", projects=platform().estate.projects())


def _project_form(
    project: Project | None, values: dict[str, str], errors: dict[str, str], status: int
) -> Any:
    return render_template("records/project_form.html", project=project, values=values, errors=errors), status


@bp.get("/records/projects/new")
@allow(Permission.MANAGE_RECORDS)
def new_project() -> Any:
    return _project_form(None, {}, {}, 200)


@bp.post("/records/projects/new")
@allow(Permission.MANAGE_RECORDS)
def create_project() -> Any:
    return _save_project(None)


@bp.get("/records/projects/<int:project_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def edit_project(project_id: int) -> Any:
    project = platform().estate.project(project_id)
    values = {
        "code": project.code,
        "name": project.name,
        "city": project.city or "",
        "phases": "、".join(p.name for p in project.phases),
    }
    return _project_form(project, values, {}, 200)


@bp.post("/records/projects/<int:project_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def update_project(project_id: int) -> Any:
    return _save_project(platform().estate.project(project_id))


def _save_project(project: Project | None) -> Any:
    values = form_values("code", "name", "city", "phases")
    try:
        saved = records().save_project(
            project,
            code=values["code"],
            name=values["name"],
            city=values["city"],
            phases=split_list(values["phases"]),
        )
    except InvalidData as invalid:
        return _project_form(project, values, refused({}, invalid), 422)
    commit()
    ok(_("已保存项目 %(name)s。", name=saved.name))
    return redirect(url_for("records.project", project_id=saved.id))


@bp.get("/records/projects/<int:project_id>")
@allow(Permission.VIEW_RECORDS)
def project(project_id: int) -> Any:
    estate = platform().estate
    found = estate.project(project_id)
    buildings = estate.buildings(found)
    return render_template(
        "records/project.html",
        project=found,
        buildings=buildings,
        layouts=estate.layouts(found),
        grids=[estate.grid(b) for b in buildings],
    )


# -- buildings ---------------------------------------------------------------------------------------


def _building_form(
    project: Project, building: Any, values: dict[str, str], errors: dict[str, str], status: int
) -> Any:
    return (
        render_template(
            "records/building_form.html", project=project, building=building, values=values, errors=errors
        ),
        status,
    )


@bp.get("/records/projects/<int:project_id>/buildings/new")
@allow(Permission.MANAGE_RECORDS)
def new_building(project_id: int) -> Any:
    return _building_form(platform().estate.project(project_id), None, {}, {}, 200)


@bp.post("/records/projects/<int:project_id>/buildings/new")
@allow(Permission.MANAGE_RECORDS)
def create_building(project_id: int) -> Any:
    return _save_building(platform().estate.project(project_id), None)


@bp.get("/records/buildings/<int:building_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def edit_building(building_id: int) -> Any:
    building = platform().estate.building(building_id)
    values = {"name": building.name, "phase": building.phase.name if building.phase else ""}
    return _building_form(building.project, building, values, {}, 200)


@bp.post("/records/buildings/<int:building_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def update_building(building_id: int) -> Any:
    building = platform().estate.building(building_id)
    return _save_building(building.project, building)


def _save_building(project: Project, building: Any) -> Any:
    values = form_values("name", "phase")
    try:
        saved = records().save_building(building, project=project, name=values["name"], phase=values["phase"])
    except InvalidData as invalid:
        return _building_form(project, building, values, refused({}, invalid), 422)
    commit()
    ok(_("已保存楼栋 %(name)s。", name=saved.name))
    return redirect(url_for("records.project", project_id=project.id) + f"#building-{saved.id}")


# -- layouts and their floor plans -------------------------------------------------------------------


def _layout_form(
    project: Project, layout: Layout | None, values: dict[str, str], errors: dict[str, str], status: int
) -> Any:
    max_upload = megabytes(int(current_app.config["LINTEL_UPLOAD_MAX_BYTES"]))
    return (
        render_template(
            "records/layout_form.html",
            project=project,
            layout=layout,
            values=values,
            errors=errors,
            max_upload=max_upload,
        ),
        status,
    )


@bp.get("/records/projects/<int:project_id>/layouts/new")
@allow(Permission.MANAGE_RECORDS)
def new_layout(project_id: int) -> Any:
    return _layout_form(platform().estate.project(project_id), None, {}, {}, 200)


@bp.post("/records/projects/<int:project_id>/layouts/new")
@allow(Permission.MANAGE_RECORDS)
def create_layout(project_id: int) -> Any:
    return _save_layout(platform().estate.project(project_id), None)


@bp.get("/records/layouts/<int:layout_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def edit_layout(layout_id: int) -> Any:
    layout = platform().estate.layout(layout_id)
    values = {"name": layout.name, "rooms": "、".join(layout.rooms or [])}
    return _layout_form(layout.project, layout, values, {}, 200)


@bp.post("/records/layouts/<int:layout_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def update_layout(layout_id: int) -> Any:
    layout = platform().estate.layout(layout_id)
    return _save_layout(layout.project, layout)


def _save_layout(project: Project, layout: Layout | None) -> Any:
    values = form_values("name", "rooms")
    upload = request.files.get("floor_plan")
    errors: dict[str, str] = {}
    plans = floor_plans()
    invalid: InvalidData | None = None
    try:
        saved = records().save_layout(
            layout, project=project, name=values["name"], rooms=split_list(values["rooms"])
        )
    except InvalidData as problem:
        invalid = problem
    replaced: str | None = None
    try:
        if upload is not None and upload.filename:
            try:
                stored = plans.store(upload.filename, upload.stream)
            except UploadRefused as exc:
                errors["floor_plan"] = translate(str(exc))
            else:
                if invalid is None:
                    replaced = records().set_floor_plan(saved, stored.name, stored.content_type)
        elif request.form.get("remove_floor_plan") and layout is not None and invalid is None:
            replaced = records().set_floor_plan(saved, None, None)
        if invalid is not None or errors:
            plans.discard_written()
            if upload is not None and upload.filename and "floor_plan" not in errors:
                errors["floor_plan"] = _("请重新选择户型图：表单有误时图片没有保存。")
            return _layout_form(project, layout, values, refused(errors, invalid), 422)
        commit()
    except BaseException:
        db_session().rollback()
        plans.discard_written()
        raise
    plans.remove(replaced)
    ok(_("已保存户型 %(name)s。", name=saved.name))
    return redirect(url_for("records.project", project_id=project.id) + "#layouts")


@bp.get("/records/layouts/<int:layout_id>/floor-plan")
@allow(Permission.VIEW_RECORDS)
def floor_plan(layout_id: int) -> Any:
    layout = platform().estate.layout(layout_id)
    path = floor_plans().path(layout.floor_plan or "")
    if path is None or not layout.floor_plan_type:
        abort(404)
    response = send_file(path, mimetype=layout.floor_plan_type, max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response


# -- units -------------------------------------------------------------------------------------------


def _unit_form(building: Any, unit: Any, values: dict[str, str], errors: dict[str, str], status: int) -> Any:
    layouts = platform().estate.layouts(building.project)
    return (
        render_template(
            "records/unit_form.html",
            building=building,
            unit=unit,
            layouts=layouts,
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.get("/records/buildings/<int:building_id>/units/new")
@allow(Permission.MANAGE_RECORDS)
def new_unit(building_id: int) -> Any:
    return _unit_form(platform().estate.building(building_id), None, {}, {}, 200)


@bp.post("/records/buildings/<int:building_id>/units/new")
@allow(Permission.MANAGE_RECORDS)
def create_unit(building_id: int) -> Any:
    return _save_unit(platform().estate.building(building_id), None)


@bp.get("/records/units/<int:unit_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def edit_unit(unit_id: int) -> Any:
    unit = platform().estate.unit(unit_id)
    values = {
        "number": unit.number,
        "floor": "" if unit.floor is None else str(unit.floor),
        "layout_id": "" if unit.layout_id is None else str(unit.layout_id),
        "area_m2": "" if unit.area_m2 is None else str(unit.area_m2),
    }
    return _unit_form(unit.building, unit, values, {}, 200)


@bp.post("/records/units/<int:unit_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def update_unit(unit_id: int) -> Any:
    unit = platform().estate.unit(unit_id)
    return _save_unit(unit.building, unit)


def _save_unit(building: Any, unit: Any) -> Any:
    values = form_values("number", "floor", "layout_id", "area_m2")
    errors: dict[str, str] = {}
    layout = None
    if values["layout_id"]:
        layout_id = int(values["layout_id"]) if values["layout_id"].isdigit() else 0
        layout = db_session().get(Layout, layout_id) if 0 < layout_id < 2**31 else None
        if layout is None:
            errors["layout_id"] = _("请从列表中选择户型")
    try:
        saved = records().save_unit(
            unit,
            building=building,
            number=values["number"],
            floor=values["floor"],
            layout=layout,
            area_m2=values["area_m2"],
        )
    except InvalidData as invalid:
        return _unit_form(building, unit, values, refused(errors, invalid), 422)
    if errors:
        return _unit_form(building, unit, values, refused(errors), 422)
    commit()
    ok(_("已保存房号 %(number)s。", number=saved.number))
    if unit is None and request.form.get("another"):
        return redirect(url_for("records.new_unit", building_id=building.id))
    return redirect(url_for("records.unit", unit_id=saved.id))


# The unit page and the people's pages are routes of this blueprint too.
from webapp.pages import records_people, records_units  # noqa: E402,F401
