"""The owner portal's questionnaires (/portal/visits/<id>): the link in an owner's invitation opens their
questionnaire of an online return visit. A browser that has not verified a phone yet is asked for the owner's
phone (checked against the visit's owner, throttled like the portal's look-ups). Only the visit's owner may
answer; anyone else's, or a missing one, is not found (404). Answered once: a thank-you page, nothing written
twice. Past its days: 问卷已截止."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.throttle import Throttled
from crm.visits.online import AlreadyAnswered, Expired, OnlineVisits, OwnerVisit
from crm.visits.questionnaires import as_form
from engine.errors import InvalidData, NotFound
from webapp import platform
from webapp.access import public
from webapp.i18n import translate_fields
from webapp.pages import throttled_message
from webapp.pages.common import client_key, commit, ok, throttle
from webapp.pages.forms import collect, field_views
from webapp.pages.portal import bp, remember_phone, verified_phone


def online() -> OnlineVisits:
    return platform().online_visits


def _ask_phone(visit_id: int, error: str | None = None, status: int = 200) -> Any:
    return render_template("portal/visit_phone.html", visit_id=visit_id, error=error), status


def _mine(visit_id: int) -> tuple[list[int], OwnerVisit] | None:
    """The questionnaire when this browser's phone is its owner's; None: ask for the phone."""
    phone = verified_phone()
    if not phone:
        return None
    service = online()
    owner_ids = service.owner_ids(phone)
    try:
        return owner_ids, service.get(owner_ids, visit_id)
    except NotFound:
        abort(404)


def _no_choices(_name: str) -> list[tuple[str, str]]:
    return []


def _page(shown: OwnerVisit, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    form = as_form(shown.campaign.questionnaire)
    fields = field_views(form, _no_choices, values, errors, {})
    page = render_template("portal/visit.html", v=shown, fields=fields, errors=errors)
    return page, status


@bp.get("/visits/<int:visit_id>")
@public
def visit(visit_id: int) -> Any:
    found = _mine(visit_id)
    if found is None:
        return _ask_phone(visit_id)
    _owner_ids, shown = found
    if not shown.open:
        return render_template("portal/visit_closed.html", v=shown)
    return _page(shown, {}, {})


@bp.post("/visits/<int:visit_id>/verify")
@public
def verify_for_visit(visit_id: int) -> Any:
    try:
        phone = online().verify(throttle(), visit_id, request.form.get("phone"), client_key())
    except Throttled as exc:
        page, _status = _ask_phone(visit_id, throttled_message(exc))
        return page, 429, {"Retry-After": str(exc.retry_after)}
    commit()  # a miss counts even though nothing else changes
    if phone is None:
        return _ask_phone(visit_id, _("手机号与此问卷的业主登记信息不符，请核对后再试。"), 401)
    remember_phone(phone)
    return redirect(url_for("portal.visit", visit_id=visit_id))


@bp.post("/visits/<int:visit_id>")
@public
def answer(visit_id: int) -> Any:
    found = _mine(visit_id)
    if found is None:
        return redirect(url_for("portal.visit", visit_id=visit_id))
    owner_ids, shown = found
    form = as_form(shown.campaign.questionnaire)
    values = collect(form, request.form)
    try:
        online().answer(owner_ids, visit_id, values)
    except InvalidData as invalid:
        return _page(shown, values, translate_fields(invalid.fields), 422)
    except AlreadyAnswered:
        return render_template("portal/visit_closed.html", v=shown, state="answered"), 409
    except Expired:
        return render_template("portal/visit_closed.html", v=shown, state="expired"), 409
    commit()
    ok(_("问卷已提交，感谢您的评价！"))
    return redirect(url_for("portal.visit", visit_id=visit_id))
