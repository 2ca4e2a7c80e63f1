"""The owner portal (no staff sign-in): look a request up by its number and the owner's phone, follow it
in plain words with the reply written for the owner, see every request of the phone so verified, add
information or chase (催办), rate the handling once it is closed. Mobile first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from crm.models import RequestIndex
from crm.portal import PublicView, normalise_number, normalise_phone
from crm.throttle import Throttled
from engine.errors import Conflict, InvalidData
from webapp import platform
from webapp.access import public
from webapp.i18n import N_, translate_fields
from webapp.pages import throttled_message
from webapp.pages.common import client_key, commit, ok, portal, problem

bp = Blueprint("portal", __name__, url_prefix="/portal")
ACCESS = timedelta(minutes=30)

# What an owner reads for each step of each request type; anything else is "being handled".
PLAIN_STEPS = {
    "complaint": {
        "triage": N_("已受理，正在安排责任部门"),
        "handle": N_("责任部门正在处理"),
        "reply": N_("等待与您确认处理结果"),  # the reply and the owner's answer: one call, one step
        "confirm": N_("等待与您确认处理结果"),
    },
    "handover": {
        "appointment": N_("等待您预约交付时间"),
        "hand_over": N_("已预约，请按时到场办理交付"),
    },
}


# What an owner reads when a request of each type was taken in; any other process: "your request".
RECEIVED = {"complaint": N_("已受理您的投诉"), "handover": N_("您的房屋已开放交付预约")}


def plain_received(kind: str) -> str:
    return _(RECEIVED.get(kind, N_("已受理您的诉求")))


def plain_step(kind: str, element_id: str | None) -> str:
    return _(PLAIN_STEPS.get(kind, {}).get(element_id or "", N_("正在处理中")))


def plain_status(view: PublicView) -> str:
    if view.request.status == "closed":
        return _("已办结")
    if view.request.status == "error":
        return _("处理中（客服中心正在跟进）")
    if view.request.status == "cancelled":
        return _("已取消")
    if view.current:
        return "；".join(plain_step(view.request.kind, element) for element in view.current)
    return _("正在处理中")


def _granted(number: str) -> bool:
    granted = session.get("portal") or {}
    expires = granted.get(number) if isinstance(granted, dict) else None
    return isinstance(expires, int | float) and platform().clock.now().timestamp() < expires


def verified_phone() -> str:
    """The phone this browser proved it holds (a request number and its phone matched), while fresh."""
    verified = session.get("portal_phone")
    if not isinstance(verified, list) or len(verified) != 2:
        return ""
    phone, expires = verified
    fresh = isinstance(expires, int | float) and platform().clock.now().timestamp() < expires
    return phone if fresh and isinstance(phone, str) else ""


def remember_phone(phone: str) -> None:
    """This browser proved it holds the phone (an owner of a unit, on the unit's defects page)."""
    session["portal_phone"] = [phone, platform().clock.now().timestamp() + ACCESS.total_seconds()]


def _grant(found: RequestIndex, phone: str) -> None:
    """This browser may read the request, and the phone it proved it holds (the owner's, a co-owner's)
    opens the list of every request that phone may follow."""
    now = platform().clock.now().timestamp()
    granted = session.get("portal") or {}
    granted = {k: v for k, v in granted.items() if isinstance(v, int | float) and v > now}
    granted[found.number] = now + ACCESS.total_seconds()
    session["portal"] = granted
    if phone:
        session["portal_phone"] = [phone, now + ACCESS.total_seconds()]


def _visible(number: str) -> RequestIndex | None:
    """The request when this browser may read it: its number was looked up, or it is registered with the
    phone the browser verified."""
    found = portal().get(number)
    if found is None:
        return None
    if _granted(number) or portal().may_see(found, verified_phone()):
        return found
    return None


@bp.context_processor
def _portal_globals() -> dict[str, Any]:
    """Every portal page names the hotline (a setting) and, once a phone is verified, links its list, its
    messages with the unread count, and its message settings."""
    phone = verified_phone()
    return {
        "hotline": str(current_app.config.get("LINTEL_HOTLINE") or ""),
        "has_list": bool(phone),
        "portal_unread": platform().owner_messages.unread_count(phone) if phone else 0,
    }


def _render(view: PublicView, errors: dict[str, str], values: dict[str, str], status: int = 200) -> Any:
    page = render_template(
        "portal/request.html",
        view=view,
        status=plain_status(view),
        plain_step=plain_step,
        plain_received=plain_received,
        errors=errors,
        values=values,
    )
    return page, status


@bp.route("", methods=["GET", "POST"])
@public
def lookup() -> Any:
    number = normalise_number(request.form.get("number", ""))[:30]
    error = None
    if request.method == "POST":
        try:
            found = portal().lookup(request.form.get("number"), request.form.get("phone"), client_key())
        except Throttled as exc:
            page = render_template("portal/lookup.html", number=number, error=throttled_message(exc))
            return page, 429, {"Retry-After": str(exc.retry_after)}
        commit()  # a failed attempt counts even though nothing else changes
        if found is not None:
            _grant(found, normalise_phone(request.form.get("phone")))
            return redirect(url_for("portal.show", number=found.number))
        error = _("没有找到与此编号和手机号对应的记录，请核对后再试。")
    return render_template("portal/lookup.html", number=number, error=error)


@bp.get("/mine")
@public
def mine() -> Any:
    phone = verified_phone()
    if not phone:
        return redirect(url_for("portal.lookup"))
    service = portal()
    requests = service.mine(phone)
    online = platform().online_visits
    return render_template(
        "portal/mine.html",
        questionnaires=online.open_for(online.owner_ids(phone)),
        requests=requests,
        statuses={r.number: plain_status(service.view(r)) for r in requests},
        phone=phone,
    )


@bp.get("/<number>")
@public
def show(number: str) -> Any:
    found = _visible(number)
    if found is None:
        return redirect(url_for("portal.lookup"))
    return _render(portal().view(found), {}, {})


@bp.post("/<number>/rating")
@public
def rate(number: str) -> Any:
    found = _visible(number)
    if found is None:
        return redirect(url_for("portal.lookup"))
    service = portal()
    try:
        service.rate(found, request.form.get("score"), request.form.get("comment"))
    except InvalidData as invalid:
        values = {"score": request.form.get("score", ""), "comment": request.form.get("comment", "")}
        return _render(service.view(found), translate_fields(invalid.fields), values, 422)
    except Conflict as conflict:
        closed = "not closed" not in str(conflict)
        problem(_("这项办理已经评价过了，谢谢您。") if closed else _("办结后才能评价。"))
        return redirect(url_for("portal.show", number=number))
    commit()
    ok(_("感谢您的评价！"))
    return redirect(url_for("portal.show", number=number))


@bp.post("/<number>/chase")
@public
def chase(number: str) -> Any:
    found = _visible(number)
    if found is None:
        return redirect(url_for("portal.lookup"))
    try:
        portal().chase(found)
    except Conflict as conflict:
        if "recently" in str(conflict):
            problem(_("您今天已经催办过了，客服中心会尽快跟进。"))
        else:
            problem(_("这项诉求已办结，无需催办。"))
        return redirect(url_for("portal.show", number=number))
    commit()
    ok(_("已催办，客服中心会尽快跟进。"))
    return redirect(url_for("portal.show", number=number))


@bp.post("/<number>/information")
@public
def add_information(number: str) -> Any:
    found = _visible(number)
    if found is None:
        return redirect(url_for("portal.lookup"))
    service = portal()
    try:
        service.add_information(found, request.form.get("text"))
    except InvalidData as invalid:
        values = {"text": request.form.get("text", "")}
        return _render(service.view(found), translate_fields(invalid.fields), values, 422)
    except Conflict:
        problem(_("这项诉求已办结，如有新的问题请拨打客户服务热线。"))
        return redirect(url_for("portal.show", number=number))
    commit()
    ok(_("已收到您补充的信息，处理人员会看到。"))
    return redirect(url_for("portal.show", number=number))


from webapp.pages import (  # noqa: E402  (their routes are this blueprint's)
    portal_bulletins,  # noqa: F401
    portal_messages,  # noqa: F401
    portal_visits,  # noqa: F401
)
