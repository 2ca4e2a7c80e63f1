"""Load, advance and save instances, keeping the inbox rows and the audit trail in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.exc import StaleDataError

from engine.actors import SYSTEM, Actor
from engine.audit import AuditLog
from engine.bpmn_meta import ProcessProperties
from engine.bulk import BulkStarter
from engine.business_time import BusinessCalendar
from engine.definitions import CompiledDefinition, DefinitionService, SpecCache
from engine.errors import Conflict, NotFound
from engine.escalation import DeadlineKeeper, is_boundary_timer, timers_of
from engine.evaluator import EvaluatorPool
from engine.events import (
    EventBus,
    InstanceCancelled,
    InstanceCompleted,
    InstanceFailed,
    InstanceStarted,
    TaskCreated,
)
from engine.inbox import close_candidates
from engine.models import HumanTask, HumanTaskCandidate, ProcessInstance
from engine.next_gateway import refusal
from engine.routing import Departments, RoutingError
from engine.sandbox import script_engine
from engine.serialization import InstanceSerializer
from engine.task_data import refuse_unstorable
from engine.timing import engine_clock, next_timer_due, parse_moment
from engine.validation import HumanTaskMeta, ParsedDefinition
from lintel.clock import Clock

DEFAULT_PRIORITY = 50
MAX_PRIORITY = 1000
MAX_USERNAME = 100  # the inbox's assignee column


class StateTooLarge(Exception):
    """The instance's state outgrew LINTEL_STATE_MAX_BYTES: it fails rather than slowing every load."""


