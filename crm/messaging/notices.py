"""What every subscriber that queues notices shares: the outbox of its session, links, dates as people
read them, and the note that makes an event queue its notices once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from crm.messaging.config import MessagingConfig
from crm.models import RequestIndex
from engine.models import ProcessInstance
from lintel.clock import SHANGHAI, Clock
from notifications.outbox import Outbox

_SEEN = "lintel.notices_queued"  # session.info: the events whose notices this transaction queued


class Wiring(Protocol):
    """The process-wide parts a subscriber reads when it runs (crm.platform.Foundation)."""

    clock: Clock
    messaging: MessagingConfig


def outbox(session: Session, wiring: Wiring) -> Outbox:
    config = wiring.messaging
    return Outbox(session, wiring.clock, config.templates, config.quiet, config.batch_window)


def first_time(session: Session, kind: str, about: str) -> bool:
    """Whether `kind` has not been queued for the event `about` in this transaction yet; notes it. The
    same event published twice in one change queues its notices once (replays across transactions are
    recognised by the subscriber from the event itself: a TaskCreated for a task already stored)."""
    seen: set[tuple[str, str]] | None = session.info.get(_SEEN)
    if seen is None:
        seen = session.info[_SEEN] = set()
        event.listen(session, "after_transaction_end", _forget)
    if (kind, about) in seen:
        return False
    seen.add((kind, about))
    return True


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the change itself ended (not a flush or a savepoint within it)
        session.info.get(_SEEN, set()).clear()


def local_time(moment: datetime | None) -> str:
    """`11月20日 18:00`, Shanghai time, as a message shows a deadline; empty without one."""
    if moment is None:
        return ""
    local = moment.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def request_facts(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    """The request's number and title as its index row shows them (the instance's own, without one)."""
    found = session.execute(
        select(RequestIndex.number, RequestIndex.title).where(RequestIndex.instance_id == instance.id)
    ).first()
    if found is None:
        return {"number": instance.business_key or str(instance.id), "title": instance.process_key}
    return {"number": found.number, "title": found.title}


def staff_link(config: MessagingConfig, number: str) -> str:
    return f"{config.public_url}/r/{number}"


def portal_link(config: MessagingConfig, number: str) -> str:
    return f"{config.public_url}/portal/{number}"
