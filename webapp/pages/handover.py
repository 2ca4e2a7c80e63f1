"""Readiness and handover for the centre (交付): the projects, a project's buildings with their counts, the
building board (units coloured by readiness, defects by status, category and contractor, overdue, rework),
handover slots, and one unit's handover — booking, the walk-through's new defects, meter readings, keys,
documents, the owner's signature drawn on the tablet and, with defects still open, the owner's agreement.
Every write goes through crm.handover (Handovers, HandoverSlots)."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.attachments import UploadRefused
from crm.estate.models import Ownership, Project
from crm.handover.handovers import APPOINTMENT_STEP, HANDOVER_STEP
from crm.handover.models import Handover
from crm.policy import Permission
from engine.errors import Conflict, InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, label, translate, translate_fields
from webapp.pages.common import actor, attachments, commit, ok, problem
from webapp.pages.handover_labels import DEFECT_STATUS, HANDOVER_STATUS, METER, SEVERITY

bp = Blueprint("handover", __name__)

READINESS_NAMES = {
    "ready": N_("可交付"),
    "open": N_("有未销号缺陷"),
    "overdue": N_("有逾期缺陷"),
    "handed_over": N_("已交付"),
}
STEP_FIELDS = ("water", "electricity", "gas", "keys", "agreement_note", "handover_note")
SIGNATURE_PREFIX = "data:image/png;base64,"


@bp.context_processor
def _names() -> dict[str, Any]:
    return {
        "readiness_name": lambda code: _(READINESS_NAMES.get(code, code)),
        "defect_status_name": lambda code: _(DEFECT_STATUS.get(code, code)),
        "handover_status_name": lambda code: _(HANDOVER_STATUS.get(code, code)),
        "severity_name": lambda code: _(SEVERITY.get(code, code)),
        "meter_name": lambda code: _(METER.get(code, code)),
    }


@bp.get("/handover")
@allow(Permission.VIEW_DEFECTS)
def index() -> Any:
    return render_template("handover/projects.html", projects=platform().estate.projects())


@bp.get("/handover/projects/<int:project_id>")
@allow(Permission.VIEW_DEFECTS)
def project(project_id: int) -> Any:
    p = platform()
    found = p.estate.project(project_id)
    return render_template(
        "handover/project.html", project=found, buildings=p.boards.project(found, p.clock.now())
    )


@bp.get("/handover/buildings/<int:building_id>")
@allow(Permission.VIEW_DEFECTS)
def building(building_id: int) -> Any:
    p = platform()
    found = p.estate.building(building_id)
    board = p.boards.building(found, p.clock.now())
    handovers = {h.unit_id: h for h in p.handovers.of_building(found)}
    return render_template("handover/board.html", board=board, building=found, handovers=handovers)


@bp.post("/handover/buildings/<int:building_id>/start")
@allow(Permission.MANAGE_HANDOVER)
def start_ready(building_id: int) -> Any:
    p = platform()
    started = p.handovers.start_ready(p.estate.building(building_id), actor())
    commit()
    if started:
        ok(_("已为 %(count)d 户可交付房屋发起交付。", count=len(started)))
    else:
        problem(_("没有可发起交付的房屋：已售、无未销号缺陷且尚未发起交付的房屋才会发起。"))
    return redirect(url_for("handover.building", building_id=building_id))


@bp.post("/handover/units/<int:unit_id>/start")
@allow(Permission.MANAGE_HANDOVER)
def start_unit(unit_id: int) -> Any:
    p = platform()
    unit = p.estate.unit(unit_id)
    try:
        handover = p.handovers.start(unit, actor())
    except Conflict as conflict:
        problem(translate(str(conflict)))
        return redirect(url_for("handover.building", building_id=unit.building_id))
    commit()
    ok(_("已发起 %(unit)s 的交付。", unit=unit.label))
    return redirect(url_for("handover.show", handover_id=handover.id))


# -- slots ---------------------------------------------------------------------------------------------


def _slots_page(project: Project, errors: dict[str, str], values: dict[str, str], status: int = 200) -> Any:
    p = platform()
    waiting = list(
        db_session().scalars(
            select(Handover)
            .join(Handover.unit)
            .where(Handover.status.in_(("waiting", "booked")))
            .order_by(Handover.status.desc(), Handover.appointment_at, Handover.id)
        )
    )
    waiting = [h for h in waiting if h.unit.building.project_id == project.id]
    page = render_template(
        "handover/slots.html",
        project=project,
        slots=p.handover_slots.of_project(project.id),
        handovers=waiting,
        errors=errors,
        values=values,
    )
    return page, status


@bp.get("/handover/projects/<int:project_id>/slots")
@allow(Permission.MANAGE_HANDOVER)
def slots(project_id: int) -> Any:
    return _slots_page(platform().estate.project(project_id), {}, {"capacity": "10"})


@bp.post("/handover/projects/<int:project_id>/slots")
@allow(Permission.MANAGE_HANDOVER)
def create_slot(project_id: int) -> Any:
    p = platform()
    found = p.estate.project(project_id)
    values = {k: request.form.get(k, "").strip() for k in ("day", "start", "end", "capacity")}
    try:
        p.handover_slots.create(found, values["day"], values["start"], values["end"], values["capacity"])
    except InvalidData as invalid:
        db_session().rollback()
        return _slots_page(found, translate_fields(invalid.fields), values, 422)
    commit()
    ok(_("已添加交付时段。"))
    return redirect(url_for("handover.slots", project_id=project_id))


# -- one unit's handover ---------------------------------------------------------------------------------


def _handover_page(
    handover: Handover,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    p = platform()
    unit = handover.unit
    form = p.validator.form("handover_handover")
    assert form is not None
    documents = next(f for f in form.fields if f.name == "documents")
    owners = list(
        db_session().scalars(
            select(Ownership)
            .where(Ownership.unit_id == unit.id, Ownership.ended_on.is_(None))
            .order_by(Ownership.is_contact.desc())
        )
    )
    page = render_template(
        "handover/handover.html",
        handover=handover,
        unit=unit,
        owners=owners,
        slots=p.handover_slots.of_project(unit.building.project_id),
        open_defects=p.handovers.open_defects(handover),
        appointment_step=p.handovers.open_step(handover, APPOINTMENT_STEP),
        handover_step=p.handovers.open_step(handover, HANDOVER_STEP),
        documents=[(c.value, label(c)) for c in documents.choices],
        errors=errors or {},
        values=values or {"documents": [c.value for c in documents.choices[:3]]},
        catalogue=_catalogue(),
    )
    return page, status


def _catalogue() -> list[Any]:
    from crm.handover.models import CatalogueItem

    return list(
        db_session().scalars(
            select(CatalogueItem)
            .where(CatalogueItem.active.is_(True))
            .order_by(CatalogueItem.category, CatalogueItem.position, CatalogueItem.part, CatalogueItem.item)
        )
    )


@bp.get("/handover/handovers/<int:handover_id>")
@allow(Permission.MANAGE_HANDOVER)
def show(handover_id: int) -> Any:
    return _handover_page(platform().handovers.get(handover_id))


@bp.post("/handover/handovers/<int:handover_id>/booking")
@allow(Permission.MANAGE_HANDOVER)
def book(handover_id: int) -> Any:
    p = platform()
    handover = p.handovers.get(handover_id)
    try:
        if request.form.get("cancel"):
            p.handover_slots.cancel(handover)
            message = _("已取消预约。")
        else:
            me = actor()
            p.handover_slots.book(handover, request.form.get("slot_id"), me, me.username)
            message = _("已预约交付时间。")
    except (InvalidData, Conflict) as refused:
        db_session().rollback()
        problem(_booking_problem(refused))
        return redirect(url_for("handover.show", handover_id=handover_id))
    commit()
    ok(message)
    return redirect(url_for("handover.show", handover_id=handover_id))


def _booking_problem(refused: Exception) -> str:
    text = str(refused)
    if "full" in text:
        return _("该时段已约满，请选择其他时段。")
    if isinstance(refused, InvalidData):
        field = refused.fields.get("slot_id", "")
        return _("该时段已过，请选择其他时段。") if "passed" in field else _("请选择本项目的交付时段。")
    if "no booking" in text:
        return _("尚未预约，无需取消。")
    return _("此交付已办结或已取消，不能再预约。")


@bp.post("/handover/handovers/<int:handover_id>/defects")
@allow(Permission.MANAGE_HANDOVER)
def add_defect(handover_id: int) -> Any:
    p = platform()
    handover = p.handovers.get(handover_id)
    values = {k: request.form.get(k, "").strip() for k in ("catalogue_id", "room", "description", "severity")}
    values = {k: v for k, v in values.items() if v}
    try:
        found = p.handovers.register_defect(handover, values, actor())
    except InvalidData as invalid:
        db_session().rollback()
        problem(_("缺陷未登记：%(why)s", why="；".join(translate_fields(invalid.fields).values())))
        return redirect(url_for("handover.show", handover_id=handover_id) + "#defects")
    except Conflict:
        db_session().rollback()
        problem(_("此交付已办结或已取消，不能再登记缺陷。"))
        return redirect(url_for("handover.show", handover_id=handover_id))
    commit()
    ok(_("已登记缺陷 %(number)s，进入整改流程。", number=found.number))
    return redirect(url_for("handover.show", handover_id=handover_id) + "#defects")


@bp.post("/handover/handovers/<int:handover_id>/complete")
@allow(Permission.MANAGE_HANDOVER)
def complete(handover_id: int) -> Any:
    p = platform()
    handover = p.handovers.get(handover_id)
    form = request.form
    values: dict[str, Any] = {k: form.get(k, "").strip() or None for k in STEP_FIELDS}
    values["documents"] = form.getlist("documents")
    values["agreed_open_defects"] = "\n".join(form.getlist("agreed_open_defects")) or None
    shown: dict[str, Any] = {k: form.get(k, "").strip() for k in STEP_FIELDS}
    shown.update(documents=values["documents"], agreed=form.getlist("agreed_open_defects"))
    errors: dict[str, str] = {}
    signature = form.get("signature", "")
    if not signature.startswith(SIGNATURE_PREFIX):
        errors["signature"] = _("请业主在签字框内签字。")
    elif handover.instance_id is not None:
        try:
            png = base64.b64decode(signature[len(SIGNATURE_PREFIX) :], validate=True)
            stored = attachments().store(
                handover.instance_id,
                actor().username,
                "业主签字.png",
                io.BytesIO(png),
                field="signature",
                accept=(".png",),
            )
            values["signature"] = [stored.token]
        except (binascii.Error, ValueError, UploadRefused):
            errors["signature"] = _("签字图片无法读取，请重新签字。")
    if errors:
        db_session().rollback()
        attachments().discard_written()
        return _handover_page(handover, errors, shown, 422)
    try:
        p.handovers.hand_over(handover, values, actor())
    except InvalidData as invalid:
        db_session().rollback()
        attachments().discard_written()
        fields = translate_fields(invalid.fields)
        if "agreed_open_defects" in invalid.fields:
            fields["agreed_open_defects"] = _("仍有未销号缺陷：须勾选业主同意带缺陷交付的每一项。")
        if "agreement_note" in invalid.fields:
            fields["agreement_note"] = _("请记录业主的意见。")
        return _handover_page(p.handovers.get(handover_id), fields, shown, 422)
    except Conflict as conflict:
        db_session().rollback()
        attachments().discard_written()
        problem(translate(str(conflict)))
        return redirect(url_for("handover.show", handover_id=handover_id))
    commit()
    ok(_("%(unit)s 已交付，合同交付日期已记录。", unit=handover.unit.label))
    return redirect(url_for("handover.show", handover_id=handover_id))
