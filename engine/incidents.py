"""Incidents: instances that failed, listed with where and why, and what can be done about them.

A failed instance (engine.runtime.Runtime.fail) has closed its inbox rows and waits here. It can be

- retried: the task that failed is put back (SpiffWorkflow's `reset_from_task_id`) and the engine runs it
  again, after an optional data patch merged into that task's data ("after the data was fixed");
- retried on another version of its process ("after the diagram was fixed"), when every element still
  running (ready, waiting, started or failed) exists in that version: SpiffWorkflow's workflow diff moves the
  tasks to the new version's elements. Finished tasks are not asked about: the saved state leaves most of
  them behind (engine.pruning), and what already ran does not run again;
- cancelled, with a reason.

Each action is a row in the audit trail (who, when, what, why), so it shows on the request's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.definitions import CompiledDefinition
from engine.errors import Conflict, InvalidData, NotFound
from engine.events import InstanceRetried, TaskCreated
from engine.inbox import reopen_candidates
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.runtime import Runtime, describe, element_of
from engine.task_data import refuse_unstorable

# What is still running in an instance: these tasks must exist in a version it is moved to.
RUNNING = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
MAX_REASON = 2000

Version = int | Literal["latest"]


@dataclass(frozen=True)
class Incident:
    instance: ProcessInstance
    element_id: str | None
    element_name: str | None
    # The process's latest version when it is newer than the instance's: the one to retry on.
    newer_version: int | None

    @property
    def version(self) -> int:
        return self.instance.definition.version

    @property
    def failed_at(self) -> datetime:
        return self.instance.failed_at or self.instance.updated_at


class IncidentService:
    def __init__(self, session: Session, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.audit = runtime.audit
        self.clock = runtime.clock

    # -- listing -----------------------------------------------------------------------------------------

    def failed(self, *, process_key: str | None = None, limit: int = 200) -> list[Incident]:
        """Failed instances, the most recent failure first."""
        query = select(ProcessInstance).where(ProcessInstance.status == "error")
        if process_key:
            query = query.where(ProcessInstance.process_key == process_key)
        query = query.order_by(
            ProcessInstance.failed_at.desc().nulls_last(), ProcessInstance.id.desc()
        ).limit(limit)
        latest = self.runtime.definitions.latest_versions()
        return [self._incident(instance, latest) for instance in self.session.scalars(query)]

    def get(self, instance_id: int) -> Incident:
        return self._incident(self._failed_instance(instance_id), self.runtime.definitions.latest_versions())

    def _incident(self, instance: ProcessInstance, latest: Mapping[str, int]) -> Incident:
        newest = latest.get(instance.process_key)
        return Incident(
            instance=instance,
            element_id=instance.error_element,
            element_name=self._element_name(instance.definition, instance.error_element),
            newer_version=newest if newest is not None and newest > instance.definition.version else None,
        )

    def _element_name(self, definition: ProcessDefinition, element: str | None) -> str | None:
        if not element:
            return None
        try:
            compiled = self.runtime.specs.get(definition)
        except Exception:  # a version that no longer compiles still lists its incidents
            return None
        for spec in (compiled.spec, *compiled.subprocess_specs.values()):
            task_spec = spec.task_specs.get(element)
            if task_spec is not None:
                return getattr(task_spec, "bpmn_name", None) or None
        return None

    def _failed_instance(self, instance_id: int) -> ProcessInstance:
        instance = self.runtime.get(instance_id, with_state=True)
        if instance.status != "error":
            raise Conflict(f"instance {instance_id} has not failed (it is {instance.status})")
        return instance

    # -- retry ---------------------------------------------------------------------------------------------

    def retry(
        self,
        instance_id: int,
        actor: Actor,
        *,
        version: Version | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> ProcessInstance:
        """Run the failed instance again from the task that failed, on its version or on `version` (a number
        or "latest"), with `data` merged into that task's data first. Failing again keeps it an incident
        with the new error."""
        instance = self._failed_instance(instance_id)
        if data is not None:
            refuse_unstorable(data)
        target = self._target(instance, version)
        try:
            workflow, compiled = self.runtime.load(instance)
        except Exception as exc:
            raise Conflict(f"the state of instance {instance_id} cannot be read: {describe(exc)}") from exc
        before = instance.definition
        if target is not None:
            compiled = self._move(instance, workflow, target)
        try:
            patched = self._put_back(workflow, instance.error_element, dict(data or {}))
        except Exception as exc:  # a tree SpiffWorkflow cannot reset: say so rather than fail the request
            raise Conflict(
                f"the failed task of instance {instance_id} cannot be run again: {describe(exc)}"
            ) from exc
        if target is not None:  # moved: the instance runs on the target version from now on
            instance.definition = target
            instance.definition_id = target.id
        previous = {"error": instance.error, "element": instance.error_element}
        moved = {"version": [before.version, target.version]} if target is not None else {}
        instance.status = "running"
        instance.error = None
        instance.error_element = None
        instance.failed_at = None
        self.audit.record(
            instance,
            "instance.retried",
            actor.username,
            "error",
            "running",
            {**previous, **moved, "tasks": patched, "data": sorted(data or {})},
        )
        self.runtime.events.publish(self.session, InstanceRetried(instance, actor.username))
        self._reopen(instance, workflow, actor)
        self.runtime.advance(instance, workflow, actor, compiled, refresh_timers=True)
        return instance

    def _target(self, instance: ProcessInstance, version: Version | None) -> ProcessDefinition | None:
        """The version to move the instance to; None to retry on its own."""
        if version is None:
            return None
        definitions = self.runtime.definitions
        current = instance.definition
        if version == "latest":
            target = definitions.latest(instance.process_key)
            if target.version <= current.version:
                raise Conflict(
                    f"process '{instance.process_key}' has no version newer than v{current.version}: "
                    "deploy the fixed diagram first"
                )
            return target
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidData("invalid version", {"version": "a version number, or latest"})
        try:
            target = definitions.get(instance.process_key, version)
        except NotFound as exc:
            raise InvalidData("invalid version", {"version": str(exc)}) from None
        return None if target.id == current.id else target

    def _move(
        self, instance: ProcessInstance, workflow: BpmnWorkflow, target: ProcessDefinition
    ) -> CompiledDefinition:
        """Move the workflow to `target` if everything running exists there; refuse naming what does not.
        (The instance is pointed at `target` by the caller, once nothing else can refuse the retry.)"""
        compiled = self.runtime.specs.get(target)
        registry = self.runtime.serializer.registry
        top, subprocess_diffs = diff_workflow(registry, workflow, compiled.spec, compiled.subprocess_specs)
        diffs: dict[int, WorkflowDiff | None] = {id(workflow): top}
        for sp_id, subprocess in workflow.subprocesses.items():
            diffs[id(subprocess)] = subprocess_diffs.get(sp_id)
        missing: dict[str, str] = {}
        for task in workflow.get_tasks(state=RUNNING):
            diff = diffs.get(id(task.workflow))
            if diff is None or task in diff.removed:
                missing[element_of(task)] = task.task_spec.bpmn_name or element_of(task)
        if missing:
            named = ", ".join(f"'{element}'" for element in sorted(missing))
            raise Conflict(
                f"version {target.version} of '{target.key}' lacks the running element(s) {named}: "
                "the instance cannot move to it"
            )
        try:
            migrate_workflow(top, workflow, compiled.spec)
            for sp_id, diff in subprocess_diffs.items():
                subprocess = workflow.subprocesses.get(sp_id)
                if diff is not None and subprocess is not None:
                    migrate_workflow(diff, subprocess, compiled.subprocess_specs[subprocess.spec.name])
        except Exception as exc:
            raise Conflict(
                f"instance {instance.id} cannot move to version {target.version}: {describe(exc)}"
            ) from exc
        workflow.subprocess_specs = compiled.subprocess_specs
        return compiled

    def _put_back(self, workflow: BpmnWorkflow, element: str | None, data: dict[str, Any]) -> list[str]:
        """Reset the failed tasks so they run again, `data` merged into theirs. Without a task in ERROR (a
        step that could not be routed, a timer whose expression failed, a step's own script stopped) the
        data goes to the running tasks of the element it failed at, else to the ready tasks. Returns the
        elements put back."""
        failed = workflow.get_tasks(state=TaskState.ERROR)
        for task in failed:
            merged = {**task.data, **data} if data else None
            workflow.reset_from_task_id(task.id, data=merged)
            if data:
                # The reset task takes its parent's data over what it was given (SpiffWorkflow merges the
                # parent's in as it readies it): the patch goes to the parent too, then to the task again.
                reset = workflow.get_task_from_id(task.id)
                if reset.parent is not None:
                    reset.parent.data.update(data)
                reset.data.update(data)
        if not failed and data:
            running = workflow.get_tasks(state=RUNNING)
            at_element = [t for t in running if element is not None and element_of(t) == element]
            for task in at_element or [t for t in running if t.has_state(TaskState.READY)]:
                task.data.update(data)
        return [element_of(task) for task in failed]

    def _reopen(self, instance: ProcessInstance, workflow: BpmnWorkflow, actor: Actor) -> None:
        """The steps still waiting for a person get their inbox rows back (closed when the instance failed),
        with their deadlines and escalation levels; the engine then opens rows for any new ones."""
        ready = sorted(str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True))
        if not ready:
            return
        rows = self.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id,
                HumanTask.kind == "task",
                HumanTask.state == "cancelled",
                HumanTask.task_guid.in_(ready),
            )
        )
        for row in rows:
            row.state = "open"
            row.completed_at = None
            reopen_candidates(self.session, row)
            self.audit.record(
                instance,
                "task.reopened",
                actor.username,
                "cancelled",
                "open",
                {"department": row.department},
                task=row,
            )
            self.runtime.events.publish(self.session, TaskCreated(instance, row))
        self.session.flush()  # the engine's own look at the open rows reads them from the database

    # -- cancel --------------------------------------------------------------------------------------------

    def cancel(self, instance_id: int, actor: Actor, reason: str) -> ProcessInstance:
        """Give up on the failed instance: cancelled, its rows closed, its timers cleared, the reason kept."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidData("a reason is required", {"reason": "required"})
        if len(reason) > MAX_REASON:
            raise InvalidData(
                "the reason is too long", {"reason": f"must be at most {MAX_REASON} characters"}
            )
        instance = self._failed_instance(instance_id)
        self.runtime.cancel(
            instance, actor, reason, {"error": instance.error, "element": instance.error_element}
        )
        self.session.flush()
        return instance
