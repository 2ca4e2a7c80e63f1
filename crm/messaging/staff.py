"""Staff hear about their work: new tasks in their department's queue (a burst is one message), a task
given to them, a deadline drawing near, an escalation that reaches them as manager, an owner's chase.

Each notice is queued by an engine-event subscriber in the transaction of the change; an event seen again
queues nothing more: a task opened again after an incident is not new work, and within one change
`notices.first_time` notes what was queued. A rework is no replay: its steps are new tasks."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from crm.messaging.kinds import KINDS
from crm.messaging.notices import Wiring, first_time, local_time, outbox, request_facts
from crm.messaging.recipients import (
    Person,
    active_user,
    department_members,
    robot_address,
    staff_addresses,
)
from crm.models import Department
from crm.portal import RequestChased
from engine.events import EventBus, TaskAssigned, TaskCreated, TaskReminded
from engine.models import HumanTask, ProcessInstance
from notifications.outbox import Address

CONTRACTOR_WORK_PATH = "/contractor"
INBOX_PATH = "/inbox"


def _department(session: Session, code: str) -> Department | None:
    return session.get(Department, code)


def _task_context(
    session: Session, wiring: Wiring, instance: ProcessInstance, task: HumanTask
) -> dict[str, Any]:
    facts = request_facts(session, instance)
    department = _department(session, task.department)
    return {
        **facts,
        "task": task.name,
        "department": department.name if department else task.department,
        "due": local_time(task.due_at),
        "link": wiring.messaging.public_url + _path(department, facts["number"]),
    }


def _path(department: Department | None, number: str) -> str:
    """Where the notice takes its reader: the request's page; a contractor company's people, who see no
    request pages, their own work list."""
    if department is not None and department.contractor_id is not None:
        return CONTRACTOR_WORK_PATH
    return f"/r/{number}"


def _holders(session: Session, task: HumanTask) -> list[Person]:
    """Whoever holds the task: its assignee while active, else its department's members."""
    assignee = active_user(session, task.assignee)
    return [assignee] if assignee is not None else department_members(session, task.department)


def _queue(
    session: Session, wiring: Wiring, kind: str, people: Iterable[Person], context: dict[str, Any]
) -> None:
    channels = KINDS[kind].channels
    to: list[Address] = []
    for person in people:
        to.extend(staff_addresses(person, channels))
    if to:
        outbox(session, wiring).queue(
            kind, to, context, link=context["link"].removeprefix(wiring.messaging.public_url)
        )


def _new_in_queue(session: Session, wiring: Wiring, instance: ProcessInstance, task: HumanTask) -> None:
    """Each member's bell at once; their email and the department's robot gather the tasks that land
    within the batching window into one message."""
    item = _task_context(session, wiring, instance, task)
    context = {"department": item["department"], "item": item}
    link = item["link"].removeprefix(wiring.messaging.public_url)
    channels = KINDS["task.new"].channels
    to: list[Address] = []
    for person in department_members(session, task.department):
        to.extend(staff_addresses(person, channels))
    robot = robot_address(_department(session, task.department)) if "robot" in channels else None
    if robot is not None:
        to.append(robot)
    if to:
        outbox(session, wiring).queue(
            "task.new", to, context, link=link, batch_key=f"task.new:{task.department}"
        )


def _escalated(session: Session, wiring: Wiring, instance: ProcessInstance, task: HumanTask) -> None:
    """The escalation reaches the manager it was assigned to (crm.escalations), or, with none, the
    members of the department it climbed to; by SMS too, for a climbing complaint is urgent."""
    overdue = session.get(HumanTask, task.escalates_task_id) if task.escalates_task_id else None
    context = _task_context(session, wiring, instance, overdue or task)
    context.update(
        escalation=task.name,
        level=task.escalation_level,
        answer_by=local_time(task.due_at),
    )
    _queue(session, wiring, "task.escalated", _holders(session, task), context)


