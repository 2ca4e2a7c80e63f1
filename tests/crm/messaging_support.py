"""What the messaging tests read back: the messages queued, as a person would be shown them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.models import InAppMessage, OutboxMessage


def queued(session: Session, kind: str | None = None) -> list[OutboxMessage]:
    session.flush()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.scalars(query))


def bell(session: Session, kind: str | None = None) -> list[InAppMessage]:
    session.flush()
    query = select(InAppMessage).order_by(InAppMessage.id)
    if kind is not None:
        query = query.where(InAppMessage.kind == kind)
    return list(session.scalars(query))


def where(messages: list[OutboxMessage]) -> list[tuple[str, str, str]]:
    """(recipient, channel, address) of each message, sorted."""
    return sorted((m.recipient, m.channel, m.address) for m in messages)


def forget(session: Session) -> None:
    """Leave the messages queued so far out of what the test reads next."""
    session.flush()
    for model in (OutboxMessage, InAppMessage):
        for row in session.scalars(select(model)):
            session.delete(row)
    session.flush()
