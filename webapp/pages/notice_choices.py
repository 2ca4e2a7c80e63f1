"""The form of an owner's notice choices (通知方式 / 消息设置), shared by the owner's page (客户360), where a
coordinator changes them at the owner's request, and the owner portal: per owner kind of message the
channels it comes by, and 不接收 for the kinds an owner may turn off."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from crm.messaging.kinds import OWNER_CHANNELS
from crm.messaging.preferences import Choice
from engine.errors import InvalidData
from webapp.i18n import translate
from webapp.pages.outbox import channel_name

OFF = "off"  # the 不接收 box of an optional kind


def field(kind: str) -> str:
    """The form field of a kind's channels (and `<field>.off` its 不接收 box)."""
    return "channels." + kind


def wanted(choices: list[Choice], form: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The channels the form asks for, per kind whose channels it changes. A kind left as it was keeps its
    record: on the defaults (a later change of the defaults still reaches the owner), or chosen by whom
    it was chosen."""
    changes = {}
    for choice in choices:
        code = choice.kind.code
        asked = tuple(c for c in OWNER_CHANNELS if c in form.getlist(field(code)))  # type: ignore[attr-defined]
        if choice.kind.optional and form.get(field(code) + "." + OFF):
            asked = ()
        if set(asked) != set(choice.channels):
            changes[code] = asked
    return changes


def save(
    session: Session, choices: list[Choice], choose: Callable[[str, tuple[str, ...]], object]
) -> tuple[int, dict[str, str]]:
    """Save every change the posted form asks for, or none: (how many kinds changed, errors by kind)."""
    changes = wanted(choices, request.form)
    errors: dict[str, str] = {}
    savepoint = session.begin_nested()
    for code, channels in changes.items():
        try:
            choose(code, channels)
        except InvalidData as invalid:
            if str(invalid) == "a service notice needs a channel":
                errors[code] = _("这是服务通知，至少需要保留一种接收方式。")
            else:
                errors[code] = "；".join(translate(m) for m in invalid.fields.values()) or translate(
                    str(invalid)
                )
    if errors:
        savepoint.rollback()
        return 0, errors
    savepoint.commit()
    return len(changes), {}


def posted(choices: list[Choice]) -> dict[str, tuple[str, ...]]:
    """What the form showed when it was refused: the reader's ticks, not the stored choice."""
    asked = wanted(choices, request.form)
    return {c.kind.code: asked.get(c.kind.code, c.channels) for c in choices}


def template_helpers() -> dict[str, Any]:
    return {"owner_channels": OWNER_CHANNELS, "channel_name": channel_name, "choice_field": field, "OFF": OFF}
