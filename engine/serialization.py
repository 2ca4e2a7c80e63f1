"""Instance state as JSON, without the process spec.

SpiffWorkflow's serializer embeds the whole parsed diagram in every saved workflow (about 8 KB for a
dozen nodes) and rebuilds it on every load. The spec belongs to the definition version, which is
immutable and cached per process, so instances store only their task tree and data and are re-attached
to the cached spec on load. This keeps a checkpoint's size proportional to the instance's own state.
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

FORMAT = "lintel-1"


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

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
    """Turns a running workflow into compact JSON and back, given the spec it runs."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpeclessWorkflowConverter
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.registry = self._serializer.registry
        self.spec_version = self._serializer.VERSION

    def dumps(self, workflow: BpmnWorkflow) -> str:
        registry = self.registry
        registry._encoder_mode = True
        try:
            dct = registry.convert(workflow)
            dct["format"] = FORMAT
            dct["spiff"] = self.spec_version
            return json.dumps(dct, cls=self._serializer._encoder_cls, separators=(",", ":"))
        finally:
            registry._encoder_mode = False

    def loads(
        self, state: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        dct = json.loads(state, cls=self._serializer.json_decoder_cls)
        if dct.pop("format", None) != FORMAT:
            raise ValueError("instance state was saved in an unknown format")
        if dct.pop("spiff", None) != self.spec_version:
            raise ValueError("instance state was saved by another SpiffWorkflow serializer version")
        workflow: BpmnWorkflow = self.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        return workflow
