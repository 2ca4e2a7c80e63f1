"""Who an escalation goes to: when the diagram names nobody, the manager of the department it reaches."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Department
from engine.events import EventBus, TaskCreated


def _assign_to_manager(session: Session, event: TaskCreated) -> None:
    task = event.task
    if task.kind != "escalation" or task.assignee:
        return
    task.assignee = session.scalars(
        select(Department.manager_username).where(Department.code == task.department)
    ).first()


def subscribe(events: EventBus) -> None:
    events.subscribe(TaskCreated, _assign_to_manager)
