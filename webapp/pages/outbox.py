"""The administrator's view of the messages Lintel sends (消息发送): counts by state and channel, the dead
letters with their reason, the latest messages filtered, one message in full, and resending."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.messaging.kinds import KINDS
from crm.messaging.masking import shown_address
from crm.policy import Permission
from engine.errors import NotFound
from notifications.desk import NoSuchMessage, NotResendable, OutboxDesk, OutboxFilter
from notifications.models import STATUSES
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_
from webapp.pages.common import commit, ok, problem

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
PAGE = 50
CHANNELS = ("email", "sms", "wecom", "dingtalk", "console")

STATUS_NAMES = {
    "pending": N_("待发送"),
    "sending": N_("发送中"),
    "sent": N_("已发送"),
    "dead": N_("发送失败"),
}
CHANNEL_NAMES = {
    "email": N_("邮件"),
    "sms": N_("短信"),
    "wecom": N_("企业微信"),
    "dingtalk": N_("钉钉"),
    "console": N_("控制台"),
    "inapp": N_("站内消息"),
}


def status_name(status: str) -> str:
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def channel_name(channel: str) -> str:
    return _(CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


def kind_label(kind: str) -> str | None:
    """The kind's Chinese name from the catalogue; None for a kind it does not know (shown as its code)."""
    found = KINDS.get(kind)
    return _(found.label) if found is not None else None


# Links and request numbers (TS-2026-000123, often written right after a Chinese word).
MARKED = re.compile(r"https?://[^\s，。；）]+|[A-Z]{2,}-\d{4}-\d+")


def body_parts(body: str) -> list[tuple[str, bool]]:
    """The body as sent, its links and request numbers marked (addresses and codes, not words)."""
    parts: list[tuple[str, bool]] = []
    end = 0
    for found in MARKED.finditer(body):
        parts += [(body[end : found.start()], False), (found.group(), True)]
        end = found.end()
    parts.append((body[end:], False))
    return [part for part in parts if part[0]]


def _desk() -> OutboxDesk:
    return OutboxDesk(db_session(), platform().clock)


def _filter() -> OutboxFilter:
    def arg(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
        value = (request.args.get(name) or "").strip()[:200]
        return value if value and (allowed is None or value in allowed) else None

    return OutboxFilter(arg("status", STATUSES), arg("kind"), arg("channel", CHANNELS), arg("recipient"))


def _helpers() -> dict[str, Any]:
    return {
        "status_name": status_name,
        "channel_name": channel_name,
        "kind_label": kind_label,
        "shown_address": shown_address,
        "body_parts": body_parts,
    }


@bp.get("")
@allow(Permission.MANAGE_NOTICES)
def index() -> Any:
    desk = _desk()
    wanted = _filter()
    before = request.args.get("before", type=int)
    counts = desk.counts()
    channels = [c for c in CHANNELS if any(key[1] == c for key in counts)]
    channels += sorted({c for _s, c in counts} - set(channels))
    messages = desk.latest(wanted, PAGE, before)
    return render_template(
        "admin/outbox.html",
        counts=counts,
        statuses=STATUSES,
        channels=channels,
        all_channels=CHANNELS,
        totals={s: sum(n for (st, _c), n in counts.items() if st == s) for s in STATUSES},
        dead=desk.latest(OutboxFilter(status="dead"), PAGE),
        messages=messages,
        more=len(messages) == PAGE,
        wanted=wanted,
        kinds=desk.kinds(),
        **_helpers(),
    )


@bp.get("/<int:message_id>")
@allow(Permission.MANAGE_NOTICES)
def show(message_id: int) -> Any:
    try:
        message = _desk().get(message_id)
    except NoSuchMessage as missing:
        raise NotFound(str(missing)) from None
    return render_template("admin/outbox_message.html", m=message, **_helpers())


@bp.post("/<int:message_id>/resend")
@allow(Permission.MANAGE_NOTICES)
def resend(message_id: int) -> Any:
    try:
        _desk().resend(message_id)
    except NoSuchMessage as missing:
        raise NotFound(str(missing)) from None
    except NotResendable as refused:
        db_session().rollback()
        problem(
            _(
                "消息 %(id)d 当前为“%(status)s”，只有发送失败的消息可以重发。",
                id=message_id,
                status=status_name(refused.status),
            )
        )
        return redirect(url_for("outbox.show", message_id=message_id))
    commit()
    ok(_("消息 %(id)d 已重新排队，稍后发送。", id=message_id))
    return redirect(url_for("outbox.show", message_id=message_id))


@bp.post("/resend-dead")
@allow(Permission.MANAGE_NOTICES)
def resend_dead() -> Any:
    count = _desk().resend_dead()
    commit()
    if count:
        ok(_("%(count)d 条发送失败的消息已重新排队，稍后发送。", count=count))
    else:
        ok(_("没有发送失败的消息。"))
    return redirect(url_for("outbox.index"))
