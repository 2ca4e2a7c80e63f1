"""Moving running instances from the version of their process they started on to another version.

A process owner deploys a new version; the running instances stay on theirs until moved. Moving one runs
SpiffWorkflow's workflow diff (`bpmn.util.diff`): each task is aligned with the element of the same id in the
target version, and the waiting and ready branches are predicted again over the target's diagram. A running
step whose element the target lacks cannot be moved unless the process owner names the element it becomes
(`mapping`, old element id → new element id). The preview does the whole move in memory and keeps nothing,
so what it calls movable is what a run moves.

What a person sees stays as it was: the inbox rows (claim, assignee, department, created time) are kept and
re-pointed to their tasks, and the deadline clocks keep the time already spent: SpiffWorkflow restarts a
waiting boundary timer when it moves it, so each timer of a step is computed again as if the step had just
started when its inbox row was opened (a timer "48 hours from the start of the step" keeps its moment; a
deadline the new version makes longer or shorter counts from that start too).

Each instance moves in its own savepoint: one that fails is listed with its reason, the rest still move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.definitions import CompiledDefinition
from engine.errors import InvalidData, NotFound
from engine.escalation import timers_of
from engine.events import InstanceMigrated
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.pruning import plan as prune_plan
from engine.runtime import Runtime, deadline_of, describe, element_of
from engine.serialization import InstanceSerializer
from engine.timing import engine_clock
from lintel.clock import FixedClock

# Still running: a task in one of these states must have its element in the target version.
RUNNING = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
# The hidden task specs SpiffWorkflow adds around an activity with boundary events.
_HIDDEN = (".BoundaryEventSplit", ".BoundaryEventJoin")


class Blocked(Exception):
    """The instance cannot move; the message says why, for the process owner."""


@dataclass(frozen=True)
class BlockedInstance:
    instance_id: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "reason": self.reason}


@dataclass
class Outcome:
    """What a preview found or a run did: instances that can move (or moved), and those that cannot."""

    movable: list[int] = field(default_factory=list)
    blocked: list[BlockedInstance] = field(default_factory=list)

    @property
    def moved(self) -> list[int]:
        return self.movable


@dataclass(frozen=True)
class DeadlineChange:
    """What a move does to the due time of one open step of an instance."""

    step: str  # the step's name in the target version
    before: datetime | None
    after: datetime | None


@dataclass(frozen=True)
class SavedTimer:
    """A waiting boundary timer of a ready step before the move: its element and its state."""

    spec: TaskSpec
    internal_data: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """An element of a version, as the page offers it."""

    element_id: str
    name: str  # "" for an element drawn without a name


@dataclass
class MigrationPlan:
    """A move between two versions of one process, with the process owner's mapping, checked."""

    source: ProcessDefinition
    target: ProcessDefinition
    compiled_source: CompiledDefinition
    compiled_target: CompiledDefinition
    mapping: dict[str, str]
    alignment: dict[TaskSpec, TaskSpec | None]
    spec_diff: SpecDiff
    sub_diffs: dict[str, SpecDiff | None] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.source.key

    def removed_steps(self) -> list[Step]:
        """The source's elements the target lacks (before the mapping): the steps that may need one."""
        found = []
        for spec, aligned in self.spec_diff.alignment.items():
            if aligned is None and _shown(spec) and not spec.name.endswith(_HIDDEN):
                found.append(Step(spec.name, spec.bpmn_name or ""))
        return sorted(found, key=lambda s: s.element_id)

    def target_steps(self, element_id: str) -> list[Step]:
        """The target's elements the source's `element_id` may be mapped to: named ones of its kind."""
        kind = type(self.compiled_source.spec.task_specs[element_id])
        specs = self.compiled_target.spec.task_specs.values()
        steps = [Step(s.name, s.bpmn_name) for s in specs if _shown(s) and type(s) is kind and s.bpmn_name]
        return sorted(steps, key=lambda s: s.element_id)

    def mapped_steps(self) -> list[str]:
        """The hand mapping by the steps' names: "客服分派 → 分派登记"."""
        old = self.compiled_source.spec.task_specs
        new = self.compiled_target.spec.task_specs
        return [f"{old[a].bpmn_name or a} → {new[b].bpmn_name or b}" for a, b in sorted(self.mapping.items())]

    def new_element(self, element_id: str) -> str:
        return self.mapping.get(element_id, element_id)


