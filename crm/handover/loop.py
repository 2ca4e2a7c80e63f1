"""Keeping each Defect row in step with its rectification workflow (workflows/rectification.bpmn).

The workflow is the source of truth; boards, lists and reports read the row. Every change is a staged
UPDATE by instance id (crm.records.stage_update): these run inside every transition, load nothing and
write once at the flush."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from crm.estate.models import Contractor
from crm.handover.contractors import ensure_department
from crm.handover.defects import PROCESS_KEY
from crm.handover.models import Defect
from crm.records import stage_update
from engine.events import EventBus, InstanceCancelled, InstanceCompleted, TaskCompleted, TaskCreated
from engine.models import ProcessInstance

# The step a defect waits at, as its status.
STATUS_OF_STEP = {
    "assign": "assigning",
    "rectify": "rectifying",
    "verify": "verifying",
    "confirm": "confirming",
}


def _ours(instance: ProcessInstance) -> bool:
    return instance.process_key == PROCESS_KEY


def _update(session: Session, instance: ProcessInstance, **values: Any) -> None:
    stage_update(session, Defect.instance_id, instance.id, **values)


def _on_task_created(session: Session, event: TaskCreated) -> None:
    task = event.task
    if not _ours(event.instance) or task.kind != "task" or task.element_id not in STATUS_OF_STEP:
        return
    status = STATUS_OF_STEP[task.element_id]
    values: dict[str, Any] = {"status": status}
    now = task.created_at
    if status == "rectifying":
        # The rectify step's deadline is the defect's: the inbox and the lists agree.
        values["due_at"] = task.due_at
    elif status == "verifying":
        values["rectified_at"] = now
    elif status == "confirming":
        values["verified_at"] = now
    _update(session, event.instance, **values)


def _on_task_completed(session: Session, event: TaskCompleted) -> None:
    task, data = event.task, event.data
    if not _ours(event.instance) or task.kind != "task":
        return
    values: dict[str, Any] = {}
    if task.element_id == "assign":
        contractor_id = _contractor_id(data.get("contractor"))
        values["contractor_id"] = contractor_id
        values["assignee"] = data.get("rectifier") or None
        if contractor_id is not None:
            contractor = session.get(Contractor, contractor_id)
            if contractor is not None:  # a company recorded before it had a department gets one now
                ensure_department(session, contractor)
    elif task.element_id == "verify" and data.get("verified") == "fail":
        values["rounds"] = Defect.rounds + 1
    elif task.element_id == "confirm":
        if _yes(data.get("confirmed")):
            values["confirmed_by"] = event.actor
        else:
            values["rounds"] = Defect.rounds + 1  # the owner found it not fixed: back to rectification
    _update(session, event.instance, **values)


def _on_completed(session: Session, event: InstanceCompleted) -> None:
    if _ours(event.instance):
        _update(session, event.instance, status="closed", closed_at=event.instance.completed_at)


def _on_cancelled(session: Session, event: InstanceCancelled) -> None:
    if _ours(event.instance):
        _update(session, event.instance, status="cancelled")


def _contractor_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _yes(value: Any) -> bool:
    return value is True or value == "yes"


def subscribe(events: EventBus) -> None:
    events.subscribe(TaskCreated, _on_task_created)
    events.subscribe(TaskCompleted, _on_task_completed)
    events.subscribe(InstanceCompleted, _on_completed)
    events.subscribe(InstanceCancelled, _on_cancelled)


def step_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the loop's steps left in the workflow's data that a page shows (the last note of each)."""
    keys = ("assign_note", "rectification", "verify_note", "confirm_note", "rounds")
    return {k: data[k] for k in keys if k in data}
