"""The centre's side of a notice before approval: saving the draft, seeing exactly what an owner receives
on each channel, and how many owners it will reach."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.bulletins.bulletins import recipients_of
from crm.bulletins.drafting import SMS_MAX
from crm.bulletins.models import Bulletin
from crm.bulletins.reach import Reach, reach
from crm.bulletins.sending import kind_of, message_context
from crm.estate.models import Owner
from crm.messaging.config import MessagingConfig
from crm.messaging.kinds import OWNER_CHANNELS
from engine.errors import Conflict, InvalidData
from lintel.clock import Clock
from notifications.templates import TemplateMissing

TITLE_MAX = 200
BODY_MAX = 10_000
SAMPLE_NAME = "张伟"  # the preview's owner when the notice has nobody to go to yet
SMS_SEGMENT = 70  # characters of one SMS; a longer one goes as several of 67


@dataclass(frozen=True)
class ChannelPreview:
    channel: str
    subject: str
    body: str
    problem: str | None = None

    @property
    def segments(self) -> int:
        """SMS: how many messages the text takes on the phone."""
        length = len(self.body)
        return 1 if length <= SMS_SEGMENT else -(-length // (SMS_SEGMENT - 3))


@dataclass(frozen=True)
class Preview:
    name: str  # whose message is shown
    sample: bool  # True: a sample name, the notice has no owner yet
    channels: list[ChannelPreview]


def save_draft(session: Session, clock: Clock, bulletin: Bulletin, data: Mapping[str, Any]) -> None:
    """Store the title, text and SMS text while the notice is drafted. Raises InvalidData (field by field,
    nothing stored) or Conflict when the notice is no longer a draft. A draft may be saved unfinished; it
    needs its text and SMS text to go to approval (`bulletins.draft_problems`)."""
    if bulletin.status != "drafting":
        raise Conflict("the notice can be edited only while it is drafted")
    allowed = {"title", "body", "sms_text"}
    problems = {str(k): "unknown field" for k in data if k not in allowed}
    values: dict[str, str] = {}
    for name in allowed:
        value = data.get(name, getattr(bulletin, name))
        if not isinstance(value, str):
            problems[name] = "must be text"
            continue
        values[name] = value.replace("\r\n", "\n").strip()
    title, body, sms = values.get("title", ""), values.get("body", ""), values.get("sms_text", "")
    if "title" not in problems:
        if not title:
            problems["title"] = "required"
        elif len(title) > TITLE_MAX:
            problems["title"] = f"must be at most {TITLE_MAX} characters"
    if "body" not in problems and len(body) > BODY_MAX:
        problems["body"] = f"must be at most {BODY_MAX} characters"
    if "sms_text" not in problems and len(sms) > SMS_MAX:
        problems["sms_text"] = f"the SMS text must be at most {SMS_MAX} characters"
    if problems:
        raise InvalidData("the draft has errors", problems)
    bulletin.title, bulletin.body, bulletin.sms_text = title, body, sms
    bulletin.updated_at = clock.now()
    session.flush()


def first_owner(session: Session, bulletin: Bulletin) -> Owner | None:
    owners = recipients_of(bulletin).subquery()
    return session.scalars(
        select(Owner).where(Owner.id.in_(select(owners.c.owner_id))).order_by(Owner.id).limit(1)
    ).first()


def preview(session: Session, config: MessagingConfig, bulletin: Bulletin) -> Preview:
    """The notice on every owner channel, rendered with the real templates for the first owner it goes
    to (a sample name while it goes to nobody)."""
    owner = first_owner(session, bulletin)
    name = owner.name if owner is not None else SAMPLE_NAME
    context = message_context(bulletin, config.public_url, name)
    kind = kind_of(bulletin)
    shown = []
    for channel in OWNER_CHANNELS:
        try:
            rendered = config.templates.render(kind, channel, {**context, "items": [None]})
        except (TemplateMissing, TemplateError) as exc:
            shown.append(ChannelPreview(channel, "", "", str(exc)))
            continue
        shown.append(ChannelPreview(channel, rendered.subject, rendered.body))
    return Preview(name, owner is None, shown)


def reach_of(session: Session, bulletin: Bulletin) -> Reach:
    """How many owners the notice will reach and by which channels, were it approved now."""
    return reach(session, recipients_of(bulletin), kind_of(bulletin))
