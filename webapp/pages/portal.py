"""The owner portal (no staff sign-in): look a request up by its number and the owner's phone, follow it
in plain words, rate the handling once it is closed. Mobile first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from crm.portal import PublicView, normalise_number
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
        "reply": N_("处理已完成，客服正在整理答复"),
        "confirm": N_("等待与您确认处理结果"),
    }
}


def plain_step(kind: str, element_id: str | None) -> str:
    return _(PLAIN_STEPS.get(kind, {}).get(element_id or "", N_("正在处理中")))


def plain_status(view: PublicView) -> str:
    if view.request.status == "closed":
        return _("已办结")
    if view.request.status == "error":
        return _("处理中（客服中心正在跟进）")
    if view.current:
        return "；".join(plain_step(view.request.kind, element) for element in view.current)
    return _("正在处理中")


def _granted(number: str) -> bool:
    granted = session.get("portal") or {}
    expires = granted.get(number) if isinstance(granted, dict) else None
    return isinstance(expires, int | float) and platform().clock.now().timestamp() < expires


def _grant(number: str) -> None:
    now = platform().clock.now().timestamp()
    granted = session.get("portal") or {}
    granted = {k: v for k, v in granted.items() if isinstance(v, int | float) and v > now}
    granted[number] = now + ACCESS.total_seconds()
    session["portal"] = granted


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
            _grant(found.number)
            return redirect(url_for("portal.show", number=found.number))
        error = _("没有找到与此编号和手机号对应的记录，请核对后再试。")
    return render_template("portal/lookup.html", number=number, error=error)


@bp.get("/<number>")
@public
def show(number: str) -> Any:
    if not _granted(number):
        return redirect(url_for("portal.lookup"))
    service = portal()
    found = service.get(number)
    if found is None:
        return redirect(url_for("portal.lookup"))
    view = service.view(found)
    return render_template(
        "portal/request.html",
        view=view,
        status=plain_status(view),
        plain_step=plain_step,
        errors={},
        values={},
    )


@bp.post("/<number>/rating")
@public
def rate(number: str) -> Any:
    if not _granted(number):
        return redirect(url_for("portal.lookup"))
    service = portal()
    found = service.get(number)
    if found is None:
        return redirect(url_for("portal.lookup"))
    try:
        service.rate(found, request.form.get("score"), request.form.get("comment"))
    except InvalidData as invalid:
        view = service.view(found)
        values = {"score": request.form.get("score", ""), "comment": request.form.get("comment", "")}
        return (
            render_template(
                "portal/request.html",
                view=view,
                status=plain_status(view),
                plain_step=plain_step,
                errors=translate_fields(invalid.fields),
                values=values,
            ),
            422,
        )
    except Conflict as conflict:
        closed = "not closed" not in str(conflict)
        problem(_("这项办理已经评价过了，谢谢您。") if closed else _("办结后才能评价。"))
        return redirect(url_for("portal.show", number=number))
    commit()
    ok(_("感谢您的评价！"))
    return redirect(url_for("portal.show", number=number))
