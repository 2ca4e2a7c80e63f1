"""What happens when a task's timers fire, and the clock that stops while the handler waits for the owner.

A timer boundary event's `role` (see engine.bpmn_meta.BoundaryTimerMeta) says what its firing means:
- reminder: the timeline notes it and subscribers (notifications) are told;
- deadline: the task is overdue (its due time passed);
- escalation: the task is marked with the level, and an inbox task goes to the level's department
  (default: the overdue task's own), assigned by subscribers to that department's manager when the diagram
  names nobody. Escalation tasks close by themselves once the task they escalate is done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import SYSTEM, Actor
from engine.audit import AuditLog
from engine.bpmn_meta import BoundaryTimerMeta, ParsedDefinition
from engine.business_time import BusinessCalendar
from engine.events import EventBus, TaskCreated, TaskReminded
from engine.models import HumanTask, ProcessInstance
from engine.timing import parse_moment
from lintel.clock import Clock

ESCALATION_FORM = "escalation_ack"
ESCALATION_PRIORITY = 90
_PAUSED_VALUE = "9999-12-31T00:00:00+00:00"
_REMAINING = "lintel_remaining_seconds"


def _has_deadline_timer(meta: ParsedDefinition, attached_to: str) -> bool:
    return any(t.attached_to == attached_to and t.role == "deadline" for t in meta.boundary_timers.values())


def is_boundary_timer(task: Task) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition) and (
        type(task.task_spec).__name__ == "BoundaryEvent"
    )


def attached_activity(timer: Task, attached_to: str) -> Task | None:
    parent = timer.parent
    if parent is None:
        return None
    return next((t for t in parent.children if t.task_spec.name == attached_to), None)


def timers_of(task: Task) -> list[Task]:
    """The boundary timers attached to `task` that are still waiting."""
    parent = task.parent
    if parent is None:
        return []
    return [
        t
        for t in parent.children
        if t is not task and is_boundary_timer(t) and t.has_state(TaskState.WAITING)
    ]


class DeadlineKeeper:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        audit: AuditLog,
        events: EventBus,
        calendar: BusinessCalendar,
        resolve_department: Callable[[Task, str, bool], str | None],
        evaluate: Callable[[Task, str], Any],
    ) -> None:
        self.session = session
        self.clock = clock
        self.audit = audit
        self.events = events
        self.calendar = calendar
        self._resolve_department = resolve_department
        self._evaluate = evaluate

    # -- timers firing -----------------------------------------------------------------------------------

    def fired(
        self,
        instance: ProcessInstance,
        meta: ParsedDefinition,
        timers: list[Task],
        actor: Actor,
        rows: Mapping[str, HumanTask],
    ) -> None:
        """React to the boundary timers that fired; `rows` are the instance's inbox rows by task id."""
        for timer in timers:
            timer_meta = meta.boundary_timers.get(timer.task_spec.name)
            if timer_meta is None:
                continue
            activity = attached_activity(timer, timer_meta.attached_to)
            if activity is None:
                continue
            row = rows.get(str(activity.id)) or self._row(activity)
            if row is None:
                continue
            detail = {"timer": timer_meta.name}
            if timer_meta.role == "reminder":
                self.audit.record(
                    instance, "task.reminder", actor.username, row.state, row.state, detail, task=row
                )
                self.events.publish(self.session, TaskReminded(instance, row))
            elif timer_meta.role == "deadline":
                self._breached(instance, row, detail, actor)
            else:
                if row.escalation_level == 0 and not _has_deadline_timer(meta, timer_meta.attached_to):
                    self._breached(instance, row, detail, actor)  # the first escalation is the deadline
                self._escalate(instance, row, activity, timer_meta, actor, meta)

    def _breached(
        self, instance: ProcessInstance, row: HumanTask, detail: dict[str, Any], actor: Actor
    ) -> None:
        """The deadline passed: a fact kept on the timeline with the moment it was due."""
        due = row.due_at.isoformat() if row.due_at is not None else None
        self.audit.record(
            instance,
            "task.overdue",
            actor.username,
            row.state,
            row.state,
            {**detail, "due_at": due},
            task=row,
        )

    def _row(self, task: Task) -> HumanTask | None:
        return self.session.scalars(select(HumanTask).where(HumanTask.task_guid == str(task.id))).first()

    def _escalate(
        self,
        instance: ProcessInstance,
        row: HumanTask,
        activity: Task,
        meta: BoundaryTimerMeta,
        actor: Actor,
        definition: ParsedDefinition,
    ) -> None:
        previous = row.escalation_level
        row.escalation_level = max(previous, meta.level)
        self.audit.record(
            instance,
            "task.escalated",
            actor.username,
            str(previous),
            str(row.escalation_level),
            {"level": meta.level, "timer": meta.name},
            task=row,
        )
        department = row.department
        if meta.candidate_groups:
            department = (
                self._resolve_department(activity, meta.candidate_groups, meta.candidate_groups_is_expression)
                or row.department
            )
        assignee = None
        if meta.assignee:
            assignee = (
                self._evaluate(activity, meta.assignee) if meta.assignee_is_expression else meta.assignee
            )
        due_at, clock = self._answer_due(activity, meta, definition)
        escalation = HumanTask(
            instance_id=instance.id,
            task_guid=str(uuid4()),
            element_id=meta.element_id,
            name=meta.name,
            process_key=instance.process_key,
            department=department,
            assignee=str(assignee) if assignee else None,
            form_key=ESCALATION_FORM,
            priority=ESCALATION_PRIORITY,
            state="open",
            created_at=self.clock.now(),
            escalation_level=meta.level,
            due_at=due_at,
            deadline_clock=clock,
            kind="escalation",
            escalates_task_id=row.id,
        )
        self.session.add(escalation)
        self.audit.record(
            instance,
            "task.created",
            actor.username,
            None,
            "open",
            task=escalation,
            data={"department": department, "assignee": escalation.assignee, "escalates": row.id},
        )
        self.events.publish(self.session, TaskCreated(instance, escalation))

    def _answer_due(
        self, activity: Task, meta: BoundaryTimerMeta, definition: ParsedDefinition
    ) -> tuple[datetime, str]:
        """When the escalation must be answered: before the overdue task climbs to the next level, or, at
        the top of the ladder, within one working day (24 hours on a calendar clock)."""
        following = self._next_level(activity, meta.level, definition)
        if following is not None:
            return following
        now = self.clock.now()
        if meta.clock == "business":
            return self.calendar.add_working_days(now, 1), "business"
        return now + timedelta(days=1), "calendar"

    def _next_level(
        self, activity: Task, level: int, definition: ParsedDefinition
    ) -> tuple[datetime, str] | None:
        """When the task climbs above `level`, and on which clock; None at the top or while it waits."""
        following = []
        for timer in timers_of(activity):
            timer_meta = definition.boundary_timers.get(timer.task_spec.name)
            moment = parse_moment(timer.internal_data.get("event_value"))
            if timer_meta is None or timer_meta.role != "escalation" or timer_meta.level <= level:
                continue
            if moment is not None and _REMAINING not in timer.internal_data:
                following.append((moment, timer_meta.clock))
        return min(following) if following else None

    def hold_escalations(
        self, row: HumanTask, activity: Task, definition: ParsedDefinition, *, paused: bool
    ) -> None:
        """While the step waits for the owner its escalations wait too: they are due when the step would
        climb further, and that clock stands still. One already late stays late."""
        now = self.clock.now()
        for escalation in self.session.scalars(
            select(HumanTask).where(HumanTask.escalates_task_id == row.id, HumanTask.state == "open")
        ):
            if paused:
                escalation.waiting_since = now
                continue
            late = escalation.due_at is not None and escalation.due_at < (escalation.waiting_since or now)
            escalation.waiting_since = None
            following = None if late else self._next_level(activity, escalation.escalation_level, definition)
            if following is not None:
                escalation.due_at, escalation.deadline_clock = following

    def resolve_escalations(self, instance: ProcessInstance, row: HumanTask, *, done: bool) -> None:
        """The escalated task is done (or cancelled): its open escalation tasks are closed by the system,
        not in the name of the manager they were waiting for."""
        if row.escalation_level == 0:
            return
        open_escalations = self.session.scalars(
            select(HumanTask).where(HumanTask.escalates_task_id == row.id, HumanTask.state == "open")
        )
        now = self.clock.now()
        reason = "step_done" if done else "step_cancelled"
        for escalation in open_escalations:
            escalation.state = "resolved"
            escalation.completed_at = now
            escalation.completed_by = SYSTEM.username
            self.audit.record(
                instance,
                "task.resolved",
                SYSTEM.username,
                "open",
                "resolved",
                {"reason": reason},
                task=escalation,
            )

    # -- waiting for the owner --------------------------------------------------------------------------

    def pause(self, task: Task, meta: ParsedDefinition) -> None:
        """Hold every waiting timer of `task`, remembering how much time each had left on its own clock."""
        now = self.clock.now()
        for timer in timers_of(task):
            due = parse_moment(timer.internal_data.get("event_value"))
            if due is None or _REMAINING in timer.internal_data:
                continue
            timer.internal_data[_REMAINING] = self._left(now, due, self._clock_of(timer, meta))
            self._set_due(timer, _PAUSED_VALUE)

    def resume(self, task: Task, meta: ParsedDefinition) -> None:
        now = self.clock.now()
        for timer in timers_of(task):
            remaining = timer.internal_data.pop(_REMAINING, None)
            if remaining is None:
                continue
            if self._clock_of(timer, meta) == "business":
                due = self.calendar.add_business_seconds(now, remaining)
            else:
                due = now + timedelta(seconds=remaining)
            self._set_due(timer, due.isoformat())

    def shift(self, task: Task, by: timedelta) -> None:
        """Move every timer still waiting on `task` by `by` (a deadline extended)."""
        for timer in timers_of(task):
            due = parse_moment(timer.internal_data.get("event_value"))
            if due is not None and _REMAINING not in timer.internal_data:
                self._set_due(timer, (due + by).isoformat())

    def _clock_of(self, timer: Task, meta: ParsedDefinition) -> str:
        timer_meta = meta.boundary_timers.get(timer.task_spec.name)
        return timer_meta.clock if timer_meta is not None else "calendar"

    def _left(self, now: datetime, due: datetime, clock: str) -> float:
        if clock == "business":
            return max(0.0, self.calendar.business_seconds_between(now, due))
        return max(0.0, (due - now).total_seconds())

    @staticmethod
    def _set_due(timer: Task, value: str) -> None:
        current = timer.internal_data.get("event_value")
        if isinstance(current, dict):  # a cycle: move its next occurrence
            timer.internal_data["event_value"] = {**current, "next": value}
        else:
            timer.internal_data["event_value"] = value