class Runtime:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        specs: SpecCache,
        definitions: DefinitionService,
        evaluator: EvaluatorPool,
        functions: Collection[str],
        events: EventBus,
        departments: Mapping[str, str],
        serializer: InstanceSerializer,
        calendar: BusinessCalendar,
        max_state_bytes: int = 2 * 1024 * 1024,
        user_active: Callable[[str], bool] | None = None,
    ) -> None:
        self.session = session
        # Whether a username is an active account (None: any username is taken as it is).
        self.user_active = user_active
        self.routes = Departments(departments)
        self.max_state_bytes = max_state_bytes
        self.clock = clock
        self.specs = specs
        self.definitions = definitions
        self.events = events
        self.departments = departments
        self.serializer = serializer
        self.script_engine = script_engine(evaluator, functions)
        self.audit = AuditLog(session, clock)
        self.calendar = calendar
        # Seconds per phase of the last start_many (for benchmarks).
        self.start_many_timings: dict[str, float] = {}
        self.deadlines = DeadlineKeeper(
            session,
            clock=clock,
            audit=self.audit,
            events=events,
            calendar=calendar,
            resolve_department=self._resolve_department,
            evaluate=self.script_engine.evaluate,
        )

    # -- instances -------------------------------------------------------------------------------------

    def start(
        self,
        key: str,
        data: Mapping[str, Any],
        actor: Actor,
        *,
        business_key: str | None = None,
        fire_start_timers: bool = False,
    ) -> ProcessInstance:
        """Start the latest version of `key`. `fire_start_timers`: the platform is starting this instance for
        a due timer start event, so that event fires once now instead of waiting or replaying cycles."""
        refuse_unstorable(data)
        definition = self.definitions.latest(key)
        compiled = self.specs.get(definition)
        workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=self.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        if fire_start_timers:
            _prime_start_timers(workflow, self.clock.now())
        now = self.clock.now()
        instance = ProcessInstance(
            definition=definition,
            process_key=definition.key,
            business_key=business_key,
            status="running",
            state="",
            started_at=now,
            updated_at=now,
            started_by=actor.username,
        )
        self.session.add(instance)
        self.session.flush()
        self.audit.record(instance, "instance.started", actor.username, to_state="running", data=dict(data))
        properties = compiled.meta.properties
        self.events.publish(
            self.session,
            InstanceStarted(
                instance,
                dict(data),
                title=self._title(properties.title, data),
                number_prefix=properties.number_prefix,
            ),
        )
        self.advance(instance, workflow, actor, compiled, new=True)
        return instance

    def start_many(
        self, key: str, shared: Mapping[str, Any], items: Sequence[Mapping[str, Any]], actor: Actor
    ) -> list[int]:
        """Start one instance of the latest version of `key` per item, its data `{**shared, **item}`; the ids
        in the order of `items`. The way to the first wait state is run once with `shared` (engine.bulk), so
        an item's data must not change which way the start goes; an item that sets a value the shared data
        or the diagram's first scripts set starts on its own, as `start` would. Every instance gets what a
        start leaves (state, inbox rows, audit) and the events, published together (`publish_many`). Data
        that cannot be stored refuses the whole call (InvalidData) before anything is written."""
        starter = BulkStarter(self)
        try:
            return starter.start_many(key, shared, items, actor)
        finally:
            self.start_many_timings = starter.timings

    def send_message(
        self, instance_id: int, name: str, payload: Mapping[str, Any], actor: Actor
    ) -> ProcessInstance:
        """Deliver the BPMN message `name` to the instance waiting for it and advance it (the payload goes
        where the diagram's message variable says). Conflict when the instance is not running or nothing in
        it waits for that message (already delivered, expired, cancelled): nothing changes then. A delivery
        racing another one fails on the instance's revision (Conflict) rather than applying twice."""
        refuse_unstorable(payload)
        instance = self.get(instance_id, with_state=True)
        if instance.status != "running":
            raise Conflict(f"instance {instance_id} is {instance.status}: it waits for no message")
        workflow, compiled = self.load(instance)
        waiting = {
            event.name
            for event in workflow.waiting_events()
            if event.event_type == MessageEventDefinition.__name__
        }
        if name not in waiting:
            raise Conflict(f"instance {instance_id} is not waiting for the message '{name}'")
        try:
            with engine_clock(self.clock):
                workflow.send_event(BpmnEvent(MessageEventDefinition(name), dict(payload)))
        except WorkflowException as exc:
            raise Conflict(f"instance {instance_id} is not waiting for the message '{name}'") from exc
        self.audit.record(instance, "message.received", actor.username, data={"name": name})
        try:
            self.advance(instance, workflow, actor, compiled)
        except StaleDataError as exc:
            raise Conflict(
                f"instance {instance_id} was changed by someone else at the same time; reload and retry"
            ) from exc
        return instance

    def properties(self, key: str) -> ProcessProperties:
        """The process-level properties of the latest version of `key` (NotFound when none is deployed)."""
        return self.specs.get(self.definitions.latest(key)).meta.properties

    def _title(self, expression: str | None, data: Mapping[str, Any]) -> str | None:
        """The request's title from the process's title expression over the start data, in the sandbox; None
        when there is none or it fails (the caller falls back to the process name): a title is a label, not a
        reason to refuse a start."""
        if not expression:
            return None
        try:
            with engine_clock(self.clock):
                value = self.script_engine.environment.evaluate(expression, dict(data))
        except Exception:
            return None
        if value is None:
            return None
        text = " ".join(str(value).split())
        return text or None

    def get(self, instance_id: int, *, with_state: bool = False) -> ProcessInstance:
        """The instance, with its state loaded if asked."""
        options = [undefer(ProcessInstance.state)] if with_state else []
        found = self.session.get(ProcessInstance, instance_id, options=options)
        if found is None:
            raise NotFound(f"instance {instance_id} does not exist")
        return found

    def get_many(self, instance_ids: list[int]) -> list[ProcessInstance]:
        """Instances with their state, in one query, in the order given."""
        if not instance_ids:
            return []
        found = {
            i.id: i
            for i in self.session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.id.in_(instance_ids))
                .options(undefer(ProcessInstance.state))
            )
        }
        return [found[i] for i in instance_ids if i in found]

    def load(self, instance: ProcessInstance) -> tuple[BpmnWorkflow, CompiledDefinition]:
        compiled = self.specs.get(instance.definition)
        workflow = self.serializer.loads(instance.state, compiled.spec, compiled.subprocess_specs)
        workflow.script_engine = self.script_engine
        return workflow, compiled

    def advance(
        self,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        actor: Actor,
        compiled: CompiledDefinition,
        *,
        new: bool = False,
        refresh_timers: bool = False,
        completed: Task | None = None,
    ) -> None:
        """Run the engine as far as it goes, then bring inbox, audit, timers and stored state up to date.

        `completed`: the step a person just completed. When the gateway right after it cannot choose its
        way because the submission left a variable undefined, this raises engine.next_gateway's refusal
        instead of failing the instance, and the caller rolls back what the completion changed."""
        now = self.clock.now()
        state: str | None = None
        try:
            with engine_clock(self.clock):
                fired: list[Task] = []
                if refresh_timers:
                    workflow.refresh_timers()
                run_engine(workflow, fired)
                # Messages, signals, errors and escalations nothing in the instance caught: SpiffWorkflow
                # queues them (and would keep them in the saved state); the timeline keeps them instead.
                uncaught = workflow.get_events()
                # Serialised before any row is written: data a script left that cannot be stored (a map
                # object, bytes...) fails the instance here instead of failing the request or the timer job.
                state = self._checked_dumps(workflow)
                rows = self._sync_tasks(instance, workflow, compiled, actor, new=new)
                if fired:
                    self.deadlines.fired(instance, compiled.meta, fired, actor, rows)
                for event in uncaught:
                    definition = event.event_definition
                    name = getattr(definition, "name", None) or getattr(definition, "code", None)
                    self.audit.record(
                        instance,
                        "event.uncaught",
                        actor.username,
                        data={"event": type(definition).__name__, "name": name},
                    )
        except Exception as exc:  # a diagram's script failing must fail its instance, not the request
            refused = refusal(exc, completed) if completed is not None else None
            if refused is not None:
                raise refused from exc
            self.fail(instance, actor, exc, workflow=workflow)
        if instance.status == "running" and workflow.is_completed():
            instance.status = "completed"
            instance.completed_at = now
            data = dict(workflow.last_task.data) if workflow.last_task else {}
            self.audit.record(instance, "instance.completed", actor.username, "running", "completed")
            self.events.publish(self.session, InstanceCompleted(instance, data))
        if state is None:
            state = self._state_after_failure(workflow)
        if state is not None:
            instance.state = state
        instance.updated_at = now
        instance.next_timer_at = next_timer_due(workflow) if instance.status == "running" else None
        self.session.flush()

    def _checked_dumps(self, workflow: BpmnWorkflow) -> str:
        state = self.serializer.dumps(workflow)
        if len(state) > self.max_state_bytes:
            raise StateTooLarge(
                f"the instance's data grew to {len(state):,} bytes, more than the {self.max_state_bytes:,} "
                "allowed (LINTEL_STATE_MAX_BYTES)"
            )
        return state

    def _state_after_failure(self, workflow: BpmnWorkflow) -> str | None:
        """The failed workflow's state if it can be stored (to show where it stopped), else None: the
        instance then keeps the last state that could."""
        try:
            return self._checked_dumps(workflow)
        except Exception:
            return None

    def fail(
        self,
        instance: ProcessInstance,
        actor: Actor,
        exc: Exception,
        *,
        workflow: BpmnWorkflow | None = None,
        element: str | None = None,
    ) -> None:
        """The instance cannot go on: mark it failed with the reason and the element it stopped at, audited,
        and close its open inbox rows (steps and escalations), so nothing is left that can be claimed but
        never completed. It is then an incident (engine.incidents) until retried or cancelled."""
        message = describe(exc)
        element = element or failed_element(exc, workflow)
        instance.status = "error"
        instance.error = message
        instance.error_element = element[:200] if element else None
        instance.failed_at = self.clock.now()
        data = {"error": message, "element": instance.error_element}
        self.audit.record(instance, "instance.failed", actor.username, "running", "error", data)
        self.close_open_rows(instance, actor, "instance_failed")
        self.events.publish(self.session, InstanceFailed(instance, message))

    def cancel(
        self, instance: ProcessInstance, actor: Actor, reason: str, data: Mapping[str, Any] | None = None
    ) -> bool:
        """Cancel a running or failed instance: cancelled with the reason (and `data`) on the timeline, its
        open rows closed, its timers cleared. False when it had ended already."""
        if instance.status not in ("running", "error"):
            return False
        now = self.clock.now()
        before = instance.status
        instance.status = "cancelled"
        instance.next_timer_at = None
        instance.updated_at = now
        instance.completed_at = now
        self.audit.record(
            instance,
            "instance.cancelled",
            actor.username,
            before,
            "cancelled",
            {"reason": reason, **(data or {})},
        )
        self.close_open_rows(instance, actor, "instance_cancelled")
        self.events.publish(self.session, InstanceCancelled(instance, reason, actor.username))
        return True

    def close_open_rows(self, instance: ProcessInstance, actor: Actor, reason: str) -> list[HumanTask]:
        """Cancel every open inbox row of the instance (its steps and their escalations), the reason on the
        timeline. Rows this transition already added are closed too (they are in the session, not yet
        written)."""
        with self.session.no_autoflush:
            rows = [
                row
                for row in self.session.scalars(
                    select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
                )
                if row.state == "open"
            ]
        rows += [
            obj
            for obj in self.session.new
            if isinstance(obj, HumanTask)
            and obj.instance_id == instance.id
            and obj.state == "open"
            and obj not in rows
        ]
        now = self.clock.now()
        for row in rows:
            row.state = "cancelled"
            row.completed_at = now
            close_candidates(self.session, row)
            self.audit.record(
                instance, "task.cancelled", actor.username, "open", "cancelled", {"reason": reason}, task=row
            )
        return rows

    # -- the inbox -------------------------------------------------------------------------------------

    def _sync_tasks(
        self,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        compiled: CompiledDefinition,
        actor: Actor,
        *,
        new: bool,
    ) -> dict[str, HumanTask]:
        """Open and cancel inbox rows to match the READY manual tasks; returns the rows it saw, by task id."""
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        open_rows: dict[str, HumanTask] = {}
        if not new:
            # No autoflush: rows this transition already closed are in the identity map with their new state
            # (the query does not overwrite it), so everything is written in one flush at the end.
            with self.session.no_autoflush:
                found = self.session.scalars(
                    select(HumanTask).where(
                        HumanTask.instance_id == instance.id,
                        HumanTask.state == "open",
                        HumanTask.kind == "task",
                    )
                )
                open_rows = {row.task_guid: row for row in found if row.state == "open"}
        now = self.clock.now()
        for guid, row in open_rows.items():
            if guid not in ready:
                row.state = "cancelled"
                row.completed_at = now
                close_candidates(self.session, row)
                self.audit.record(instance, "task.cancelled", actor.username, "open", "cancelled", task=row)
                self.deadlines.resolve_escalations(instance, row, done=False)
        for guid, task in ready.items():
            if guid in open_rows:
                continue
            row = self._new_row(instance, task, compiled, now)
            open_rows[guid] = row
            self.session.add(row)
            self.audit.record(
                instance,
                "task.created",
                actor.username,
                None,
                "open",
                task=row,
                data={"department": row.department, "assignee": row.assignee},
            )
            self.events.publish(self.session, TaskCreated(instance, row))
        return open_rows

    def _new_row(
        self, instance: ProcessInstance, task: Task, compiled: CompiledDefinition, now: datetime
    ) -> HumanTask:
        meta = self.task_meta(task, compiled)
        due_at, clock = self._due(task, meta, compiled)
        department, *others = self._departments(task, meta)
        return HumanTask(
            instance_id=instance.id,
            task_guid=str(task.id),
            element_id=element_of(task),
            name=meta.name,
            process_key=instance.process_key,
            department=department,
            candidates=[HumanTaskCandidate(department=code) for code in others],
            assignee=self._assignee(instance, task, meta),
            form_key=meta.form_key,
            priority=self._priority(task, meta),
            state="open",
            kind="task",
            escalation_level=0,
            due_at=due_at,
            deadline_clock=clock,
            created_at=now,
        )

    def task_meta(self, task: Task, compiled: CompiledDefinition) -> HumanTaskMeta:
        """What deploy stored about a manual task (routing, form, deadline), or what its lane gives."""
        element_id = task.task_spec.name.split(" [", 1)[0]
        return compiled.meta.tasks.get(element_id) or HumanTaskMeta(
            element_id=element_id,
            name=task.task_spec.bpmn_name or element_id,
            lane=task.task_spec.lane,
            department=self.routes.lane(task.task_spec.lane, compiled.meta.options),
            candidate_groups=None,
            candidate_groups_is_expression=False,
            assignee=None,
            assignee_is_expression=False,
            form_key=None,
            priority=None,
            due_date=None,
        )

    def _value(self, task: Task, source: str | None, is_expression: bool) -> Any:
        if not source:
            return None
        if not is_expression:
            return source
        return self.script_engine.evaluate(task, source)

    def _assignee(self, instance: ProcessInstance, task: Task, meta: HumanTaskMeta) -> str | None:
        """The assignee the diagram names; a value that is not a username leaves the task to its department,
        with a note on the timeline, rather than failing every request that touches it."""
        value, ignored = self.assignee_of(task, meta)
        if ignored is not None:
            self.audit.record(instance, "task.assignee_ignored", SYSTEM.username, data=ignored)
        return value

    def assignee_of(self, task: Task, meta: HumanTaskMeta) -> tuple[str | None, dict[str, Any] | None]:
        """The assignee the diagram names, and what the timeline notes when the value is ignored."""
        value = self._value(task, meta.assignee, meta.assignee_is_expression)
        if value is None:
            return None, None
        reason = None
        if not (isinstance(value, str) and 0 < len(value) <= MAX_USERNAME):
            reason = "not a username"
        elif self.user_active is not None and not self.user_active(value):
            reason = "no active account"  # unknown, or deactivated since the diagram named them
        if reason is None:
            return value, None
        shown = repr(value)
        return None, {
            "step": meta.name,
            "value": shown if len(shown) <= 200 else shown[:200] + "…",
            "reason": reason,
        }

    def _priority(self, task: Task, meta: HumanTaskMeta) -> int:
        value = self._value(task, meta.priority, True)
        if value is None or value == "":
            return DEFAULT_PRIORITY
        try:
            priority = int(value)
        except (TypeError, ValueError):
            raise RoutingError(
                f"task '{meta.element_id}': priority {value!r} is not a whole number", meta.element_id
            ) from None
        if not 0 <= priority <= MAX_PRIORITY:
            raise RoutingError(
                f"task '{meta.element_id}': priority {priority} is outside 0-{MAX_PRIORITY}", meta.element_id
            )
        return priority

    def _resolve_department(self, task: Task, source: str, is_expression: bool) -> str | None:
        value = self._value(task, source, is_expression)
        return self.routes.code(str(value)) if value is not None else None

    def _departments(self, task: Task, meta: HumanTaskMeta) -> list[str]:
        """The task's department, then any further candidate departments (a list of candidateGroups)."""
        if meta.candidate_groups and meta.candidate_groups_is_expression and not meta.candidate_departments:
            value = self._value(task, meta.candidate_groups, True)
            return self.routes.candidates(value, meta)
        return self.routes.of_task(meta)

    def _due(
        self, task: Task, meta: HumanTaskMeta, compiled: CompiledDefinition
    ) -> tuple[datetime | None, str | None]:
        """When the task must be done, and whether that deadline counts business or calendar time."""
        if meta.due_date:
            value = self.script_engine.evaluate(task, meta.due_date)
            return _as_due(value, self.clock.now()), "calendar"
        return deadline_of(task, compiled.meta)

    @staticmethod
    def due_from(value: Any, start: datetime) -> datetime | None:
        """A dueDate expression's value as a due time: a duration counts from `start`."""
        return _as_due(value, start)

    def task_of(self, workflow: BpmnWorkflow, row: HumanTask) -> Task | None:
        """The workflow task behind an inbox row; None for an escalation (the engine's own row) or a task the
        workflow no longer has."""
        if row.kind != "task":
            return None
        try:
            return workflow.get_task_from_id(UUID(row.task_guid))
        except TaskNotFoundException:
            return None