def _shown(spec: TaskSpec) -> bool:
    """An element of the diagram (not one of SpiffWorkflow's own hidden specs: Start, End, joins)."""
    return getattr(spec, "bpmn_id", None) is not None and not spec.name.endswith(_HIDDEN)


class Migrations:
    def __init__(self, session: Session, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self._pruning: InstanceSerializer | None = None  # saves only what a running instance reads

    # -- the plan ----------------------------------------------------------------------------------------

    def plan(
        self, key: str, from_version: int, to_version: int, mapping: Mapping[str, str] | None = None
    ) -> MigrationPlan:
        """Check the versions and the mapping. NotFound: no such process or version; InvalidData: the same
        version twice, or a mapping that names elements the versions do not have."""
        definitions = self.runtime.definitions
        if definitions.latest_or_none(key) is None:
            raise NotFound(f"no process '{key}' is deployed")
        source = definitions.get(key, from_version)
        target = definitions.get(key, to_version)
        if source.id == target.id:
            raise InvalidData(
                "the versions are the same", {"to_version": "choose a version other than from_version"}
            )
        compiled_source = self.runtime.specs.get(source)
        compiled_target = self.runtime.specs.get(target)
        checked = self._checked_mapping(compiled_source, compiled_target, mapping or {})
        registry = self.runtime.serializer.registry
        spec_diff = SpecDiff(registry, compiled_source.spec, compiled_target.spec)
        alignment = dict(spec_diff.alignment)
        new_specs = compiled_target.spec.task_specs
        for old, new in checked.items():
            for suffix in ("", *_HIDDEN):
                old_spec = compiled_source.spec.task_specs.get(old + suffix)
                if old_spec is not None:
                    alignment[old_spec] = new_specs.get(new + suffix)
        sub_diffs: dict[str, SpecDiff | None] = {}
        for name, spec in compiled_source.subprocess_specs.items():
            new_spec = compiled_target.subprocess_specs.get(name)
            sub_diffs[name] = SpecDiff(registry, spec, new_spec) if new_spec is not None else None
        return MigrationPlan(
            source, target, compiled_source, compiled_target, checked, alignment, spec_diff, sub_diffs
        )

    @staticmethod
    def _checked_mapping(
        source: CompiledDefinition, target: CompiledDefinition, mapping: Mapping[str, str]
    ) -> dict[str, str]:
        problems: dict[str, str] = {}
        checked: dict[str, str] = {}
        for old, new in mapping.items():
            if not isinstance(old, str) or not isinstance(new, str):
                problems[str(old)] = "map an element id to an element id"
                continue
            old_spec = source.spec.task_specs.get(old)
            new_spec = target.spec.task_specs.get(new)
            if old_spec is None or not _shown(old_spec):
                problems[old] = f"version {source.version} has no element '{old}'"
            elif new_spec is None or not _shown(new_spec):
                problems[old] = f"version {target.version} has no element '{new}'"
            elif type(old_spec) is not type(new_spec):
                problems[old] = (
                    f"'{old}' is a {type(old_spec).__name__} and '{new}' a {type(new_spec).__name__}: "
                    "map a step to a step of the same kind"
                )
            else:
                checked[old] = new
        if problems:
            raise InvalidData("invalid mapping", {f"mapping.{k}": v for k, v in problems.items()})
        return checked

    def running(self, plan: MigrationPlan) -> list[int]:
        """The running instances on the plan's source version, oldest first."""
        return list(
            self.session.scalars(
                select(ProcessInstance.id)
                .where(ProcessInstance.definition_id == plan.source.id, ProcessInstance.status == "running")
                .order_by(ProcessInstance.id)
            )
        )

    # -- preview and run ---------------------------------------------------------------------------------

    def preview(self, plan: MigrationPlan, instance_ids: Iterable[int] | None = None) -> Outcome:
        """Which running instances can move and which cannot, and why. Nothing is changed."""
        outcome = Outcome()
        ids = list(instance_ids) if instance_ids is not None else self.running(plan)
        for start in range(0, len(ids), 200):
            for instance in self.runtime.get_many(ids[start : start + 200]):
                try:
                    self._moved_workflow(plan, instance)  # (its timers are not needed here)
                except Blocked as blocked:
                    outcome.blocked.append(BlockedInstance(instance.id, str(blocked)))
                else:
                    outcome.movable.append(instance.id)
        return outcome

    def deadline_changes(
        self, plan: MigrationPlan, instance_ids: Iterable[int]
    ) -> dict[int, list[DeadlineChange]]:
        """What moving each instance would do to the due times of its open steps, for the steps whose due
        time changes (a step waiting for the owner keeps its clock stopped and is left out). Nothing is
        changed; instances that cannot move are left out."""
        found: dict[int, list[DeadlineChange]] = {}
        for instance in self.runtime.get_many(list(instance_ids)):
            try:
                workflow, timers = self._moved_workflow(plan, instance)
            except Blocked:
                continue
            changes = []
            ready = {t.id: t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
            rows = self._open_rows(instance)
            taken = {UUID(r.task_guid) for r in rows if UUID(r.task_guid) in ready}
            for row in rows:
                task = self._task_of(plan, ready, taken, row)
                if task is None or row.waiting_since is not None:
                    continue
                self._keep_timers(plan, task, row, timers)
                due, _clock = self._due(plan, task, row)
                if due != row.due_at:
                    name = self.runtime.task_meta(task, plan.compiled_target).name
                    changes.append(DeadlineChange(name, row.due_at, due))
            if changes:
                found[instance.id] = changes
        return found

    def run(
        self,
        plan: MigrationPlan,
        actor: Actor,
        instance_ids: Iterable[int] | None = None,
        on_each: Callable[[int, str | None], None] | None = None,
    ) -> Outcome:
        """Move each instance in its own savepoint; one that cannot move is listed with its reason and the
        rest go on. `on_each` is told each instance id and its refusal (None when it moved)."""
        outcome = Outcome()
        ids = list(instance_ids) if instance_ids is not None else self.running(plan)
        for instance_id in ids:
            reason = self.move_one(plan, instance_id, actor)
            if reason is None:
                outcome.movable.append(instance_id)
            else:
                outcome.blocked.append(BlockedInstance(instance_id, reason))
            if on_each is not None:
                on_each(instance_id, reason)
        return outcome

    def move_one(self, plan: MigrationPlan, instance_id: int, actor: Actor) -> str | None:
        """Move one instance in a savepoint: None when it moved, else why it could not (nothing changed)."""
        savepoint = self.session.begin_nested()
        try:
            self.move(plan, instance_id, actor)
        except Blocked as blocked:
            savepoint.rollback()
            return str(blocked)
        except Exception as exc:  # a state or a diagram SpiffWorkflow cannot move: listed, not raised
            savepoint.rollback()
            return f"迁移失败：{describe(exc)}"
        savepoint.commit()
        return None

    def move(self, plan: MigrationPlan, instance_id: int, actor: Actor) -> None:
        """Move the instance to the plan's target version, or raise Blocked saying why it cannot."""
        instance = self.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise Blocked("工单不存在")
        workflow, timers = self._moved_workflow(plan, instance)
        target = plan.compiled_target
        rows = self._open_rows(instance)
        due_before = {row.id: row.due_at for row in rows}
        renamed = self._repoint(plan, workflow, rows, timers)
        instance.definition = plan.target
        instance.definition_id = plan.target.id
        # The steps whose due time the new version changes, for the request's timeline.
        deadlines = [
            {"step": row.name, "due_at": row.due_at.isoformat() if row.due_at else None}
            for row in rows
            if row.due_at != due_before[row.id]
        ]
        self.runtime.audit.record(
            instance,
            "instance.migrated",
            actor.username,
            data={
                "version": [plan.source.version, plan.target.version],
                **({"mapping": dict(plan.mapping), "steps": plan.mapped_steps()} if plan.mapping else {}),
                **({"deadlines": deadlines} if deadlines else {}),
            },
        )
        self.runtime.events.publish(
            self.session,
            InstanceMigrated(instance, plan.source.version, plan.target.version, actor.username, renamed),
        )
        self.runtime.advance(instance, workflow, actor, target, refresh_timers=True)
        if instance.status == "error":  # the new version fails it at once: it stays where it was
            raise Blocked(f"迁移后流程出错：{instance.error or ''}".rstrip("："))

    # -- moving one workflow -----------------------------------------------------------------------------

    def _moved_workflow(
        self, plan: MigrationPlan, instance: ProcessInstance
    ) -> tuple[BpmnWorkflow, dict[tuple[UUID, str], SavedTimer]]:
        """The instance's workflow moved to the target in memory (Blocked: it cannot be), and the timers
        its ready steps had before, by step and timer."""
        if instance.status != "running":
            raise Blocked("工单已不在进行中")
        if instance.definition_id != plan.source.id:
            raise Blocked(f"工单不在第{plan.source.version}版上")
        try:
            workflow, _ = self.runtime.load(instance)
        except Exception as exc:
            raise Blocked(f"工单的流程状态无法读取：{describe(exc)}") from exc
        version = plan.target.version
        missing = [
            task
            for task in workflow.get_tasks(state=RUNNING, skip_subprocesses=True)
            if plan.alignment.get(task.task_spec) is None
        ]
        if missing:
            names = "、".join(dict.fromkeys(f"『{_name(t.task_spec, plan)}』" for t in missing))
            raise Blocked(f"当前步骤{names}在第{version}版中不存在")
        for subprocess in workflow.subprocesses.values():
            if plan.sub_diffs.get(subprocess.spec.name) is None:
                raise Blocked(f"子流程『{subprocess.spec.name}』在第{version}版中不存在")
        # A ready step keeps what was saved on it (SpiffWorkflow resets its data to its parent's).
        kept = {t.id: dict(t.data) for t in workflow.get_tasks(state=TaskState.READY)}
        timers = {
            (task.id, timer.task_spec.name): SavedTimer(timer.task_spec, dict(timer.internal_data))
            for task in workflow.get_tasks(state=TaskState.READY, manual=True)
            for timer in timers_of(task)
        }
        diff = WorkflowDiff.__new__(WorkflowDiff)
        diff.removed, diff.changed = [], []
        diff.alignment = {
            t: plan.alignment.get(t.task_spec) for t in workflow.get_tasks(skip_subprocesses=True)
        }
        try:
            with engine_clock(self.runtime.clock):
                migrate_workflow(diff, workflow, plan.compiled_target.spec)
                for subprocess in list(workflow.subprocesses.values()):
                    sub_diff = plan.sub_diffs[subprocess.spec.name]
                    assert sub_diff is not None
                    migrate_workflow(
                        WorkflowDiff(subprocess, sub_diff),
                        subprocess,
                        plan.compiled_target.subprocess_specs[subprocess.spec.name],
                    )
        except Exception as exc:
            raise Blocked(f"无法迁移：{describe(exc)}") from exc
        workflow.subprocess_specs = plan.compiled_target.subprocess_specs
        for task in workflow.get_tasks(state=TaskState.READY):
            if task.id in kept:
                task.data = kept[task.id]
        return self._on_target(plan, workflow), timers

    def _on_target(self, plan: MigrationPlan, workflow: BpmnWorkflow) -> BpmnWorkflow:
        """Every task left in the tree must stand on an element of the target, finished ones too: the saved
        state names each task's element, and one the target lacks could not be loaded again. Finished
        tasks of removed elements that nothing running reads any more (a step the request passed long
        ago) are left behind, as a long instance's saved state leaves them (engine.pruning): the timeline
        keeps them. One still read (the step a join waits on) blocks the move."""
        gone = _gone(plan, workflow)
        if not gone:
            return workflow
        pruning = prune_plan(workflow, 0)
        kept = set(pruning.keep) if pruning is not None else set(workflow.tasks)
        still_read = [t for t in gone if t.id in kept or t.workflow is not workflow]
        if still_read:
            names = "、".join(dict.fromkeys(f"『{_name(t.task_spec, plan)}』" for t in still_read))
            raise Blocked(f"已完成的步骤{names}在第{plan.target.version}版中不存在")
        if self._pruning is None:
            self._pruning = InstanceSerializer(prune_above=0)
        state = self._pruning.dumps(workflow)
        target = plan.compiled_target
        moved: BpmnWorkflow = self.runtime.serializer.loads(state, target.spec, target.subprocess_specs)
        moved.script_engine = self.runtime.script_engine
        return moved

    def _open_rows(self, instance: ProcessInstance) -> list[HumanTask]:
        return list(
            self.session.scalars(
                select(HumanTask)
                .where(
                    HumanTask.instance_id == instance.id,
                    HumanTask.state == "open",
                    HumanTask.kind == "task",
                )
                .order_by(HumanTask.id)
            )
        )

    def _repoint(
        self,
        plan: MigrationPlan,
        workflow: BpmnWorkflow,
        rows: list[HumanTask],
        timers: Mapping[tuple[UUID, str], SavedTimer],
    ) -> list[HumanTask]:
        """Point each open inbox row at its task in the moved workflow (by id, else the ready task of the
        element it became), with the target's name and form, and its deadline counted from when the row
        was opened. Returns the rows whose step name changed."""
        ready = {t.id: t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        taken = {UUID(r.task_guid) for r in rows if UUID(r.task_guid) in ready}
        renamed = []
        for row in rows:
            task = self._task_of(plan, ready, taken, row)
            if task is None:
                continue  # nothing of it is left: the engine closes the row as it runs
            row.task_guid = str(task.id)
            self._keep_timers(plan, task, row, timers)
            task_meta = self.runtime.task_meta(task, plan.compiled_target)
            if row.name != task_meta.name:
                renamed.append(row)
            row.element_id = element_of(task)
            row.name = task_meta.name
            row.form_key = task_meta.form_key
            row.due_at, row.deadline_clock = self._due(plan, task, row)
        return renamed

    @staticmethod
    def _task_of(
        plan: MigrationPlan, ready: dict[UUID, Task], taken: set[UUID], row: HumanTask
    ) -> Task | None:
        """The moved workflow's task of an inbox row: by its id, else the ready task of the element its step
        became (marked taken), else None."""
        task = ready.get(UUID(row.task_guid))
        if task is not None:
            return task
        wanted = plan.new_element(row.element_id)
        task = next((t for t in ready.values() if element_of(t) == wanted and t.id not in taken), None)
        if task is not None:
            taken.add(task.id)
        return task

    def _due(self, plan: MigrationPlan, task: Task, row: HumanTask) -> tuple[datetime | None, str | None]:
        """The step's due time and clock on the target, counted from when its inbox row was opened."""
        task_meta = self.runtime.task_meta(task, plan.compiled_target)
        if task_meta.due_date:
            with engine_clock(FixedClock(row.created_at)):
                value = self.runtime.script_engine.evaluate(task, task_meta.due_date)
            return self.runtime.due_from(value, row.created_at), "calendar"
        return deadline_of(task, plan.compiled_target.meta)

    def _keep_timers(
        self,
        plan: MigrationPlan,
        task: Task,
        row: HumanTask,
        saved: Mapping[tuple[UUID, str], SavedTimer],
    ) -> None:
        """The step's waiting boundary timers as they were, or counted from when the step began.

        A timer the new version keeps unchanged keeps its state exactly (its due time, a deadline moved by
        hand, a pause while the owner is asked). A new or changed one is computed as of the moment the step
        began (its inbox row was opened), so the time already spent counts, and held like the others when
        the step waits for the owner. Timers that fired before the move stay fired."""
        restarted = False
        for timer in timers_of(task):
            before = saved.get((task.id, timer.task_spec.name))
            unchanged = (
                before is not None
                and plan.alignment.get(before.spec) is timer.task_spec
                and not plan.spec_diff.comparisons.get(before.spec)
            )
            timer.internal_data.pop("event_value", None)
            timer.internal_data.pop("event_fired", None)
            if before is not None and unchanged:
                timer.internal_data.update(before.internal_data)
                continue
            restarted = True
            definition = timer.task_spec.event_definition
            with engine_clock(FixedClock(row.created_at)):
                if isinstance(definition, CycleTimerEventDefinition):
                    definition.cycle_complete(timer)
                else:
                    definition.has_fired(timer)
            timer.internal_data.pop("event_fired", None)
        if restarted and row.waiting_since is not None:
            self.runtime.deadlines.pause(task, plan.compiled_target.meta)


def _gone(plan: MigrationPlan, workflow: BpmnWorkflow) -> list[Task]:
    """Tasks whose element is not the target's (a task spec missing from a loaded state is None)."""
    target = plan.compiled_target
    gone = []
    for task in workflow.get_tasks():
        if task.workflow is workflow:
            specs = target.spec.task_specs
        else:
            sub = target.subprocess_specs.get(task.workflow.spec.name)
            specs = sub.task_specs if sub is not None else {}
        if specs.get(task.task_spec.name) is not task.task_spec:
            gone.append(task)
    return gone


def _name(spec: TaskSpec, plan: MigrationPlan) -> str:
    """The name a process owner knows an element by (an activity's for the specs hidden around it)."""
    name = spec.name
    for suffix in _HIDDEN:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            own = plan.compiled_source.spec.task_specs.get(name)
            return (own.bpmn_name if own is not None else None) or name
    return spec.bpmn_name or name
