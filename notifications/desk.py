"""The outbox as an administrator sees it: how many messages in each state and channel, the dead letters,
the latest messages by status, kind, channel and recipient, and resending. One service for `lintel notices`
and the administrator's page, so they list, count and refuse alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from lintel.clock import Clock
from notifications.models import STATUSES, OutboxMessage


class NoSuchMessage(LookupError):
    def __init__(self, message_id: object) -> None:
        super().__init__(f"message {message_id} does not exist")


class NotResendable(ValueError):
    """Only a dead letter is resent: a pending or sending one is on its way, a sent one went out (sent
    again it would carry the same idempotency key, and the far end would drop it as a repeat)."""

    def __init__(self, message: OutboxMessage) -> None:
        super().__init__(
            f"message {message.id} is {message.status}, not a dead letter: only dead letters are resent"
        )
        self.status = message.status


@dataclass(frozen=True)
class OutboxFilter:
    status: str | None = None
    kind: str | None = None
    channel: str | None = None
    # A recipient as queued (user:eng, owner:12, department:crc) or part of one, or part of the address.
    recipient: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.status:
            query = query.where(OutboxMessage.status == self.status)
        if self.kind:
            query = query.where(OutboxMessage.kind == self.kind)
        if self.channel:
            query = query.where(OutboxMessage.channel == self.channel)
        if self.recipient:
            pattern = "%" + _escape(self.recipient.strip()[:200]) + "%"
            query = query.where(
                OutboxMessage.recipient.like(pattern, escape="\\")
                | OutboxMessage.address.like(pattern, escape="\\")
            )
        return query

    def problems(self) -> dict[str, str]:
        """What the filter asks that no message can be (an unknown status)."""
        if self.status and self.status not in STATUSES:
            return {"status": f"unknown status {self.status!r}: one of {', '.join(STATUSES)}"}
        return {}


class OutboxDesk:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def counts(self) -> dict[tuple[str, str], int]:
        """Messages by (status, channel)."""
        rows = self.session.execute(
            select(OutboxMessage.status, OutboxMessage.channel, func.count()).group_by(
                OutboxMessage.status, OutboxMessage.channel
            )
        )
        return {(status, channel): number for status, channel, number in rows}

    def latest(
        self, wanted: OutboxFilter = OutboxFilter(), limit: int = 50, before_id: int | None = None
    ) -> list[OutboxMessage]:
        """Newest first; `before_id` pages on."""
        query = wanted.apply(select(OutboxMessage))
        if before_id is not None:
            query = query.where(OutboxMessage.id < before_id)
        return list(self.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))

    def total(self, wanted: OutboxFilter = OutboxFilter()) -> int:
        return self.session.scalar(wanted.apply(select(func.count()).select_from(OutboxMessage))) or 0

    def kinds(self) -> list[str]:
        return list(self.session.scalars(select(OutboxMessage.kind).distinct().order_by(OutboxMessage.kind)))

    def get(self, message_id: int) -> OutboxMessage:
        message = self.session.get(OutboxMessage, message_id) if 0 < message_id < 2**63 else None
        if message is None:
            raise NoSuchMessage(message_id)
        return message

    def resend(self, message_id: int) -> OutboxMessage:
        """A dead letter goes out again at once, its attempts counted afresh, with its idempotency key."""
        message = self.get(message_id)
        if message.status != "dead":
            raise NotResendable(message)
        message.status = "pending"
        message.attempts = 0
        message.not_before = self.clock.now()
        message.claimed_until = None
        message.claimed_by = None
        self.session.flush()
        return message

    def resend_dead(self) -> int:
        """Every dead letter goes out again; how many."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "dead")
            .values(
                status="pending", attempts=0, not_before=self.clock.now(), claimed_until=None, claimed_by=None
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
