"""In-app messages for reading: the bell's unread count, the list, marking read."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lintel.clock import Clock
from notifications.models import InAppMessage


class InAppMessages:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def unread_count(self, recipient: str) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(InAppMessage)
                .where(InAppMessage.recipient == recipient, InAppMessage.read_at.is_(None))
            )
            or 0
        )

    def latest(self, recipient: str, limit: int = 50, before_id: int | None = None) -> list[InAppMessage]:
        query = select(InAppMessage).where(InAppMessage.recipient == recipient)
        if before_id is not None:
            query = query.where(InAppMessage.id < before_id)
        return list(self.session.scalars(query.order_by(InAppMessage.id.desc()).limit(limit)))

    def mark_read(self, recipient: str, message_id: int | None = None) -> int:
        """One message (by id) or all of the recipient's; returns how many were unread."""
        query = update(InAppMessage).where(
            InAppMessage.recipient == recipient, InAppMessage.read_at.is_(None)
        )
        if message_id is not None:
            query = query.where(InAppMessage.id == message_id)
        return self.session.execute(query.values(read_at=self.clock.now())).rowcount  # type: ignore[attr-defined]
