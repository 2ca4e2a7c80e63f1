"""What people do with inbox rows: claim, unclaim, assign, complete — refused cleanly when it cannot apply."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.exc import StaleDataError

from engine.actors import Actor
from engine.errors import Conflict, Forbidden, InstanceStopped, InvalidData, NotFound, StepFailed
from engine.evaluator import aborted_in
from engine.events import TaskAssigned, TaskCompleted, TaskCompleting
from engine.inbox import close_candidates, sees, works_on
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.next_gateway import leads_to_gateway
from engine.runtime import Runtime, deadline_of, describe
from engine.task_data import refuse_unstorable
from engine.timing import engine_clock


class DataValidator(Protocol):
    def validate(
        self, form_key: str, data: Mapping[str, Any], definition: ProcessDefinition | None = None
    ) -> dict[str, Any]:
        """Return the cleaned data or raise engine.errors.InvalidData with per-field messages; the form is
        looked up among the forms of `definition` (the version the instance runs), then the built-in ones."""
        ...


MAX_COMMENT = 4000


def without_comment(data: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A step without a form: its optional comment (kept on the timeline, not in the task data), and the
    other values as given (an API client may still set variables; nothing checks them but storability)."""
    if not isinstance(data, Mapping):
        raise InvalidData("data must be an object", {})
    rest = {k: v for k, v in data.items() if k != "comment"}
    comment = data.get("comment")
    if comment is None:
        return rest, None
    if not isinstance(comment, str):
        raise InvalidData("the comment must be text", {"comment": "must be text"})
    if len(comment) > MAX_COMMENT:
        raise InvalidData("the comment is too long", {"comment": f"must be at most {MAX_COMMENT} characters"})
    return rest, comment.strip() or None


