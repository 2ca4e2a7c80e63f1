"""A diagram's process-level properties: what its requests are titled and numbered, and who may start them;
checked at deploy with a problem that names the property, stored with the version."""

from __future__ import annotations

import pytest

from engine.bpmn_meta import ParsedDefinition, ProcessProperties, default_prefix
from tests.engine.test_validation import HEADER, validate

START = (
    '<bpmn:startEvent id="start" {start}><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>'
)


def process(properties: str, *, camunda: bool = False, start: str = "", key: str = "repair_request") -> str:
    if camunda:
        props = "".join(f'<camunda:property name="{n}" value="{v}"/>' for n, v in _pairs(properties))
        extension = f"<camunda:properties>{props}</camunda:properties>"
    else:
        props = "".join(f'<spiffworkflow:property name="{n}" value="{v}"/>' for n, v in _pairs(properties))
        extension = f"<spiffworkflow:properties>{props}</spiffworkflow:properties>"
    return (
        f'{HEADER}<bpmn:process id="{key}" name="维修" isExecutable="true">\n'
        f"<bpmn:extensionElements>{extension}</bpmn:extensionElements>\n"
        f"{START.format(start=start)}\n</bpmn:process>\n</bpmn:definitions>\n"
    )


def _pairs(text: str) -> list[tuple[str, str]]:
    return [tuple(part.split("=", 1)) for part in text.split("|") if part]  # type: ignore[misc]


@pytest.mark.parametrize("camunda", [False, True])
def test_title_prefix_and_starters_are_read_in_either_dialect(camunda: bool) -> None:
    parsed, problems = validate(
        process(
            "title=&quot;维修：&quot; + summary|numberPrefix=WX|startableBy=客户关系中心, engineering",
            camunda=camunda,
        )
    )
    assert problems == []
    assert parsed is not None
    assert parsed.properties == ProcessProperties(
        title='"维修：" + summary', number_prefix="WX", startable_by=("crc", "engineering"), start_form=None
    )
    assert ParsedDefinition.from_json(parsed.to_json()) == parsed


def test_without_properties_every_staff_member_starts_it_and_the_prefix_comes_from_the_key() -> None:
    parsed, problems = validate(process(""))
    assert problems == [] and parsed is not None
    assert parsed.properties == ProcessProperties(title=None, number_prefix="RR", startable_by=())
    assert [default_prefix(k) for k in ("complaint", "monthlyNotice", "open-day.defect", "123")] == [
        "C",
        "MN",
        "ODD",
        "REQ",
    ]


def test_a_version_stored_before_the_properties_existed_reads_with_the_defaults() -> None:
    stored = {"format": 1, "key": "repair_request", "name": "维修", "tasks": {}, "timer_starts": []}
    assert ParsedDefinition.from_json(stored).properties == ProcessProperties(number_prefix="RR")


def test_each_bad_property_is_a_problem_that_says_what_to_do() -> None:
    _parsed, problems = validate(process("title=__import__('os')|numberPrefix=wx-1|startableBy=crc, 财务部"))
    messages = {p.message for p in problems}
    assert all(p.element_id == "repair_request" and p.line for p in problems), problems
    assert any(m.startswith("the process property title:") and "'__import__'" in m for m in messages), (
        messages
    )
    assert any("numberPrefix 'wx-1' must be 1 to 6 capital letters A-Z" in m for m in messages), messages
    assert any("startableBy names '财务部', which is not a department" in m for m in messages), messages
    assert len(problems) == 3

    _parsed, syntax = validate(process("title=summary +"))
    assert [p.message.split(":")[0] for p in syntax] == ["the process property title"]


def test_the_start_events_form_is_read_and_must_exist() -> None:
    spiff_form = (
        '><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="formKey" '
        'value="complaint_intake"/></spiffworkflow:properties></bpmn:extensionElements'
    )
    parsed, problems = validate(process("", start="").replace('id="start" >', f'id="start" {spiff_form}>'))
    assert problems == [] and parsed is not None and parsed.properties.start_form == "complaint_intake"

    parsed, problems = validate(
        process("", start='camunda:formKey="embedded:app:forms/complaint_intake.html"')
    )
    assert problems == [] and parsed is not None and parsed.properties.start_form == "complaint_intake"

    _parsed, problems = validate(process("", start='camunda:formKey="no_such_form"'))
    assert [(p.element_id, p.message) for p in problems] == [
        (
            "start",
            "the start event's form 'no_such_form' does not exist: add its form file or remove the formKey",
        )
    ]


def test_a_juel_title_is_translated_and_starters_match_in_any_case() -> None:
    parsed, problems = validate(process("title=${owner.name} |startableBy=CRC, Engineering", camunda=True))
    assert problems == []
    assert parsed is not None
    assert (parsed.properties.title, parsed.properties.startable_by) == (
        "owner['name']",
        ("crc", "engineering"),
    )
