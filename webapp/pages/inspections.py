"""Inspection sessions (验房批次) of a project — planned by the centre (inspections.manage), read by every
staff member (defects.view): their buildings and inspectors, their walks and defects by unit and status; and
a walk's end: the unit's defect list signed by the owner on the tablet, and printed with a QR code to the
owner's portal view of the unit's defects."""

from __future__ import annotations

import base64
import binascii
from io import BytesIO
from pathlib import Path
from typing import Any

import segno
from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from crm.estate.models import Project
from crm.handover.defect_list import DefectFilter, DefectList
from crm.handover.inspections import Inspections
from crm.handover.models import DEFECT_STATUSES, InspectionSession, UnitWalk
from crm.handover.walks import Walks
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.pages.common import actor, commit, ok
from webapp.pages.handover_labels import DEFECT_STATUS, SESSION_KIND, SEVERITY, SOURCE
from webapp.pages.handover_texts import translate_fields

bp = Blueprint("inspections", __name__)
SHOWN_DEFECTS = 500  # on a session's page; the API pages through all of them


# -- services of the area, built for the request ---------------------------------------------------------


def inspections() -> Inspections:
    return Inspections(db_session(), platform().clock)


def walks() -> Walks:
    folder = Path(current_app.config["LINTEL_INSTANCE_PATH"]) / "signatures"
    return Walks(db_session(), platform().clock, folder)


def defect_list() -> DefectList:
    return DefectList(db_session())


def portal_url(unit_id: int) -> str:
    """Where the owner follows their unit's defects (the owner portal's page of the unit)."""
    base = str(current_app.config["LINTEL_PUBLIC_URL"]).rstrip("/")
    return f"{base}/portal/units/{unit_id}/defects"


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "defect_status_name": lambda code: _(DEFECT_STATUS.get(code, code)),
        "severity_name": lambda code: _(SEVERITY.get(code, code)),
        "source_name": lambda code: _(SOURCE.get(code, code)),
        "session_kind_name": lambda code: _(SESSION_KIND.get(code, code)),
        "defect_statuses": DEFECT_STATUSES,
    }


# -- sessions ----------------------------------------------------------------------------------------------


@bp.get("/inspections")
@allow(Permission.VIEW_DEFECTS)
def index() -> Any:
    projects = platform().estate.projects()
    chosen = request.args.get("project", type=int)
    listed = inspections()
    if chosen is not None:
        sessions = listed.of_project(chosen)
    else:
        sessions = listed.current()
    return render_template("handover/inspections.html", projects=projects, chosen=chosen, sessions=sessions)


def _form_values() -> dict[str, Any]:
    return {
        "kind": request.form.get("kind", ""),
        "title": request.form.get("title", "").strip(),
        "starts_on": request.form.get("starts_on", "").strip(),
        "ends_on": request.form.get("ends_on", "").strip(),
        "building_ids": request.form.getlist("building_ids"),
        "inspectors": request.form.getlist("inspectors"),
    }


def _form(project: Project, inspection: InspectionSession | None, values: dict[str, Any], errors: Any) -> Any:
    status = 422 if errors else 200
    return (
        render_template(
            "handover/inspection_form.html",
            project=project,
            inspection=inspection,
            values=values,
            errors=errors,
            buildings=platform().estate.buildings(project),
            inspector_choices=inspections().inspector_choices(),
        ),
        status,
    )


@bp.get("/inspections/new")
@allow(Permission.MANAGE_INSPECTIONS)
def new() -> Any:
    project_id = request.args.get("project", type=int)
    if project_id is None:
        abort(404)
    project = platform().estate.project(project_id)
    today = platform().records.today().isoformat()
    values = {
        "kind": "open_day",
        "title": "",
        "starts_on": today,
        "ends_on": today,
        "building_ids": [str(b.id) for b in platform().estate.buildings(project)],
        "inspectors": [],
    }
    return _form(project, None, values, {})


@bp.post("/inspections/new")
@allow(Permission.MANAGE_INSPECTIONS)
def create() -> Any:
    project_id = request.args.get("project", type=int)
    if project_id is None:
        abort(404)
    project = platform().estate.project(project_id)
    values = _form_values()
    try:
        saved = inspections().save(actor(), {**values, "project_id": project.id})
    except InvalidData as invalid:
        db_session().rollback()
        return _form(project, None, values, translate_fields(invalid.fields))
    commit()
    ok(_("已创建验房批次「%(title)s」。", title=saved.title))
    return redirect(url_for("inspections.show", session_id=saved.id))


@bp.get("/inspections/<int:session_id>/edit")
@allow(Permission.MANAGE_INSPECTIONS)
def edit(session_id: int) -> Any:
    inspection = inspections().get(session_id)
    values = {
        "kind": inspection.kind,
        "title": inspection.title,
        "starts_on": inspection.starts_on.isoformat(),
        "ends_on": inspection.ends_on.isoformat(),
        "building_ids": [str(i) for i in inspection.building_ids],
        "inspectors": list(inspection.inspectors),
    }
    return _form(inspection.project, inspection, values, {})


