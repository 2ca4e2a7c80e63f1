"""Telling the rectifier a defect came back: a failed re-verification (or an owner who found it not fixed)
reaches the company's people (or the engineer) with the note, instead of a bare "new task"; and a
contractor's people are sent to their own work list, not to the centre's request pages they cannot open."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.handover.defects import PROCESS_KEY
from crm.handover.models import Defect
from crm.messaging.kinds import KINDS
from crm.messaging.notices import Wiring, first_time, local_time, outbox, request_facts, staff_link
from crm.messaging.recipients import active_user, department_members, staff_addresses
from crm.models import Department
from engine.events import EventBus, TaskCompleted, TaskCreated
from notifications.outbox import Address

KIND = "defect.returned"
_RETURNED = "lintel.defect_returned"


def contractor_link(wiring: Wiring, defect_id: int) -> str:
    return f"{wiring.messaging.public_url}/contractor/defects/{defect_id}"


def _on_task_completed(session: Session, event: TaskCompleted) -> None:
    """Note why the defect goes back, for the rectify step the same change opens next."""
    if event.instance.process_key != PROCESS_KEY or event.task.kind != "task":
        return
    data, element = event.data, event.task.element_id
    if element == "verify" and data.get("verified") == "fail":
        why = {"by": "复验", "note": data.get("verify_note")}
    elif element == "confirm" and data.get("confirmed") == "no":
        why = {"by": "业主确认", "note": data.get("confirm_note")}
    else:
        return
    session.info.setdefault(_RETURNED, {})[event.instance.id] = why


def _on_task_created(wiring: Wiring, session: Session, event: TaskCreated) -> None:
    task, instance = event.task, event.instance
    returned: dict[int, dict[str, Any]] = session.info.get(_RETURNED) or {}
    why = returned.pop(instance.id, None)
    if why is None or task.kind != "task" or task.element_id != "rectify":
        return
    # This is the rework's one notice: the department's "new task" is not sent besides.
    if not first_time(session, "task.created", f"task:{task.task_guid}"):
        return
    defect = session.execute(
        select(Defect.id, Defect.rounds).where(Defect.instance_id == instance.id)
    ).first()
    department = session.get(Department, task.department)
    facts = request_facts(session, instance)
    link = (
        contractor_link(wiring, defect.id)
        if defect is not None and department is not None and department.contractor_id is not None
        else staff_link(wiring.messaging, facts["number"])
    )
    context = {
        **facts,
        "task": task.name,
        "department": department.name if department else task.department,
        "due": local_time(task.due_at),
        "link": link,
        "by": why["by"],
        "note": why["note"],
        "rounds": (defect.rounds if defect is not None else 0) + 1,
    }
    person = active_user(session, task.assignee)
    people = [person] if person is not None else department_members(session, task.department)
    to: list[Address] = []
    for member in people:
        to.extend(staff_addresses(member, KINDS[KIND].channels))
    if to:
        outbox(session, wiring).queue(KIND, to, context, link=link.removeprefix(wiring.messaging.public_url))


def subscribe(events: EventBus, wiring: Wiring) -> None:
    """Before crm.messaging.staff: the rework's notice takes the place of the department's new-task one."""
    events.subscribe(TaskCompleted, _on_task_completed)
    events.subscribe(TaskCreated, partial(_on_task_created, wiring))
