"""Owners hear about their own requests: a complaint registered (its number and the portal link), the
reply written for them, its closure with an invitation to rate the handling.

By the channels each owner chose for the kind (NoticePreferences), as far as their details allow; a caller
who is not an owner (a tenant, family) hears by SMS that the complaint was registered and closed."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import complaints
from crm.messaging.notices import Wiring, first_time, outbox, portal_link
from crm.messaging.recipients import caller_addresses, owner_addresses
from crm.models import Complaint, RequestRating
from crm.ratings import of as rating_of
from crm.requests_index import OWNER_REPLY_FIELD
from engine.events import EventBus, InstanceCompleted, InstanceStarted, TaskCompleted
from engine.models import ProcessInstance

# What a caller who is not an owner is told: that we have it, and that it is done.
CALLER_KINDS = ("complaint.registered", "complaint.closed")


def _complaint_of(session: Session, instance: ProcessInstance) -> Complaint | None:
    if instance.process_key != complaints.PROCESS_KEY or not instance.business_key:
        return None
    return session.scalars(select(Complaint).where(Complaint.number == instance.business_key)).first()


def _tell(session: Session, wiring: Wiring, kind: str, complaint: Complaint, context: dict[str, Any]) -> None:
    """The owner by their channels; the caller who registered it by SMS, for the kinds a caller hears."""
    queue = outbox(session, wiring).queue
    link = portal_link(wiring.messaging, complaint.number)
    path = f"/portal/{complaint.number}"
    told = []
    owner = complaint.owner
    if owner is not None:
        told = owner_addresses(session, wiring.clock, owner, kind)
        if told:
            queue(kind, told, {**context, "name": owner.name, "link": link}, link=path)
    if kind in CALLER_KINDS:
        to = caller_addresses(complaint.caller, told)
        if to and complaint.caller is not None:
            # The portal follows a request by the phone it was registered with: the caller's only when
            # the complaint is about no owner; otherwise they ask the hotline with the number.
            follows = owner is None
            queue(kind, to, {**context, "name": complaint.caller.name, "link": link if follows else ""})


def _on_started(wiring: Wiring, session: Session, event: InstanceStarted) -> None:
    if event.instance.process_key != complaints.PROCESS_KEY:
        return
    complaint_id = event.data.get("complaint_id")
    complaint = session.get(Complaint, complaint_id) if isinstance(complaint_id, int) else None
    if complaint is None:
        return
    if first_time(session, "complaint.registered", f"instance:{event.instance.id}"):
        _tell(session, wiring, "complaint.registered", complaint, {"number": complaint.number})


def _on_task_completed(wiring: Wiring, session: Session, event: TaskCompleted) -> None:
    """A step that recorded the reply written for the owner (the reply step's `reply`) sends it."""
    reply = event.data.get(OWNER_REPLY_FIELD)
    if not isinstance(reply, str) or not reply.strip():
        return
    complaint = _complaint_of(session, event.instance)
    if complaint is None:
        return
    if first_time(session, "complaint.replied", f"task:{event.task.task_guid}"):
        context = {"number": complaint.number, "reply": reply.strip()}
        _tell(session, wiring, "complaint.replied", complaint, context)


def _rated(session: Session, instance_id: int) -> bool:
    """Rated already (the score the owner gave on the phone is recorded in this very transaction)."""
    if any(isinstance(o, RequestRating) and o.instance_id == instance_id for o in session.new):
        return True
    return rating_of(session, instance_id) is not None


def _on_completed(wiring: Wiring, session: Session, event: InstanceCompleted) -> None:
    complaint = _complaint_of(session, event.instance)
    if complaint is None:
        return
    if first_time(session, "complaint.closed", f"instance:{event.instance.id}"):
        context = {"number": complaint.number, "rated": _rated(session, event.instance.id)}
        _tell(session, wiring, "complaint.closed", complaint, context)


def subscribe(events: EventBus, wiring: Wiring) -> None:
    events.subscribe(InstanceStarted, partial(_on_started, wiring))
    events.subscribe(TaskCompleted, partial(_on_task_completed, wiring))
    events.subscribe(InstanceCompleted, partial(_on_completed, wiring))