def run_engine(workflow: BpmnWorkflow, fired: list[Task]) -> None:
    """do_engine_steps until nothing is left to run, collecting the boundary timers that fired.

    SpiffWorkflow's do_engine_steps ends with a timer refresh, which can ready a timer that only started
    waiting during this run and is already past due (a deadline computed in the past); run it now too, or
    it would sit READY, invisible to the timer job, until the instance next moves.

    A cycle timer (ISO `R3/PT24H` or cron) never completes while it repeats: each firing starts its path
    again as a new child of the timer, which goes on waiting. The first step of that path completing is
    the firing.
    """

    def completed(task: Task) -> None:
        if is_boundary_timer(task):
            fired.append(task)
        elif (
            task.parent is not None
            and is_boundary_timer(task.parent)
            and task.parent.has_state(TaskState.WAITING)
        ):
            fired.append(task.parent)

    for _ in range(100):
        workflow.do_engine_steps(did_complete_task=completed)
        if not workflow.get_tasks(state=TaskState.READY, manual=False):
            return


def _prime_start_timers(workflow: BpmnWorkflow, now: datetime) -> None:
    due = (now - timedelta(microseconds=1)).isoformat()
    for task in workflow.get_tasks():
        definition = getattr(task.task_spec, "event_definition", None)
        if type(task.task_spec).__name__ != "StartEvent" or not isinstance(definition, TimerEventDefinition):
            continue
        if isinstance(definition, CycleTimerEventDefinition):
            task.internal_data["event_value"] = {"cycles": 1, "next": due, "duration": 0.0}
        else:
            task.internal_data["event_value"] = due