def _on_task_created(wiring: Wiring, session: Session, event: TaskCreated) -> None:
    task = event.task
    # A task already stored is one opened again (an instance retried after an incident): already told.
    if inspect(task).persistent or not first_time(session, "task.created", f"task:{task.task_guid}"):
        return
    if task.kind == "escalation":
        _escalated(session, wiring, event.instance, task)
        return
    # Created for someone: them; for nobody, or for someone no longer active: the department's queue.
    person = active_user(session, task.assignee)
    if person is not None:
        context = {**_task_context(session, wiring, event.instance, task), "by": ""}
        _queue(session, wiring, "task.assigned", [person], context)
    else:
        _new_in_queue(session, wiring, event.instance, task)


def _on_tasks_created(wiring: Wiring, session: Session, events: list[TaskCreated]) -> None:
    """Many tasks opened at once (a campaign's thousands of visits started together): a notice per task
    would bury everyone's inbox, so each person given some hears once how many, and each department whose
    queue received some unassigned ones hears once too. A single task is told as ever."""
    if len(events) == 1:
        _on_task_created(wiring, session, events[0])
        return
    # (assignee or None, department, process, step) -> how many; escalations are told one by one.
    counts: dict[tuple[str | None, str, str, str], int] = {}
    for event in events:
        task = event.task
        if inspect(task).persistent or not first_time(session, "task.created", f"task:{task.task_guid}"):
            continue
        if task.kind == "escalation":
            _escalated(session, wiring, event.instance, task)
            continue
        process = event.instance.definition.name if event.instance.definition else task.process_key
        group = (task.assignee, task.department, process, task.name)
        counts[group] = counts.get(group, 0) + 1
    link = wiring.messaging.public_url + INBOX_PATH
    for (assignee, code, process, step), count in counts.items():
        department = _department(session, code)
        context = {
            "count": count,
            "process": process,
            "task": step,
            "department": department.name if department else code,
            "link": link,
        }
        person = active_user(session, assignee)
        people = [person] if person is not None else department_members(session, code)
        _queue(session, wiring, "task.batch", people, context)


def _on_task_assigned(wiring: Wiring, session: Session, event: TaskAssigned) -> None:
    if event.assignee == event.actor:
        return  # they claimed it themselves
    task = event.task
    if not first_time(session, "task.assigned", f"task:{task.task_guid}:r{task.revision}"):
        return
    person = active_user(session, event.assignee)
    if person is None:
        return
    by = active_user(session, event.actor)
    context = {
        **_task_context(session, wiring, event.instance, task),
        "by": by.display_name if by is not None else event.actor,
    }
    _queue(session, wiring, "task.assigned", [person], context)


def _on_task_reminded(wiring: Wiring, session: Session, event: TaskReminded) -> None:
    task = event.task
    due = task.due_at.isoformat() if task.due_at else ""
    if task.state != "open" or not first_time(session, "task.reminder", f"task:{task.task_guid}:{due}"):
        return
    context = _task_context(session, wiring, event.instance, task)
    _queue(session, wiring, "task.reminder", _holders(session, task), context)


def _on_chased(wiring: Wiring, session: Session, event: RequestChased) -> None:
    """An owner's chase reaches whoever holds the request's open steps."""
    if not first_time(session, "request.chased", f"chase:{event.audit_id}"):
        return
    open_tasks = session.scalars(
        select(HumanTask)
        .where(
            HumanTask.instance_id == event.instance.id,
            HumanTask.state == "open",
            HumanTask.kind == "task",
        )
        .order_by(HumanTask.id)
    )
    for task in open_tasks:
        context = {**_task_context(session, wiring, event.instance, task), "chased_at": local_time(event.at)}
        _queue(session, wiring, "request.chased", _holders(session, task), context)


def subscribe(events: EventBus, wiring: Wiring) -> None:
    """After crm.escalations: an escalation is already assigned to its manager when it is told."""
    events.subscribe_many(TaskCreated, partial(_on_tasks_created, wiring))
    events.subscribe(TaskAssigned, partial(_on_task_assigned, wiring))
    events.subscribe(TaskReminded, partial(_on_task_reminded, wiring))
    events.subscribe(RequestChased, partial(_on_chased, wiring))
