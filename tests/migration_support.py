"""Versions of the bundled complaint diagram for migration tests, edited the way a process owner would."""

from __future__ import annotations

from crm.platform import Platform
from engine.models import ProcessDefinition
from tests.conftest import COMPLAINT_BPMN

COMPLAINT = {"owner_tier": "regular", "channel": "forum", "coordinator": "crc"}
CHECK_TASK = """    <bpmn:userTask id="triage_check" name="分派复核">
      <bpmn:incoming>flow_triage_deadline</bpmn:incoming>
      <bpmn:outgoing>flow_check_deadline</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_check_deadline" sourceRef="triage_check" targetRef="set_deadline" />
"""


def source() -> str:
    return COMPLAINT_BPMN.read_text(encoding="utf-8")


def with_step_added(xml: str | None = None) -> str:
    """A review step 分派复核 between triage and the department's handling."""
    xml = xml or source()
    xml = xml.replace(
        "<bpmn:incoming>flow_triage_deadline</bpmn:incoming>",
        "<bpmn:incoming>flow_check_deadline</bpmn:incoming>",
    )
    xml = xml.replace(
        '<bpmn:sequenceFlow id="flow_triage_deadline" sourceRef="triage" targetRef="set_deadline" />',
        '<bpmn:sequenceFlow id="flow_triage_deadline" sourceRef="triage" targetRef="triage_check" />\n'
        + CHECK_TASK,
    )
    ref = "<bpmn:flowNodeRef>{}</bpmn:flowNodeRef>"
    return xml.replace(ref.format("triage"), ref.format("triage") + "\n        " + ref.format("triage_check"))


def with_triage_replaced(xml: str | None = None) -> str:
    """Triage (客服分派) removed, a step 分派登记 (`dispatch`) in its place with the same deadlines."""
    xml = xml or source()
    xml = xml.replace(
        '<bpmn:userTask id="triage" name="客服分派">', '<bpmn:userTask id="dispatch" name="分派登记">'
    )
    for attribute in ("targetRef", "sourceRef", "attachedToRef", "bpmnElement"):
        xml = xml.replace(f'{attribute}="triage"', f'{attribute}="dispatch"')
    return xml.replace(
        "<bpmn:flowNodeRef>triage</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>dispatch</bpmn:flowNodeRef>"
    )


def with_triage_deadline(expression: str, xml: str | None = None) -> str:
    """The triage escalation (its deadline) set by `expression` in the diagram, not from the data."""
    xml = xml or source()
    return xml.replace(
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">triage_due</bpmn:timeDate>',
        f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDate>',
    )


def deploy(platform: Platform, xml: str) -> ProcessDefinition:
    result = platform.definitions.deploy(xml.encode("utf-8"), "complaint.bpmn", actor="admin")
    assert result.created and result.definition is not None
    return result.definition