@bp.post("/inspections/<int:session_id>/edit")
@allow(Permission.MANAGE_INSPECTIONS)
def update(session_id: int) -> Any:
    service = inspections()
    inspection = service.get(session_id)
    values = _form_values()
    try:
        service.save(actor(), values, inspection)
    except InvalidData as invalid:
        db_session().rollback()
        inspection = service.get(session_id)
        return _form(inspection.project, inspection, values, translate_fields(invalid.fields))
    commit()
    ok(_("已保存验房批次「%(title)s」。", title=inspection.title))
    return redirect(url_for("inspections.show", session_id=inspection.id))


@bp.get("/inspections/<int:session_id>")
@allow(Permission.VIEW_DEFECTS)
def show(session_id: int) -> Any:
    service = inspections()
    inspection = service.get(session_id)
    names = platform().staff.display_names(sorted(inspection.inspectors))
    status = request.args.get("status")
    if status not in DEFECT_STATUSES:
        status = None
    unit_id = request.args.get("unit", type=int)
    wanted = DefectFilter(session_id=inspection.id, status=status, unit_id=unit_id)
    defects, more = defect_list().page(wanted, limit=SHOWN_DEFECTS)
    return render_template(
        "handover/inspection.html",
        inspection=inspection,
        buildings=service.buildings(inspection),
        inspector_names=names,
        findings=service.findings(inspection),
        defects=defects,
        more=more is not None,
        status=status,
        unit_id=unit_id,
    )


# -- a walk's end: the list signed, printed --------------------------------------------------------------


def _walk_context(walk: UnitWalk) -> dict[str, Any]:
    service = walks()
    owner = platform().estate.owner(walk.owner_id) if walk.owner_id else None
    inspection = inspections().get(walk.session_id) if walk.session_id else None
    names = platform().staff.display_names([walk.inspector])
    return {
        "walk": walk,
        "inspection": inspection,
        "owner": owner,
        "inspector_name": names.get(walk.inspector, walk.inspector),
        "defects": service.defect_list(walk),
        "has_signature": service.signature_path(walk) is not None,
    }


@bp.get("/inspections/walks/<int:walk_id>")
@allow(Permission.VIEW_DEFECTS)
def walk_list(walk_id: int) -> Any:
    walk = walks().get(walk_id)
    url = portal_url(walk.unit_id)
    qr = segno.make(url, error="m")
    svg = BytesIO()
    qr.save(svg, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=_("业主查看整改进度"))
    return render_template(
        "handover/walk_print.html",
        **_walk_context(walk),
        portal_url=url,
        qr_svg=Markup(svg.getvalue().decode("utf-8")),
        printed_at=platform().clock.now(),
    )


@bp.get("/inspections/walks/<int:walk_id>/signature.png")
@allow(Permission.VIEW_DEFECTS)
def signature(walk_id: int) -> Any:
    walk = walks().get(walk_id)
    path = walks().signature_path(walk)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/png", max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@bp.get("/inspections/walks/<int:walk_id>/sign")
@allow(Permission.CAPTURE_DEFECTS)
def sign_form(walk_id: int) -> Any:
    walk = walks().get(walk_id)
    context = _walk_context(walk)
    signer = context["owner"].name if context["owner"] else (walk.companion or "")
    return render_template("handover/walk_sign.html", **context, values={"signed_by": signer}, errors={})


@bp.post("/inspections/walks/<int:walk_id>/sign")
@allow(Permission.CAPTURE_DEFECTS)
def sign(walk_id: int) -> Any:
    service = walks()
    walk = service.get(walk_id)
    signed_by = request.form.get("signed_by", "")
    png = _data_url_png(request.form.get("signature", ""))
    try:
        service.sign(walk, signed_by, png)
        commit()
    except InvalidData as invalid:
        db_session().rollback()
        service.discard_written()
        walk = service.get(walk_id)
        context = _walk_context(walk)
        values = {"signed_by": signed_by}
        errors = translate_fields(invalid.fields)
        return render_template("handover/walk_sign.html", **context, values=values, errors=errors), 422
    except BaseException:
        db_session().rollback()
        service.discard_written()
        raise
    ok(_("业主已签字确认缺陷清单。"))
    return redirect(url_for("inspections.walk_list", walk_id=walk_id))


def _data_url_png(text: str) -> bytes:
    """The canvas's drawing as sent by the page (`data:image/png;base64,…`); empty when it is not one."""
    prefix = "data:image/png;base64,"
    if not text.startswith(prefix):
        return b""
    try:
        return base64.b64decode(text[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return b""
