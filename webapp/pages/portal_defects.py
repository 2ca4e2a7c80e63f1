"""The owner's view of their unit's defects on the portal (`/portal/units/<unit_id>/defects`, what the QR
code on the printed defect list opens): each defect with its status and photos, and the owner's answer to
one that waits for them — fixed (销号), or not fixed with a note, which sends it back to rectification.
The owner proves who they are with the phone the records hold for the unit; another unit is not found."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from crm.estate.models import Unit
from crm.handover.models import Defect
from crm.handover.owner_view import unit_owner, verify_owner
from crm.portal import normalise_phone
from crm.throttle import Throttled
from engine.errors import Conflict
from webapp import db_session, platform
from webapp.access import public
from webapp.pages import throttled_message
from webapp.pages.common import attachments, client_key, commit, ok, problem, throttle
from webapp.pages.handover_labels import DEFECT_STATUS, SEVERITY
from webapp.pages.portal import remember_phone, verified_phone

bp = Blueprint("portal_defects", __name__, url_prefix="/portal/units")
NOTE_LIMIT = 1000


def _owner(unit_id: int) -> int | None:
    """The signed-in owner of this unit; None when this browser has proved no phone yet. A phone proved
    for another unit does not open this one: 404."""
    phone = verified_phone()
    if not phone:
        return None
    found = unit_owner(db_session(), unit_id, phone)
    if found is None:
        abort(404)
    return found


def _unit_defect(unit_id: int, defect_id: int) -> Defect:
    defect = db_session().get(Defect, defect_id) if 0 < defect_id < 2**63 else None
    if defect is None or defect.unit_id != unit_id:
        abort(404)
    return defect


def _ask_phone(unit_id: int, error: str | None = None, status: int = 200) -> Any:
    return render_template("portal/unit_phone.html", unit_id=unit_id, error=error), status


@bp.get("/<int:unit_id>/defects")
@public
def index(unit_id: int) -> Any:
    if _owner(unit_id) is None:
        return _ask_phone(unit_id)
    unit = db_session().get(Unit, unit_id)
    if unit is None:
        abort(404)
    p = platform()
    rows = p.rectifications.of_unit(unit_id)
    return render_template(
        "portal/unit_defects.html",
        unit=unit,
        rows=rows,
        photos={d.id: p.rectifications.photos(d) for d in rows},
        plain=DEFECT_STATUS,
        severity_label=SEVERITY,
    )


@bp.post("/<int:unit_id>/defects/verify")
@public
def verify(unit_id: int) -> Any:
    phone = request.form.get("phone", "")
    try:
        owner = verify_owner(db_session(), throttle(), unit_id, phone, client_key())
    except Throttled as exc:
        page, _status = _ask_phone(unit_id, throttled_message(exc))
        return page, 429, {"Retry-After": str(exc.retry_after)}
    commit()  # a miss counts even though nothing else changes
    if owner is None:
        return _ask_phone(unit_id, _("手机号与此房屋的业主登记信息不符，请核对后再试。"), 401)
    remember_phone(normalise_phone(phone))
    return redirect(url_for("portal_defects.index", unit_id=unit_id))


@bp.post("/<int:unit_id>/defects/<int:defect_id>/answer")
@public
def answer(unit_id: int, defect_id: int) -> Any:
    owner = _owner(unit_id)
    if owner is None:
        return redirect(url_for("portal_defects.index", unit_id=unit_id))
    defect = _unit_defect(unit_id, defect_id)
    confirmed = request.form.get("confirmed")
    note = (request.form.get("note") or "").strip()
    back = redirect(url_for("portal_defects.index", unit_id=unit_id) + f"#d{defect.id}")
    if confirmed not in ("yes", "no"):
        problem(_("请选择整改是否合格。"))
        return back
    if confirmed == "no" and not note:
        problem(_("请说明哪里还不满意，整改单位会据此返工。"))
        return back
    if len(note) > NOTE_LIMIT:
        problem(_("说明最多 %(n)d 字。", n=NOTE_LIMIT))
        return back
    try:
        platform().rectifications.owner_answers(
            owner, defect, confirmed=confirmed == "yes", note=note or None
        )
    except Conflict:
        db_session().rollback()
        problem(_("这项缺陷现在不需要您确认（可能已由客服中心与您现场确认）。"))
        return back
    commit()
    if confirmed == "yes":
        ok(_("谢谢您的确认，%(n)s 已销号。", n=defect.number))
    else:
        ok(_("已收到您的意见，%(n)s 已退回整改。", n=defect.number))
    return back


@bp.get("/<int:unit_id>/defects/<int:defect_id>/photos/<token>")
@public
def photo(unit_id: int, defect_id: int, token: str) -> Any:
    if _owner(unit_id) is None:
        abort(404)
    defect = _unit_defect(unit_id, defect_id)
    store = attachments()
    known = store.by_tokens(defect.instance_id, [token]) if defect.instance_id and token.isalnum() else {}
    found = known.get(token)
    if found is None or not store.is_image(found):
        abort(404)
    response = send_file(store.path(found), mimetype=found.content_type, max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
