"""The owner portal's 我的消息 and 消息设置: the in-app messages of the person holding the phone this
browser verified (a request looked up with it), and how each kind of message reaches them.

A phone may be several owner records (crm.messaging.portal): their messages are one list, and a choice is
saved to each record. A verified phone that is no owner's (a tenant who called) has neither page's content:
in-app messages and choices are an owner's."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.messaging.portal import OwnerMessages
from webapp import platform
from webapp.access import public
from webapp.pages import notice_choices
from webapp.pages.common import commit, ok, problem, safe_next
from webapp.pages.messages import before_id
from webapp.pages.outbox import kind_label
from webapp.pages.portal import bp, verified_phone

PAGE = 20


def owner_messages() -> OwnerMessages:
    return platform().owner_messages


def _ask_to_verify() -> Any:
    problem(_("请先输入诉求编号和手机号查询一次，验证手机号后即可查看消息。"))
    return redirect(url_for("portal.lookup"))


@bp.get("/messages")
@public
def messages() -> Any:
    phone = verified_phone()
    if not phone:
        return _ask_to_verify()
    service = owner_messages()
    page = service.page(phone, before_id(), PAGE)
    return render_template(
        "portal/messages.html",
        page=page,
        is_owner=bool(service.owner_ids(phone)),
        kind_label=kind_label,
        older=before_id() is not None,
    )


@bp.post("/messages/<int:message_id>/open")
@public
def open_message(message_id: int) -> Any:
    phone = verified_phone()
    if not phone:
        return _ask_to_verify()
    found = owner_messages().open(phone, message_id)
    if found is None:
        problem(_("没有找到这条消息。"))
        return redirect(url_for("portal.messages"))
    commit()
    return redirect(safe_next(found.link, url_for("portal.messages")))


@bp.post("/messages/read")
@public
def read_all() -> Any:
    phone = verified_phone()
    if not phone:
        return _ask_to_verify()
    marked = owner_messages().mark_all_read(phone)
    commit()
    ok(_("已将 %(n)d 条消息标为已读。", n=marked) if marked else _("没有未读消息。"))
    return redirect(url_for("portal.messages"))


@bp.route("/settings", methods=["GET", "POST"])
@public
def settings() -> Any:
    phone = verified_phone()
    if not phone:
        return _ask_to_verify()
    service = owner_messages()
    choices = service.choices(phone)
    values: dict[str, tuple[str, ...]] = {}
    errors: dict[str, str] = {}
    if request.method == "POST" and choices:
        changed, errors = notice_choices.save(
            platform().session, choices, lambda kind, channels: service.choose(phone, kind, channels)
        )
        if not errors:
            commit()
            ok(_("已保存您的消息设置。") if changed else _("消息设置没有变化。"))
            return redirect(url_for("portal.settings"))
        values = notice_choices.posted(choices)
    page = render_template(
        "portal/settings.html",
        choices=choices,
        values=values,
        errors=errors,
        has_email=any(o.email for o in service.owners(phone)),
    )
    return page, 422 if errors else 200
