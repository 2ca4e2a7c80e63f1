"""The request index: one row per service request, kept in step with its workflow by engine events.

The inbox joins it to the engine's task rows to filter and search by number, owner, unit, project and
category, and to show who a task is about, without loading any request. Each request type registers how
its index row is described when its instance starts (`KINDS`); the rest is generic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from crm import ratings
from crm.models import Complaint, Owner, Project, RequestIndex, RequestRating
from crm.records import stage_update
from engine.errors import NotFound
from engine.events import (
    EventBus,
    InstanceCancelled,
    InstanceCompleted,
    InstanceFailed,
    InstanceRetried,
    InstanceStarted,
    TaskCompleted,
    TaskCreated,
)
from engine.models import ProcessInstance

TITLE_LENGTH = 60


@dataclass(frozen=True)
class RequestKind:
    """A type of service request: which process runs it and how its index row is described."""

    key: str
    process_key: str
    describe: Callable[[Session, ProcessInstance, Mapping[str, Any]], dict[str, Any] | None]


def _describe_complaint(
    session: Session, instance: ProcessInstance, data: Mapping[str, Any]
) -> dict[str, Any] | None:
    complaint = session.get(Complaint, data["complaint_id"]) if data.get("complaint_id") else None
    if complaint is None:
        return None
    owner, unit = complaint.owner, complaint.unit
    return {
        "record_id": complaint.id,
        "number": complaint.number,
        "title": _title(complaint.description),
        "owner_id": owner.id,
        "owner_name": owner.name,
        "owner_phone": re.sub(r"\D", "", owner.phone),  # as the portal compares it
        "unit_id": unit.id if unit else None,
        "unit_label": unit.label if unit else None,
        "project": unit.building.project.code if unit else None,
        "category": complaint.category,
    }


KINDS: dict[str, RequestKind] = {
    kind.process_key: kind for kind in (RequestKind("complaint", "complaint", _describe_complaint),)
}


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


class RequestDirectory:
    """Reading the index: one request, its rating, its relatives (who may see it: crm.policy)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, instance_id: int) -> RequestIndex:
        found = self.session.get(RequestIndex, instance_id)
        if found is None:
            raise NotFound(f"request {instance_id} does not exist")
        return found

    def by_number(self, number: str) -> RequestIndex | None:
        return self.session.scalars(select(RequestIndex).where(RequestIndex.number == number)).first()

    def owner_tier(self, request: RequestIndex) -> str | None:
        """The owner's account tier (major, group, regular): major and group owners are flagged wherever
        their requests appear."""
        if request.owner_id is None:
            return None
        return self.session.scalar(select(Owner.tier).where(Owner.id == request.owner_id))

    def rating(self, instance_id: int) -> RequestRating | None:
        """The owner's one rating of the handling, given on the portal or recorded on the phone."""
        return ratings.of(self.session, instance_id)

    def projects(self) -> list[tuple[str, str]]:
        return [(p.code, p.name) for p in self.session.scalars(select(Project).order_by(Project.name))]

    def related(self, request: RequestIndex, limit: int = 10) -> list[RequestIndex]:
        """Other requests of the same owner or about the same unit, newest first."""
        conditions = []
        if request.owner_id is not None:
            conditions.append(RequestIndex.owner_id == request.owner_id)
        if request.unit_id is not None:
            conditions.append(RequestIndex.unit_id == request.unit_id)
        if not conditions:
            return []
        return list(
            self.session.scalars(
                select(RequestIndex)
                .where(or_(*conditions), RequestIndex.instance_id != request.instance_id)
                .order_by(RequestIndex.instance_id.desc())
                .limit(limit)
            )
        )


# -- keeping the index in step with the workflows ----------------------------------------------------
# Plain INSERTs and staged UPDATEs: they run inside every transition and load nothing they do not need.


def _set(session: Session, instance: ProcessInstance, **values: Any) -> None:
    if instance.process_key in KINDS:
        stage_update(session, RequestIndex.instance_id, instance.id, **values)


def _on_started(session: Session, event: InstanceStarted) -> None:
    kind = KINDS.get(event.instance.process_key)
    if kind is None:
        return
    values = kind.describe(session, event.instance, event.data)
    if values is None:
        return
    # Written at once (not added to the session): the task events that follow update this row.
    session.execute(
        insert(RequestIndex).values(
            instance_id=event.instance.id,
            kind=kind.key,
            status="open",
            created_at=event.instance.started_at,
            **values,
        )
    )


def _on_task_created(session: Session, event: TaskCreated) -> None:
    if (getattr(event.task, "kind", None) or "task") != "task":
        return  # an escalation is about a step, not a step of its own
    _set(session, event.instance, step=event.task.name, status="open")


# The form field that holds the reply written for the owner; nothing else a step records reaches the portal.
OWNER_REPLY_FIELD = "reply"


def _on_task_completed(session: Session, event: TaskCompleted) -> None:
    values: dict[str, Any] = {}
    category = event.data.get("category")
    if isinstance(category, str) and category:
        values["category"] = category
    reply = event.data.get(OWNER_REPLY_FIELD)
    if isinstance(reply, str) and reply.strip():
        values.update(owner_reply=reply.strip(), owner_reply_at=event.task.completed_at)
    _set(session, event.instance, **values)


def _on_completed(session: Session, event: InstanceCompleted) -> None:
    _set(session, event.instance, status="closed", step=None, closed_at=event.instance.completed_at)


def _on_failed(session: Session, event: InstanceFailed) -> None:
    _set(session, event.instance, status="error")


def _on_retried(session: Session, event: InstanceRetried) -> None:
    _set(session, event.instance, status="open")


def _on_cancelled(session: Session, event: InstanceCancelled) -> None:
    _set(session, event.instance, status="cancelled", step=None)


def subscribe(events: EventBus) -> None:
    events.subscribe(InstanceStarted, _on_started)
    events.subscribe(TaskCreated, _on_task_created)
    events.subscribe(TaskCompleted, _on_task_completed)
    events.subscribe(InstanceCompleted, _on_completed)
    events.subscribe(InstanceFailed, _on_failed)
    events.subscribe(InstanceRetried, _on_retried)
    events.subscribe(InstanceCancelled, _on_cancelled)
