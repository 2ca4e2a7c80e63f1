"""In-app messages for reading: the bell's unread count, the list, marking read.

A recipient is `user:<username>` or `owner:<id>`; an owner who holds several owner records (one person
bought twice, entered twice) reads them together, so each method takes one recipient or several."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from lintel.clock import Clock
from notifications.models import InAppMessage

Recipients = str | Collection[str]


def _of(recipients: Recipients) -> ColumnElement[bool]:
    if isinstance(recipients, str):
        return InAppMessage.recipient == recipients
    return InAppMessage.recipient.in_(sorted(recipients))


@dataclass(frozen=True)
class MessagePage:
    messages: list[InAppMessage]  # newest first
    unread: int
    next_before_id: int | None  # the next, older page: `before_id` this; None: this page is the last


class InAppMessages:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def unread_count(self, recipient: Recipients) -> int:
        """One count on the (recipient, read_at) index: what the bell asks every few seconds."""
        return (
            self.session.scalar(
                select(func.count())
                .select_from(InAppMessage)
                .where(_of(recipient), InAppMessage.read_at.is_(None))
            )
            or 0
        )

    def latest(
        self, recipient: Recipients, limit: int = 50, before_id: int | None = None
    ) -> list[InAppMessage]:
        query = select(InAppMessage).where(_of(recipient))
        if before_id is not None:
            query = query.where(InAppMessage.id < before_id)
        return list(self.session.scalars(query.order_by(InAppMessage.id.desc()).limit(limit)))

    def find(self, recipient: Recipients, message_id: int) -> InAppMessage | None:
        """The recipient's message by id; someone else's is not there for them."""
        return self.session.scalars(
            select(InAppMessage).where(_of(recipient), InAppMessage.id == message_id)
        ).first()

    def mark_read(self, recipient: Recipients, message_id: int | None = None) -> int:
        """One message (by id) or all of the recipient's; returns how many were unread."""
        query = update(InAppMessage).where(_of(recipient), InAppMessage.read_at.is_(None))
        if message_id is not None:
            query = query.where(InAppMessage.id == message_id)
        return self.session.execute(query.values(read_at=self.clock.now())).rowcount  # type: ignore[attr-defined]

    def page(self, recipient: Recipients, before_id: int | None = None, limit: int = 20) -> MessagePage:
        """A page of messages, newest first, with the unread count; one row more than the page is read
        to know whether an older page follows."""
        rows = self.latest(recipient, limit + 1, before_id)
        more = len(rows) > limit
        rows = rows[:limit]
        return MessagePage(rows, self.unread_count(recipient), rows[-1].id if more else None)
