"""The owner's handover appointment on the portal (交付预约): once the owner's phone is verified (a request
number and its phone matched, as for the rest of the portal), each unit the phone's owner owns now shows its
handover; the owner books one of the project's slots, moves the booking or cancels it. A unit of another
owner is answered as if it did not exist."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.estate.models import Owner, Ownership, Unit
from engine.actors import Actor
from engine.errors import Conflict, InvalidData
from webapp import db_session, platform
from webapp.access import public
from webapp.pages.common import commit, ok, problem
from webapp.pages.handover_labels import HANDOVER_STATUS
from webapp.pages.portal import _portal_globals, verified_phone

bp = Blueprint("portal_handover", __name__, url_prefix="/portal")
bp.context_processor(_portal_globals)


def _owned_units(phone: str) -> list[tuple[Owner, Unit]]:
    """The units the owners with this phone own now (co-owners included), each with its owner."""
    rows = db_session().execute(
        select(Owner, Unit)
        .join(Ownership, Ownership.owner_id == Owner.id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .where(Owner.phone == phone, Ownership.ended_on.is_(None))
        .order_by(Unit.id)
    )
    return [(owner, unit) for owner, unit in rows]


def _mine(unit_id: int) -> tuple[Owner, Unit] | None:
    phone = verified_phone()
    return next(((o, u) for o, u in _owned_units(phone) if u.id == unit_id), None) if phone else None


@bp.get("/handover")
@public
def mine() -> Any:
    phone = verified_phone()
    if not phone:
        return redirect(url_for("portal.lookup"))
    handovers = platform().handovers
    units = [(unit, handovers.current(unit.id)) for _owner, unit in _owned_units(phone)]
    return render_template(
        "portal/handovers.html", units=units, status_name=lambda code: _(HANDOVER_STATUS.get(code, code))
    )


def _page(unit: Unit, status: int = 200) -> Any:
    p = platform()
    handover = p.handovers.current(unit.id)
    slots = p.handover_slots.of_project(unit.building.project_id) if handover is not None else []
    page = render_template(
        "portal/handover.html",
        unit=unit,
        handover=handover,
        slots=slots,
        open_defects=len(p.handovers.open_defects(handover)) if handover is not None else 0,
        status_name=lambda code: _(HANDOVER_STATUS.get(code, code)),
    )
    return page, status


@bp.get("/units/<int:unit_id>/handover")
@public
def show(unit_id: int) -> Any:
    if not verified_phone():
        return redirect(url_for("portal.lookup"))
    found = _mine(unit_id)
    if found is None:
        abort(404)
    return _page(found[1])


@bp.post("/units/<int:unit_id>/handover")
@public
def book(unit_id: int) -> Any:
    if not verified_phone():
        return redirect(url_for("portal.lookup"))
    found = _mine(unit_id)
    if found is None:
        abort(404)
    owner, unit = found
    p = platform()
    handover = p.handovers.current(unit.id)
    if handover is None:
        problem(_("您的房屋尚未开放交付预约，请留意客户服务中心的通知。"))
        return redirect(url_for("portal_handover.show", unit_id=unit_id))
    who = f"owner:{owner.id}"
    try:
        if request.form.get("cancel"):
            p.handover_slots.cancel(handover)
            message = _("已取消预约。如需交付，请重新预约时段。")
        else:
            p.handover_slots.book(handover, request.form.get("slot_id"), Actor(who), who)
            message = _("预约成功！请按预约时间携带身份证件到场办理交付。")
    except (InvalidData, Conflict) as refused:
        db_session().rollback()
        text = str(refused)
        if "full" in text:
            problem(_("该时段已约满，请选择其他时段。"))
        elif isinstance(refused, InvalidData):
            problem(_("请选择一个可预约的时段。"))
        else:
            problem(_("此房屋的交付已办结，无需预约。"))
        return redirect(url_for("portal_handover.show", unit_id=unit_id))
    commit()
    ok(message)
    return redirect(url_for("portal_handover.show", unit_id=unit_id))