def deadline_of(task: Task, meta: ParsedDefinition) -> tuple[datetime | None, str | None]:
    """The due time from the waiting boundary timers: the deadline timers, else the first escalation."""
    candidates: list[tuple[int, datetime, str]] = []
    for timer in timers_of(task):
        moment = parse_moment(timer.internal_data.get("event_value"))
        timer_meta = meta.boundary_timers.get(timer.task_spec.name)
        role = timer_meta.role if timer_meta else "deadline"
        if moment is None or role == "reminder":
            continue
        rank = 0 if role == "deadline" else 1
        candidates.append((rank, moment, timer_meta.clock if timer_meta else "calendar"))
    if not candidates:
        return None, None
    _, moment, clock = min(candidates)
    return moment, clock


def _as_due(value: Any, now: datetime) -> datetime | None:
    """A dueDate expression's value: a datetime, an ISO moment, or an ISO duration counted from now."""
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, str) and value.upper().startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(value)
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    return parse_moment(value)


def failed_element(exc: BaseException, workflow: BpmnWorkflow | None) -> str | None:
    """The BPMN id of the element the instance failed at: the task SpiffWorkflow names in its exception,
    else the task the failure left in ERROR, else the element a routing error names."""
    task = getattr(exc, "task", None)
    if isinstance(task, Task):
        return element_of(task)
    if workflow is not None:
        errored = workflow.get_tasks(state=TaskState.ERROR)
        if errored:
            return element_of(errored[0])
    found = getattr(exc, "element_id", None)
    return str(found) if found else None


def element_of(task: Task) -> str:
    """A task's BPMN id (a multi-instance child is named after its task)."""
    return str(task.task_spec.name).split(" [", 1)[0]


def describe(exc: BaseException) -> str:
    """An exception as one line for people: SpiffWorkflow's notes (which script, which line) included."""
    text = str(exc).strip() or exc.__class__.__name__
    # SpiffWorkflow wraps what a script or expression raised ("Error evaluating expression ..."): say why.
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text.rstrip('. ')}: {cause}"
    notes = getattr(exc, "__notes__", None)
    if notes:
        text += " (" + "; ".join(notes) + ")"
    return text[:2000]