class TaskService:
    def __init__(self, session: Session, runtime: Runtime, validator: DataValidator) -> None:
        self.session = session
        self.runtime = runtime
        self.validator = validator
        self.audit = runtime.audit
        self.clock = runtime.clock

    def get(self, task_id: int, actor: Actor) -> HumanTask:
        """The task if `actor` may see it."""
        return self._visible(self.session.get(HumanTask, task_id), task_id, actor)

    def _visible(self, row: HumanTask | None, task_id: int, actor: Actor) -> HumanTask:
        if row is None:
            raise NotFound(f"task {task_id} does not exist")
        if not sees(self.session, actor, row):
            raise Forbidden(f"task {task_id} belongs to the department '{row.department}'")
        return row

    def _check_actionable(self, row: HumanTask, actor: Actor) -> HumanTask:
        if not works_on(self.session, actor, row):
            raise Forbidden(f"only members of '{row.department}' can act on task {row.id}")
        if row.state != "open":
            raise Conflict(f"task {row.id} is already {row.state}")
        return row

    def _actionable(self, task_id: int, actor: Actor) -> HumanTask:
        return self._check_actionable(self.get(task_id, actor), actor)

    def _actionable_with_instance(self, task_id: int, actor: Actor) -> tuple[HumanTask, ProcessInstance]:
        """The task and its instance with its state, in one query (a completion needs both)."""
        found = self.session.execute(
            select(HumanTask, ProcessInstance)
            .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
            .options(undefer(ProcessInstance.state))
            .where(HumanTask.id == task_id)
        ).first()
        row = self._visible(found[0] if found else None, task_id, actor)
        assert found is not None
        return self._check_actionable(row, actor), found[1]

    def claim(self, task_id: int, actor: Actor) -> HumanTask:
        row = self._actionable(task_id, actor)
        if row.assignee == actor.username:
            return row
        if row.assignee is not None:
            raise Conflict(f"task {task_id} is already claimed by {row.assignee}")
        return self._set_assignee(row, actor.username, actor, "task.claimed")

    def unclaim(self, task_id: int, actor: Actor) -> HumanTask:
        row = self._actionable(task_id, actor)
        if row.assignee is None:
            return row
        if row.assignee != actor.username:
            raise Conflict(f"task {task_id} is claimed by {row.assignee}, not by you")
        return self._set_assignee(row, None, actor, "task.unclaimed")

    def assign(self, task_id: int, to: Actor, actor: Actor) -> HumanTask:
        """Give the task to a colleague of the same department (also how a claimant delegates)."""
        row = self._actionable(task_id, actor)
        if not works_on(self.session, to, row):
            raise Forbidden(f"{to.username} is not a member of '{row.department}'")
        if row.assignee not in (None, actor.username) and row.assignee != to.username:
            raise Conflict(f"task {task_id} is claimed by {row.assignee}")
        return self._set_assignee(row, to.username, actor, "task.assigned")

    def reassign(self, task_id: int, to: Actor, actor: Actor) -> HumanTask:
        """Give the task to a member of its department whoever holds it (改派): the policy has decided that
        `actor` may (a supervisor or manager of the department, or the person it was escalated to)."""
        row = self.session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(f"task {task_id} does not exist")
        if row.state != "open":
            raise Conflict(f"task {task_id} is already {row.state}")
        if not works_on(self.session, to, row):
            raise Forbidden(f"{to.username} is not a member of '{row.department}'")
        if row.assignee == to.username:
            return row
        return self._set_assignee(row, to.username, actor, "task.reassigned")

    def _set_assignee(self, row: HumanTask, assignee: str | None, actor: Actor, kind: str) -> HumanTask:
        instance = self.runtime.get(row.instance_id)  # before the change: loading it must not flush it
        previous = row.assignee
        row.assignee = assignee
        self.audit.record(
            instance, kind, actor.username, "open", "open", {"assignee": [previous, assignee]}, task=row
        )
        self._flush(row)
        if assignee is not None:
            self.runtime.events.publish(self.session, TaskAssigned(instance, row, assignee, actor.username))
        return row

    def _flush(self, row: HumanTask) -> None:
        with _no_lost_update(row.id):
            self.session.flush()

    def complete(self, task_id: int, data: Mapping[str, Any], actor: Actor) -> HumanTask:
        row, instance = self._actionable_with_instance(task_id, actor)
        if row.assignee not in (None, actor.username):
            raise Conflict(f"task {task_id} is claimed by {row.assignee}")
        comment = None
        if row.form_key:
            cleaned = self.validator.validate(row.form_key, data, instance.definition)
        else:
            cleaned, comment = without_comment(data)
        if row.kind == "escalation":
            return self._acknowledge(row, cleaned, actor)
        if instance.status != "running":
            raise Conflict(f"the instance of task {task_id} is {instance.status}")
        workflow, compiled = self.runtime.load(instance)
        task = self.runtime.task_of(workflow, row)
        if task is None or not task.has_state(TaskState.READY):
            raise Conflict(f"task {task_id} is no longer waiting for input")
        if row.form_key and not hasattr(data, "getlist"):
            # An API client sends the fields it fills in; a field it leaves out keeps what the workflow holds
            # (the pages send every field, prefilled, so there an empty field does clear it).
            cleaned = {k: v for k, v in cleaned.items() if k in data or k not in task.data}
        refuse_unstorable(cleaned)
        before = dict(task.data)
        completing = TaskCompleting(instance, row, {**before, **cleaned}, actor.username)
        self.runtime.events.publish(self.session, completing)
        task.set_data(**cleaned)
        try:
            with engine_clock(self.clock):
                task.run()
        except Exception as exc:
            if aborted_in(exc) is not None:
                # Stopped for its time, memory or a crash: resubmitting cannot help, the instance fails.
                self.runtime.fail(instance, actor, exc, element=row.element_id)
                instance.updated_at = self.clock.now()
                instance.next_timer_at = None
                with _no_lost_update(task_id):
                    self.session.flush()
                raise InstanceStopped(f"the workflow was stopped at this step: {describe(exc)}") from exc
            # The task's own postScript failed: nothing is completed or stored.
            raise StepFailed(f"the workflow could not take this step: {describe(exc)}") from exc
        # A gateway right after the step may find the submission left a variable it reads undefined: the
        # completion is then refused and everything it changed is undone (engine.next_gateway).
        guarded = leads_to_gateway(task.task_spec)
        savepoint = self.session.begin_nested() if guarded else None
        try:
            self._mark_completed(row, actor)
            row.waiting_since = None
            changed = {k: v for k, v in cleaned.items() if before.get(k) != v}
            if comment is not None:
                changed = {**changed, "comment": comment}
            self.audit.record(
                instance, "task.completed", actor.username, "open", "completed", changed, task=row
            )
            self.runtime.deadlines.resolve_escalations(instance, row, done=True)
            self.runtime.events.publish(self.session, TaskCompleted(instance, row, cleaned, actor.username))
            with _no_lost_update(task_id):
                self.runtime.advance(instance, workflow, actor, compiled, completed=task if guarded else None)
        except BaseException:
            if savepoint is not None and savepoint.is_active:
                savepoint.rollback()
            raise
        if savepoint is not None:
            savepoint.commit()
        return row

    def _mark_completed(self, row: HumanTask, actor: Actor) -> None:
        row.state = "completed"
        row.completed_at = self.clock.now()
        close_candidates(self.session, row)
        row.completed_by = actor.username
        row.assignee = row.assignee or actor.username

    def _acknowledge(self, row: HumanTask, data: dict[str, Any], actor: Actor) -> HumanTask:
        """An escalation task is answered on its own: the workflow goes on regardless."""
        instance = self.runtime.get(row.instance_id)
        self._mark_completed(row, actor)
        self.audit.record(instance, "task.completed", actor.username, "open", "completed", data, task=row)
        self.runtime.events.publish(self.session, TaskCompleted(instance, row, data, actor.username))
        self._flush(row)
        return row

    # -- waiting for the owner: the deadline clock stands still ------------------------------------------

    def wait_for_owner(self, task_id: int, actor: Actor, note: str | None = None) -> HumanTask:
        row = self._actionable(task_id, actor)
        if row.kind != "task":
            raise Conflict("only a workflow step can wait for the owner")
        if row.waiting_since is not None:
            raise Conflict(f"task {task_id} is already waiting for the owner")
        return self._hold(row, actor, pause=True, note=note)

    def owner_answered(self, task_id: int, actor: Actor, note: str | None = None) -> HumanTask:
        row = self._actionable(task_id, actor)
        if row.waiting_since is None:
            raise Conflict(f"task {task_id} is not waiting for the owner")
        return self._hold(row, actor, pause=False, note=note)

    def _hold(self, row: HumanTask, actor: Actor, *, pause: bool, note: str | None) -> HumanTask:
        instance = self.runtime.get(row.instance_id, with_state=True)
        if instance.status != "running":
            raise Conflict(f"the instance of task {row.id} is {instance.status}")
        workflow, compiled = self.runtime.load(instance)
        task = self.runtime.task_of(workflow, row)
        if task is None or not task.has_state(TaskState.READY):
            raise Conflict(f"task {row.id} is no longer waiting for input")
        now = self.clock.now()
        # A deadline already breached stays breached: the pause holds only the timers still to come (the
        # next escalation levels), and the row keeps the deadline that was missed.
        breached = row.due_at is not None and row.due_at < (row.waiting_since or now)
        if pause:
            waited = None
            self.runtime.deadlines.pause(task, compiled.meta)
            row.waiting_since = now
        else:
            waited = int((now - row.waiting_since).total_seconds()) if row.waiting_since else 0
            self.runtime.deadlines.resume(task, compiled.meta)
            row.waiting_since = None
            if not breached:
                row.due_at, _ = deadline_of(task, compiled.meta)
        self.runtime.deadlines.hold_escalations(row, task, compiled.meta, paused=pause)
        kind = "task.waiting_owner" if pause else "task.owner_answered"
        overdue_since = row.due_at.isoformat() if breached and row.due_at is not None else None
        data = {
            k: v
            for k, v in {"note": note, "waited_seconds": waited, "overdue_since": overdue_since}.items()
            if v is not None
        }
        self.audit.record(instance, kind, actor.username, "open", "open", data or None, task=row)
        with _no_lost_update(row.id):
            self.runtime.advance(instance, workflow, actor, compiled)
        return row

    # -- moving a deadline ------------------------------------------------------------------------------

    def move_deadline(self, task_id: int, until: datetime, actor: Actor, reason: str) -> HumanTask:
        """Give an open step until `until`: every timer still waiting on it (its reminder, its deadline,
        the escalation levels to come) moves by the same span, so the inbox's due time and the timers
        agree, and the move is on the timeline with its reason. Who may do this is the caller's to decide
        (crm.policy); a step waiting for the owner, or past its deadline already escalated, moves too."""
        row = self.session.get(HumanTask, task_id)
        if row is None or row.kind != "task":
            raise NotFound(f"task {task_id} does not exist")
        if row.state != "open":
            raise Conflict(f"task {task_id} is already {row.state}")
        if row.waiting_since is not None:
            raise Conflict(f"task {task_id} is waiting for the owner: its deadline stands still")
        if row.due_at is None:
            raise InvalidData("the step has no deadline", {"until": "the step has no deadline to move"})
        if until <= row.due_at:
            raise InvalidData(
                "the new deadline is not later", {"until": "must be after the current deadline"}
            )
        instance = self.runtime.get(row.instance_id, with_state=True)
        if instance.status != "running":
            raise Conflict(f"the instance of task {task_id} is {instance.status}")
        workflow, compiled = self.runtime.load(instance)
        task = self.runtime.task_of(workflow, row)
        if task is None or not task.has_state(TaskState.READY):
            raise Conflict(f"task {task_id} is no longer waiting for input")
        before = row.due_at
        self.runtime.deadlines.shift(task, until - before)
        row.due_at, _ = deadline_of(task, compiled.meta)
        data = {"from": before.isoformat(), "to": until.isoformat(), "reason": reason}
        self.audit.record(instance, "task.deadline_moved", actor.username, "open", "open", data, task=row)
        with _no_lost_update(row.id):
            self.runtime.advance(instance, workflow, actor, compiled)
        return row

    def open_tasks_of(self, instance_id: int) -> list[HumanTask]:
        return list(
            self.session.scalars(
                select(HumanTask)
                .where(HumanTask.instance_id == instance_id, HumanTask.state == "open")
                .order_by(HumanTask.id)
            )
        )


@contextmanager
def _no_lost_update(task_id: int) -> Iterator[None]:
    """Someone else changed the task or its instance since it was read: refuse rather than overwrite.
    (`task_id` is taken before the write: after a failed flush the row can no longer be read.)"""
    try:
        yield
    except StaleDataError as exc:
        message = f"task {task_id} was changed by someone else at the same time; reload and retry"
        raise Conflict(message) from exc
