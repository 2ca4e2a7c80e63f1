"""How many owners a notice will reach, and by which channels — counted before it is approved, from the
audience query and the owners' choices in one grouped query (a notice to 100,000 owners stays fast: the
owners are grouped by their choice for the kind and whether they have a mobile and an email, never read one
by one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import Session

from crm.estate.models import Owner
from crm.messaging.kinds import KINDS
from crm.messaging.models import OwnerNoticePreference


@dataclass
class Reach:
    owners: int = 0  # everyone the notice is for
    reached: int = 0  # who gets it on at least one channel
    opted_out: int = 0  # chose 不接收 for the kind
    unreachable: int = 0  # whose channels their details do not allow (an SMS-only owner with a landline)
    channels: dict[str, int] = field(default_factory=lambda: {"sms": 0, "email": 0, "inapp": 0})


def reach(session: Session, owners: Select[tuple[int]], kind: str) -> Reach:
    """`owners`: a query of owner ids (each once)."""
    audience = owners.subquery()
    # A mobile as the SMS channel takes it (crm.messaging.recipients.mobile: stored phones are normalised).
    has_mobile = case((and_(func.length(Owner.phone) == 11, Owner.phone.like("1%")), 1), else_=0)
    has_email = case((func.coalesce(func.trim(Owner.email), "") != "", 1), else_=0)
    each = (
        select(
            OwnerNoticePreference.channels.label("chosen"),
            has_mobile.label("mobile"),
            has_email.label("email"),
        )
        .select_from(audience)
        .join(Owner, Owner.id == audience.c.owner_id)
        .outerjoin(
            OwnerNoticePreference,
            and_(OwnerNoticePreference.owner_id == Owner.id, OwnerNoticePreference.kind == literal(kind)),
        )
        .subquery()
    )
    rows = session.execute(
        select(each.c.chosen, each.c.mobile, each.c.email, func.count()).group_by(
            each.c.chosen, each.c.mobile, each.c.email
        )
    )
    defaults = KINDS[kind].channels
    found = Reach()
    for chosen, mobile, email, number in rows:
        channels = defaults if chosen is None else tuple(c for c in chosen.split(",") if c)
        found.owners += number
        if not channels:
            found.opted_out += number
            continue
        usable = [c for c in channels if c == "inapp" or (c == "sms" and mobile) or (c == "email" and email)]
        for channel in usable:
            found.channels[channel] = found.channels.get(channel, 0) + number
        if usable:
            found.reached += number
        else:
            found.unreachable += number
    return found
