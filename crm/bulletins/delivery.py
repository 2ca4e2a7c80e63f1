"""How a notice's messages fared: per channel how many went out, were delivered, are on their way, failed;
how many owners opened it on the portal; the failures with their reason; sending the failed ones again.

Counted from the outbox by the notice's `ref` (one grouped query on its index); in-app messages are written
with the sending itself, so they are delivered as soon as they are queued (counted from the queued recipients
and their choices)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.bulletins.reach import reach
from crm.bulletins.sending import kind_of, ref_of
from lintel.clock import Clock
from notifications.models import OutboxMessage

CHANNELS = ("sms", "email", "inapp")
FAILURES_SHOWN = 50


@dataclass
class ChannelCounts:
    total: int = 0  # 已发出: queued on this channel
    delivered: int = 0  # 已送达: the channel took it
    pending: int = 0  # 发送中: waiting or being sent (retries included)
    failed: int = 0  # 失败: dead letters


@dataclass
class Delivery:
    recipients: int
    queued: int  # recipients whose messages are queued
    opened: int  # recipients who opened it on the portal
    acknowledged: int
    channels: dict[str, ChannelCounts] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return 100 if not self.recipients else min(100, self.queued * 100 // self.recipients)

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.channels.values())


def delivery(session: Session, bulletin: Bulletin) -> Delivery:
    opened, acknowledged = session.execute(
        select(func.count(BulletinRecipient.opened_at), func.count(BulletinRecipient.acknowledged_at)).where(
            BulletinRecipient.bulletin_id == bulletin.id
        )
    ).one()
    found = Delivery(bulletin.recipients_total, bulletin.recipients_queued, opened or 0, acknowledged or 0)
    found.channels = {channel: ChannelCounts() for channel in CHANNELS}
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.ref == ref_of(bulletin.id))
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    )
    for channel, status, number in rows:
        counts = found.channels.setdefault(channel, ChannelCounts())
        counts.total += number
        if status == "sent":
            counts.delivered += number
        elif status == "dead":
            counts.failed += number
        else:
            counts.pending += number
    if bulletin.recipients_queued:
        # In-app messages are written with the sending: one to every queued owner who reads them there.
        queued = select(BulletinRecipient.owner_id).where(
            BulletinRecipient.bulletin_id == bulletin.id, BulletinRecipient.queued_at.is_not(None)
        )
        inapp = reach(session, queued, kind_of(bulletin)).channels.get("inapp", 0)
        found.channels["inapp"] = ChannelCounts(total=inapp, delivered=inapp)
    return found


def failures(session: Session, bulletin: Bulletin, limit: int = FAILURES_SHOWN) -> list[OutboxMessage]:
    """The notice's dead letters, latest first."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ref == ref_of(bulletin.id), OutboxMessage.status == "dead")
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def resend_failed(session: Session, clock: Clock, bulletin: Bulletin) -> int:
    """Every dead letter of the notice goes out again at once, its attempts counted afresh and its
    idempotency key kept (as `Outbox.resend` does one); how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ref == ref_of(bulletin.id), OutboxMessage.status == "dead")
        .values(status="pending", attempts=0, not_before=clock.now(), claimed_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
