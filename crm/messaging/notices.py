"""What every subscriber that queues notices shares: the outbox of its session, links, dates as people
read them, and the record that makes an event queue its notices once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from crm.messaging.config import MessagingConfig
from crm.messaging.models import NoticeSent
from crm.models import RequestIndex
from engine.models import ProcessInstance
from lintel.clock import SHANGHAI, Clock
from notifications.outbox import Outbox

_SEEN = "lintel.notices_sent"  # session.info: events noted in this transaction, not yet flushed


class Wiring(Protocol):
    """The process-wide parts a subscriber reads when it runs (crm.platform.Foundation)."""

    clock: Clock
    messaging: MessagingConfig


def outbox(session: Session, wiring: Wiring) -> Outbox:
    config = wiring.messaging
    return Outbox(session, wiring.clock, config.templates, config.quiet, config.batch_window)


def first_time(session: Session, clock: Clock, kind: str, about: str) -> bool:
    """Whether `kind` has not been queued for the event `about` yet; notes it as queued. A replay of the
    event — an instance retried after an incident, a subscriber run twice — is told False."""
    key = (kind, about[:200])
    seen = _pending(session)
    if key in seen or session.get(NoticeSent, key) is not None:
        return False
    seen.add(key)
    session.add(NoticeSent(kind=key[0], event=key[1], at=clock.now()))
    return True


def _pending(session: Session) -> set[tuple[str, str]]:
    """Events noted since the last flush: `session.get` finds a row only once it is flushed. Forgotten when
    a transaction or savepoint ends — flushed by its commit, or undone by its rollback."""
    seen: set[tuple[str, str]] | None = session.info.get(_SEEN)
    if seen is None:
        seen = session.info[_SEEN] = set()
        event.listen(session, "after_transaction_end", lambda s, _t: s.info.get(_SEEN, set()).clear())
    return seen


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
