"""Instance state as JSON, without the process spec.

SpiffWorkflow's serializer embeds the whole parsed diagram in every saved workflow (about 8 KB for a
dozen nodes) and rebuilds it on every load. The spec belongs to the definition version, which is
immutable and cached per process, so instances store only their task tree and data and are re-attached
to the cached spec on load. This keeps a checkpoint's size proportional to the instance's own state.

Past a size, the state saved leaves behind the finished tasks the running instance no longer reads
(engine.pruning), so that a step costs the same after three hundred steps as after five.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.deep_merge import DeepMerge

from engine.pruning import PRUNE_ABOVE, Pruning, plan

FORMAT = "lintel-2"
# Saved before tasks left out what every task has (below): still read.
FORMATS = frozenset({"lintel-1", FORMAT})
_NO_CHANGE: dict[str, Any] = {"updates": {}, "deletions": []}


def _compact(tasks: dict[str, Any]) -> None:
    """Leave out of each saved task what most tasks hold and `_expand` puts back: its id (the key), empty
    internal data, no data of its own (a delta with no change), not triggered, the plain task type. A
    return visit's state is a third smaller, and every save and load handles that much less."""
    for task in tasks.values():
        del task["id"]
        if not task["internal_data"]:
            del task["internal_data"]
        if task["parent"] is None:
            if task["delta"] == {}:
                del task["delta"]
        elif task["data"] == {} and task["delta"] == _NO_CHANGE:
            del task["data"], task["delta"]
        if task["triggered"] is False:
            del task["triggered"]
        if task.get("typename") == "Task":
            del task["typename"]


def _expand(tasks: dict[str, Any]) -> None:
    for key, task in tasks.items():
        task["id"] = key
        task.setdefault("internal_data", {})
        if task["parent"] is None:
            task.setdefault("delta", {})
        elif "delta" not in task:
            task["data"] = {}
            task["delta"] = {"updates": {}, "deletions": []}
        task.setdefault("data", {})
        task.setdefault("triggered", False)
        task.setdefault("typename", "Task")


def _each_task_map(dct: dict[str, Any]) -> list[dict[str, Any]]:
    maps = [dct["tasks"]]
    for sub in (dct.get("subprocesses") or {}).values():
        if isinstance(sub, dict) and isinstance(sub.get("tasks"), dict):
            maps.append(sub["tasks"])
    return maps


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    prune_above: int | None = PRUNE_ABOVE

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        pruning = plan(workflow, self.prune_above)
        dct: dict[str, Any]
        if pruning is None:
            dct = WorkflowConverter.to_dict(self, workflow)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        else:
            # WorkflowConverter.to_dict with only the kept tasks and subprocesses.
            last = workflow.last_task
            dct = {
                "data": self.registry.convert(self.registry.clean(workflow.data)),
                "correlations": workflow.correlations,
                "last_task": str(last.id) if last is not None else None,
                "success": workflow.success,
                "completed": workflow.completed,
                "tasks": self._pruned_tasks(workflow, pruning),
                "root": str(workflow.task_tree.id),
                "subprocesses": {
                    str(k): self.registry.convert(v)
                    for k, v in workflow.subprocesses.items()
                    if k in pruning.subprocesses
                },
            }
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def _pruned_tasks(self, workflow: BpmnWorkflow, pruning: Pruning) -> dict[str, Any]:
        tasks = {}
        for task_id in pruning.keep:
            task = workflow.tasks[task_id]
            dct = self.registry.convert(task)
            dct["children"] = [str(child) for child in pruning.children[task_id]]
            parent_id = pruning.parent[task_id]
            if pruning.reparented(task_id, task._parent) and parent_id is not None:
                # The delta is recomputed against the new parent (the data is whole in memory).
                parent = workflow.tasks[parent_id]
                dct["parent"] = str(parent_id)
                dct["delta"] = {
                    "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                    "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
                }
            tasks[str(task_id)] = dct
        return tasks

    def from_dict(
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec,
        subprocess_specs: dict[str, BpmnProcessSpec],
    ) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class InstanceSerializer:
    """Turns a running workflow into compact JSON and back, given the spec it runs.

    `prune_above`: past this many tasks the saved state leaves behind the finished tasks nothing running
    reads (engine.pruning); None saves every task, as SpiffWorkflow does."""

    def __init__(self, *, prune_above: int | None = PRUNE_ABOVE) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpeclessWorkflowConverter
        registry = BpmnWorkflowSerializer.configure(config)
        converter = _SpeclessWorkflowConverter(BpmnWorkflow, registry)
        converter.prune_above = prune_above
        self.prune_above = prune_above
        self._serializer = BpmnWorkflowSerializer(registry)
        self.registry = self._serializer.registry
        self.spec_version = self._serializer.VERSION

    def dumps(self, workflow: BpmnWorkflow) -> str:
        registry = self.registry
        registry._encoder_mode = True
        try:
            dct = registry.convert(workflow)
            for tasks in _each_task_map(dct):
                _compact(tasks)
            dct["format"] = FORMAT
            dct["spiff"] = self.spec_version
            return json.dumps(dct, cls=self._serializer._encoder_cls, separators=(",", ":"))
        finally:
            registry._encoder_mode = False

    def loads(
        self, state: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        dct = json.loads(state, cls=self._serializer.json_decoder_cls)
        saved_as = dct.pop("format", None)
        if saved_as not in FORMATS:
            raise ValueError("instance state was saved in an unknown format")
        if saved_as == FORMAT:
            for tasks in _each_task_map(dct):
                _expand(tasks)
        if dct.pop("spiff", None) != self.spec_version:
            raise ValueError("instance state was saved by another SpiffWorkflow serializer version")
        workflow: BpmnWorkflow = self.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        return workflow
