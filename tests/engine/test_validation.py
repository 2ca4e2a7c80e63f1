"""Deploy-time validation of BPMN files: every problem at once, with element ids and real line numbers."""

from __future__ import annotations

import json
import time
from itertools import pairwise
from pathlib import Path

import pytest

from engine.validation import HumanTaskMeta, ParsedDefinition, Problem, TimerStart, validate_bpmn

DATA = Path(__file__).parent.parent / "data"
BAD = DATA / "bad"
DEPARTMENTS = {
    "crc": "crc",
    "客户关系中心": "crc",
    "engineering": "engineering",
    "工程部": "engineering",
    "group_crc": "group_crc",
}
FORMS = {"complaint_triage", "complaint_handle", "complaint_reply", "complaint_confirm", "complaint_intake"}

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


DEADLINE_FUNCTIONS = ("business_hours", "working_days", "calendar_hours")


def validate(content: bytes | str, filename: str = "test.bpmn", functions: tuple[str, ...] = ()):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return validate_bpmn(
        data, filename, departments=DEPARTMENTS, form_exists=lambda key: key in FORMS, functions=functions
    )


def diagram(
    body: str, *, lane: str | None = "客户关系中心", extra: str = "", attrs: str = 'isExecutable="true"'
) -> str:
    """A process `p` with `body`; every element with an id goes into one lane (unless lane is None)."""
    lane_set = ""
    if lane is not None:
        ids = [part.split('"', 1)[0] for part in body.split(' id="')[1:]]
        refs = "".join(f"<bpmn:flowNodeRef>{element_id}</bpmn:flowNodeRef>" for element_id in ids)
        lane_set = (
            f'<bpmn:laneSet id="ls"><bpmn:lane id="lane" name="{lane}">{refs}</bpmn:lane></bpmn:laneSet>\n'
        )
    process = f'<bpmn:process id="p" name="测试" {attrs}>\n{lane_set}{body}\n</bpmn:process>\n'
    return f"{HEADER}{extra}{process}</bpmn:definitions>\n"


def chain(*nodes: str) -> str:
    """start -> nodes... -> end, each node given as XML with id="n<i>"."""
    ids = ["start", *[f"n{i}" for i in range(len(nodes))], "end"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>\n'
        for i, (a, b) in enumerate(pairwise(ids))
    )
    body = "".join(node.replace("{id}", f"n{i}") + "\n" for i, node in enumerate(nodes))
    return f'<bpmn:startEvent id="start"/>\n{body}<bpmn:endEvent id="end"/>\n{flows}'


def user_task(extra_properties: str = "", attrs: str = "", form: str = "complaint_triage") -> str:
    props = f'<spiffworkflow:property name="formKey" value="{form}"/>' if form else ""
    return (
        f'<bpmn:userTask id="{{id}}" name="任务" {attrs}><bpmn:extensionElements><spiffworkflow:properties>'
        f"{props}{extra_properties}</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )


def line_of(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def only(problems: list[Problem], element_id: str | None, text: str) -> Problem:
    found = [p for p in problems if p.element_id == element_id and text in p.message]
    assert len(found) == 1, (element_id, text, [p.format() for p in problems])
    return found[0]


def messages(problems: list[Problem]) -> list[str]:
    return [p.format() for p in problems]


# --- the many-problems fixture ----------------------------------------------------------------------------

MANY = BAD / "many_problems.bpmn"


@pytest.mark.parametrize(
    ("element_id", "marker", "text"),
    [
        ("calc", "total = (price *", "script: Python syntax error (line 1 of the script)"),
        ("evil", "__import__('os')", "script: the name '__import__' is not allowed"),
        (
            "flow_no_repair",
            'id="flow_no_repair"',
            "flow flow_no_repair from gateway check_gw has no condition and is not the default flow",
        ),
        ("reply", 'value="complaint_missing"', "form 'complaint_missing' does not exist"),
        ("repair", 'id="repair"', "lane '售后部' is not a department and task has no candidateGroups"),
        ("sla_timer", ">PT24H<", 'timer expression PT24H is Python: write "PT24H" with quotes'),
        (
            "flow_needs_repair",
            'getVariable("needs_repair")',
            "execution needs a Java object: write it as a Python expression or a script task",
        ),
        ("reply", 'bpmn:userTask id="reply"', "2 sequence flows leave this user task: draw a gateway"),
        ("flow_reply_ghost", 'id="flow_reply_ghost"', "targetRef 'ghost' does not exist"),
    ],
)
def test_each_problem_of_a_bad_diagram_is_reported_with_its_element_and_line(element_id, marker, text):
    definition, problems = validate(MANY.read_bytes(), "many_problems.bpmn")
    problem = only(problems, element_id, text)
    assert problem.line == line_of(MANY, marker)
    assert problem.file == "many_problems.bpmn"
    assert definition is not None and definition.key == "many"  # partial: the process was identified


def test_the_bad_diagram_reports_nothing_twice_and_nothing_internal():
    _, problems = validate(MANY.read_bytes(), "many_problems.bpmn")
    assert len(problems) == 9, messages(problems)
    assert len(set(problems)) == len(problems)
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
    assert not [p for p in problems if "internal error" in p.message or "SpiffWorkflow" in p.message]


def test_problem_format_and_dict():
    problem = Problem("a.bpmn", 12, "triage", "form 'x' does not exist")
    assert problem.format() == "a.bpmn:12: triage: form 'x' does not exist"
    assert Problem("a.bpmn", None, None, "the file is empty").format() == "a.bpmn:0: -: the file is empty"
    assert problem.as_dict() == {
        "file": "a.bpmn",
        "line": 12,
        "element_id": "triage",
        "message": "form 'x' does not exist",
    }


# --- files that are not deployable BPMN at all ------------------------------------------------------------


def test_malformed_xml_reports_the_parser_line():
    definition, problems = validate((BAD / "malformed.bpmn").read_bytes())
    assert definition is None
    assert len(problems) == 1
    assert problems[0].line == 5 and problems[0].element_id is None
    assert problems[0].message.startswith("malformed XML: ")


@pytest.mark.parametrize("content", [b"", b"  \n\t "])
def test_an_empty_file(content):
    assert validate(content) == (None, [Problem("test.bpmn", None, None, "the file is empty")])


def test_a_file_that_is_not_bpmn():
    definition, problems = validate((BAD / "not_bpmn.bpmn").read_bytes())
    assert definition is None and len(problems) == 1
    assert problems[0].line == 2 and "not a BPMN file" in problems[0].message


def test_an_entity_bomb_is_refused_without_expanding_it():
    started = time.monotonic()
    definition, problems = validate((BAD / "entity_bomb.bpmn").read_bytes())
    assert time.monotonic() - started < 1
    assert definition is None
    assert [(p.line, p.message) for p in problems] == [
        (2, "DOCTYPE and ENTITY declarations are not allowed in a BPMN file")
    ]


def test_non_utf8_content_is_a_problem_not_an_exception():
    content = diagram(chain(user_task())).replace("任务", "任务\n").encode("gb18030")
    definition, problems = validate(content)
    assert definition is None
    assert [p.message for p in problems] == ["the file is not UTF-8 encoded: save it as UTF-8"]
    assert problems[0].line is not None and problems[0].line > 1


def test_a_process_without_start_event():
    path = BAD / "no_start.bpmn"
    _, problems = validate(path.read_bytes())
    assert only(problems, "no_start", "process has no start event").line == line_of(path, 'id="no_start"')


def test_a_complex_gateway_is_reported_once():
    path = BAD / "complex_gateway.bpmn"
    _, problems = validate(path.read_bytes())
    assert [p.element_id for p in problems] == ["route_gw"], messages(problems)
    assert problems[0].line == line_of(path, "complexGateway")
    assert "use an inclusive gateway" in problems[0].message


def test_link_events_are_reported():
    path = BAD / "link_event.bpmn"
    _, problems = validate(path.read_bytes())
    assert only(problems, "go_to_b", "link events are not supported").line == line_of(path, 'id="go_to_b"')
    assert only(problems, "from_a", "link events are not supported").line == line_of(path, 'id="from_a"')


# --- valid diagrams in both dialects ----------------------------------------------------------------------


def test_a_camunda_diagram_gives_its_task_metadata():
    definition, problems = validate((DATA / "camunda_complaint.bpmn").read_bytes(), "camunda_complaint.bpmn")
    assert problems == []
    assert definition is not None
    assert (definition.key, definition.name, definition.timer_starts) == (
        "camunda_complaint",
        "投诉处理（Camunda）",
        (),
    )
    assert dict(definition.tasks) == {
        "triage": HumanTaskMeta(
            element_id="triage",
            name="客服分派",
            lane=None,
            department=None,
            candidate_groups="crc",
            candidate_groups_is_expression=False,
            assignee="coordinator",
            assignee_is_expression=True,
            form_key="complaint_triage",
            priority=None,
            due_date="due",
        ),
        "handle": HumanTaskMeta(
            element_id="handle",
            name="责任部门处理",
            lane=None,
            department=None,
            candidate_groups="department",
            candidate_groups_is_expression=True,
            assignee=None,
            assignee_is_expression=False,
            form_key="complaint_handle",
            priority=None,
            due_date=None,
        ),
    }


def test_a_spiff_diagram_gives_its_task_metadata():
    definition, problems = validate((DATA / "spiff_minimal.bpmn").read_bytes(), "spiff_minimal.bpmn")
    assert problems == []
    assert definition is not None and (definition.key, definition.name) == ("spiff_minimal", "报修")
    assert definition.tasks["intake"] == HumanTaskMeta(
        element_id="intake",
        name="受理",
        lane="客户关系中心",
        department="crc",
        candidate_groups=None,
        candidate_groups_is_expression=False,
        assignee=None,
        assignee_is_expression=False,
        form_key="complaint_intake",
        priority="50",
        due_date='"P3D"',
    )
    assert definition.tasks["inspect"] == HumanTaskMeta(
        element_id="inspect",
        name="上门查看",
        lane="工程部",
        department="engineering",
        candidate_groups=None,
        candidate_groups_is_expression=False,
        assignee="zhang.wei",
        assignee_is_expression=False,
        form_key=None,
        priority=None,
        due_date=None,
    )


@pytest.mark.parametrize("name", ["camunda_complaint.bpmn", "spiff_minimal.bpmn", "complaint_v2.bpmn"])
def test_the_definition_round_trips_through_json(name):
    definition, problems = validate((DATA / name).read_bytes(), name, functions=DEADLINE_FUNCTIONS)
    assert problems == [] and definition is not None
    stored = json.loads(json.dumps(definition.to_json(), ensure_ascii=False))
    assert ParsedDefinition.from_json(stored) == definition
    assert ParsedDefinition.from_json(stored).to_json() == definition.to_json()


def test_the_bundled_complaint_workflow_is_deployable():
    definition, problems = validate(
        (DATA.parent.parent / "workflows" / "complaint.bpmn").read_bytes(), functions=DEADLINE_FUNCTIONS
    )
    assert problems == [] and definition is not None and definition.key == "complaint"


# --- human tasks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form_key", "expected"),
    [
        ("embedded:app:forms/complaint_reply.html", "complaint_reply"),
        ("camunda-forms:deployment:complaint_reply.form", "complaint_reply"),
        ("complaint_reply", "complaint_reply"),
    ],
)
def test_a_camunda_form_key_names_the_form_by_its_last_segment(form_key, expected):
    definition, problems = validate(diagram(chain(user_task(form="", attrs=f'camunda:formKey="{form_key}"'))))
    assert problems == [] and definition is not None
    assert definition.tasks["n0"].form_key == expected


def test_a_user_task_without_a_form_is_a_notice_and_an_unknown_form_a_problem():
    body = chain(user_task(form=""), '<bpmn:manualTask id="{id}" name="上门"/>', user_task(form="nope"))
    definition, problems = validate(diagram(body))
    assert only(problems, "n2", "form 'nope' does not exist")
    assert {p.element_id for p in problems} == {"n2"}
    assert definition is not None and definition.tasks["n1"].form_key is None
    assert definition.tasks["n0"].form_key is None
    assert [(n.element_id, n.message) for n in definition.notices] == [
        ("n0", "user task has no form: it is completed with an optional comment")
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("crc", ("crc", False)),
        ("工程部", ("engineering", False)),
        ("Engineering", ("engineering", False)),
        ("${owner_department}", ("owner_department", True)),
        ("#{owner.department}", ("owner['department']", True)),
        (
            "${'crc' if severity == 'low' else 'engineering'}",
            ("'crc' if severity == 'low' else 'engineering'", True),
        ),
        ("${urgent ? 'crc' : 'engineering'}", ("('crc' if urgent else 'engineering')", True)),
    ],
)
def test_candidate_groups_is_a_department_or_an_expression(value, expected):
    prop = f'<spiffworkflow:property name="candidateGroups" value="{value.replace(chr(39), "&apos;")}"/>'
    definition, problems = validate(diagram(chain(user_task(prop)), lane=None))
    assert problems == [], messages(problems)
    assert definition is not None
    meta = definition.tasks["n0"]
    assert (meta.candidate_groups, meta.candidate_groups_is_expression) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("售后部", "candidateGroups '售后部' is not a department: use a department's code or name, map"),
        ("department", '(--lane "department=DEPARTMENT"), or write ${...} for an expression'),
        ("crc, accounting", "candidateGroups 'accounting' is not a department"),
        ("${__import__('os')}", "the call __import__(...) needs a Java object"),
        (
            "${[c for c in ().__class__]}",
            "candidateGroups expression: access to the attribute '__class__' is not allowed",
        ),
        ("${bean.method()}", "the method call method(...) needs a Java object: write it as a Python"),
        ("${open('x')}", "the call open(...) needs a Java object"),
    ],
)
def test_bad_candidate_groups(value, text):
    prop = f'<spiffworkflow:property name="candidateGroups" value="{value.replace(chr(39), "&apos;")}"/>'
    _, problems = validate(diagram(chain(user_task(prop)), lane=None))
    assert [p.element_id for p in problems] == ["n0"], messages(problems)
    assert text in problems[0].message


def test_a_task_needs_a_department_lane_or_candidate_groups():
    _, problems = validate(diagram(chain(user_task()), lane=None))
    assert only(problems, "n0", "task has no lane and no candidateGroups")


def test_lanes_of_an_embedded_subprocess_are_inherited_and_its_tasks_collected():
    sub = (
        '<bpmn:subProcess id="{id}" name="维修"><bpmn:startEvent id="s_start"/>'
        '<bpmn:manualTask id="s_fix" name="维修"/><bpmn:endEvent id="s_end"/>'
        '<bpmn:sequenceFlow id="sf1" sourceRef="s_start" targetRef="s_fix"/>'
        '<bpmn:sequenceFlow id="sf2" sourceRef="s_fix" targetRef="s_end"/></bpmn:subProcess>'
    )
    body = chain(sub).replace("<bpmn:flowNodeRef>s_start</bpmn:flowNodeRef>", "")
    definition, problems = validate(diagram(body, lane="工程部"))
    assert problems == [], messages(problems)
    assert definition is not None
    assert (definition.tasks["s_fix"].lane, definition.tasks["s_fix"].department) == ("工程部", "engineering")


def test_task_expressions_are_checked():
    props = (
        '<spiffworkflow:property name="assignee" value="${__import__(&apos;os&apos;)}"/>'
        '<spiffworkflow:property name="priority" value="1 +"/>'
        '<spiffworkflow:property name="dueDate" value="P3D"/>'
    )
    _, problems = validate(diagram(chain(user_task(props))))
    assert only(
        problems, "n0", "assignee expression: ${__import__('os')}: the call __import__(...) needs a Java"
    )
    assert only(problems, "n0", "priority expression: Python syntax error")
    assert only(problems, "n0", 'dueDate P3D is Python: write "P3D" with quotes')


def test_a_camunda_task_due_date_and_priority_are_unwrapped():
    attrs = 'camunda:dueDate="${deadline}" camunda:priority="${urgency * 10}" camunda:assignee="li.na"'
    definition, problems = validate(diagram(chain(user_task(attrs=attrs))))
    assert problems == [] and definition is not None
    meta = definition.tasks["n0"]
    assert (meta.due_date, meta.priority, meta.assignee, meta.assignee_is_expression) == (
        "deadline",
        "urgency * 10",
        "li.na",
        False,
    )


# --- timers -----------------------------------------------------------------------------------------------


def timer_start(kind: str, expression: str) -> str:
    return diagram(
        '<bpmn:startEvent id="start"><bpmn:timerEventDefinition id="td">'
        f"<bpmn:{kind}>{expression}</bpmn:{kind}>"
        '</bpmn:timerEventDefinition></bpmn:startEvent><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>'
    )


def test_timer_start_events_are_collected():
    definition, problems = validate(timer_start("timeCycle", "&quot;R/2026-01-01T09:00:00+08:00/P1M&quot;"))
    assert problems == [], messages(problems)
    assert definition is not None
    assert definition.timer_starts == (TimerStart("start", "timeCycle", '"R/2026-01-01T09:00:00+08:00/P1M"'),)


@pytest.mark.parametrize(
    ("kind", "expression", "text"),
    [
        ("timeCycle", "R3/PT1H", 'timer expression R3/PT1H is Python: write "R3/PT1H" with quotes'),
        ("timeDate", "2026-01-01T09:00:00", 'write "2026-01-01T09:00:00" with quotes'),
        ("timeDuration", "2026-01-01T09:00:00", "a timeDuration timer needs a duration"),
        ("timeCycle", "&quot;PT1H&quot;", 'timer value "PT1H" is not valid for a timeCycle timer'),
        ("timeDuration", "&quot;R3/PT1H&quot;", "is not valid for a timeDuration timer"),
        ("timeDate", "&quot;soon&quot;", "is not valid for a timeDate timer"),
        ("timeDuration", "", "timer has an empty timeDuration"),
        ("timeDuration", "3600", "must give a duration"),
        ("timeDuration", "${sla.get()}", "the method call get(...) needs a Java object"),
        ("timeCycle", "0 0 25 * * ?", "cron '0 0 25 * * ?' is not valid"),
        ("timeCycle", "0 0 9 * * ? 2027", "a year field is not supported"),
        ("timeDuration", "sla(", "timer expression: Python syntax error"),
    ],
)
def test_bad_timer_expressions(kind, expression, text):
    _, problems = validate(timer_start(kind, expression))
    assert only(problems, "start", text)


@pytest.mark.parametrize(
    "expression", ["sla", "&quot;PT48H&quot;", "f&quot;PT{hours}H&quot;", "${sla}", "#{sla}"]
)
def test_timer_expressions_that_are_fine(expression):
    assert validate(timer_start("timeDuration", expression))[1] == []


# --- other structural rules -------------------------------------------------------------------------------


def test_scripts_may_call_registered_functions_only():
    body = chain('<bpmn:scriptTask id="{id}"><bpmn:script>notify("hi")</bpmn:script></bpmn:scriptTask>')
    assert only(validate(diagram(body))[1], "n0", "unknown function 'notify'")
    assert validate(diagram(body), functions=("notify",))[1] == []


def test_executable_processes():
    body = chain()
    _, problems = validate(diagram(body, attrs='isExecutable="false"'))
    assert only(problems, "p", 'isExecutable="false"')
    two = diagram(body).replace(
        "</bpmn:definitions>", '<bpmn:process id="q" isExecutable="true"/></bpmn:definitions>'
    )
    definition, problems = validate(two)
    assert definition is None and only(problems, "q", "more than one executable process (p, q)")
    none = diagram(body, attrs="").replace("</bpmn:definitions>", '<bpmn:process id="q"/></bpmn:definitions>')
    definition, problems = validate(none)
    assert definition is None and only(problems, "p", "no executable process")


@pytest.mark.parametrize(
    ("node", "element_id", "text"),
    [
        (
            '<bpmn:endEvent id="{id}"><bpmn:signalEventDefinition id="sd"/></bpmn:endEvent>',
            "n0",
            "signal end events are not supported",
        ),
        (
            '<bpmn:scriptTask id="{id}" scriptFormat="groovy">'
            "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>",
            "n0",
            "scriptFormat 'groovy' is not supported",
        ),
        (
            '<bpmn:task id="{id}"><bpmn:extensionElements>'
            '<camunda:executionListener class="a.B" event="start"/></bpmn:extensionElements></bpmn:task>',
            "n0",
            "camunda:executionListener is not run",
        ),
        (
            '<bpmn:serviceTask id="{id}" camunda:class="a.B"/>',
            "n0",
            'camunda:class="a.B" is a Java delegate, which Lintel cannot run: write the step as a script',
        ),
        ('<bpmn:task id="{id}" isForCompensation="true"/>', "n0", "compensation handlers are not supported"),
        ('<bpmn:businessRuleTask id="{id}"/>', "n0", "business rule task names no decision"),
        (
            '<bpmn:callActivity id="{id}" calledElement="elsewhere"/>',
            "n0",
            "which is in none of the deployed files",
        ),
        (
            '<bpmn:intermediateCatchEvent id="{id}"><bpmn:messageEventDefinition id="md" messageRef="nope"/>'
            "</bpmn:intermediateCatchEvent>",
            "n0",
            "messageRef 'nope' does not name a bpmn:message",
        ),
        (
            '<bpmn:task id="{id}">'
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="owners"/></bpmn:task>',
            "n0",
            "camunda:collection is not read",
        ),
    ],
)
def test_constructs_spiffworkflow_cannot_run(node, element_id, text):
    _, problems = validate(diagram(chain(node)))
    assert only(problems, element_id, text)


def test_an_event_subprocess_with_an_error_start_would_run_at_once():
    sub = (
        '<bpmn:subProcess id="on_error" triggeredByEvent="true"><bpmn:startEvent id="e_start">'
        '<bpmn:errorEventDefinition id="ed"/></bpmn:startEvent><bpmn:endEvent id="e_end"/>'
        '<bpmn:sequenceFlow id="ef" sourceRef="e_start" targetRef="e_end"/></bpmn:subProcess>'
    )
    _, problems = validate(diagram(chain() + sub))
    assert only(problems, "e_start", "error start events are not supported")
    assert only(problems, "e_start", "would run the subprocess as soon as the process starts")


def test_compensation_boundary_event_is_reported_once():
    boundary = (
        '<bpmn:boundaryEvent id="undo" attachedToRef="n0">'
        '<bpmn:compensateEventDefinition id="cd"/></bpmn:boundaryEvent>'
    )
    _, problems = validate(diagram(chain(user_task()) + boundary))
    assert [p.element_id for p in problems] == ["undo"], messages(problems)
    assert "compensation is not supported" in problems[0].message


def test_duplicate_ids():
    body = chain('<bpmn:task id="{id}"/>').replace(
        '<bpmn:endEvent id="end"/>', '<bpmn:endEvent id="end"/><bpmn:task id="n0"/>'
    )
    _, problems = validate(diagram(body, lane=None))
    assert only(problems, "n0", "id 'n0' is used by more than one element")


def test_spiffworkflow_errors_become_problems_with_a_line():
    task = (
        '<bpmn:task id="{id}"><bpmn:dataInputAssociation id="dia">'
        "<bpmn:sourceRef>nowhere</bpmn:sourceRef></bpmn:dataInputAssociation></bpmn:task>"
    )
    content = diagram(chain(task))
    _, problems = validate(content)
    problem = only(problems, "n0", "SpiffWorkflow: Cannot resolve dataInputAssociation")
    expected = next(i for i, line in enumerate(content.splitlines(), 1) if '<bpmn:task id="n0"' in line)
    assert problem.line == expected


def test_message_payload_deprecation_warning_does_not_escape():
    extra = (
        '<bpmn:message id="msg" name="reply"><bpmn:extensionElements>'
        "<spiffworkflow:messagePayload>{'ok': True}</spiffworkflow:messagePayload>"
        "</bpmn:extensionElements></bpmn:message>\n"
    )
    node = (
        '<bpmn:intermediateThrowEvent id="{id}">'
        '<bpmn:messageEventDefinition id="md" messageRef="msg"/></bpmn:intermediateThrowEvent>'
    )
    assert validate(diagram(chain(node), extra=extra))[1] == []
    bad = extra.replace("{'ok': True}", "__import__('os')")
    assert only(validate(diagram(chain(node), extra=bad))[1], "msg", "messagePayload: the name '__import__'")


# --- robustness -------------------------------------------------------------------------------------------


def test_a_failing_callback_becomes_one_problem():
    def broken(key: str) -> bool:
        raise RuntimeError("form registry is down")

    definition, problems = validate_bpmn(
        (DATA / "spiff_minimal.bpmn").read_bytes(), "x.bpmn", departments=DEPARTMENTS, form_exists=broken
    )
    assert definition is None
    assert (
        len(problems) == 1
        and "internal error" in problems[0].message
        and "form registry is down" in problems[0].message
    )


@pytest.mark.parametrize("name", ["bad/many_problems.bpmn", "camunda_complaint.bpmn", "spiff_minimal.bpmn"])
def test_mangled_files_give_problems_never_exceptions(name):
    content = (DATA / name).read_bytes()
    lines = content.splitlines(keepends=True)
    variants = [content[:cut] for cut in range(0, len(content), 61)]
    variants += [b"".join(lines[:i] + lines[i + 1 :]) for i in range(len(lines))]
    variants += [content.replace(b'"', b"'", 1), content.replace(b"bpmn:", b"x:"), bytes(range(256)), b"<a>"]
    for variant in variants:
        definition, problems = validate(variant)
        assert all(isinstance(p, Problem) for p in problems)
        assert not [p for p in problems if "internal error" in p.message], messages(problems)
        if definition is None:
            assert problems


def test_a_str_is_accepted_too():
    definition, problems = validate_bpmn(
        (DATA / "spiff_minimal.bpmn").read_text(encoding="utf-8"),  # type: ignore[arg-type]
        "x.bpmn",
        departments=DEPARTMENTS,
        form_exists=lambda key: key in FORMS,
    )
    assert problems == [] and definition is not None


def test_ids_names_and_file_names_longer_than_the_rows_that_keep_them_are_refused() -> None:
    long_name = "很长的任务名" * 40
    content = diagram(chain(user_task().replace('name="任务"', f'name="{long_name}"')))
    _definition, problems = validate(content, filename="x" * 300 + ".bpmn")
    messages = {(p.element_id, p.message) for p in problems}
    assert (None, "the file name is 305 characters long: at most 255") in messages
    assert ("n0", "the name is 240 characters long: at most 200") in messages
    long_id = diagram(chain(user_task()).replace('"n0"', '"' + "n" * 201 + '"'))
    _definition, problems = validate(long_id)
    assert any(p.message == "the id is 201 characters long: at most 200" for p in problems)


# --- diagrams drawn elsewhere: vendor namespaces, JUEL, notices -------------------------------------------

VENDOR_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:activiti="http://activiti.org/bpmn" xmlns:flowable="http://flowable.org/bpmn" '
    'id="defs" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


@pytest.mark.parametrize("prefix", ["activiti", "flowable"])
def test_activiti_and_flowable_attributes_are_read_like_camunda(prefix: str) -> None:
    task = (
        f'<bpmn:userTask id="{{id}}" name="任务" {prefix}:formKey="complaint_handle" '
        f'{prefix}:candidateGroups="工程部" {prefix}:assignee="${{handler}}" '
        f'{prefix}:priority="${{urgency * 10}}" '
        f'{prefix}:dueDate="2026-12-31T18:00:00"/>'
    )
    content = diagram(chain(task), lane=None).replace(HEADER, VENDOR_HEADER)
    definition, problems = validate(content)
    assert problems == [], messages(problems)
    assert definition is not None
    meta = definition.tasks["n0"]
    assert (meta.form_key, meta.candidate_groups, meta.assignee, meta.assignee_is_expression) == (
        "complaint_handle",
        "engineering",
        "handler",
        True,
    )
    assert (meta.priority, meta.due_date) == ("urgency * 10", "'2026-12-31T18:00:00'")


@pytest.mark.parametrize(
    ("attribute", "shown"),
    [
        ('activiti:class="org.acme.Mailer"', 'activiti:class="org.acme.Mailer" is a Java delegate'),
        (
            'flowable:delegateExpression="${mailer}"',
            'flowable:delegateExpression="${mailer}" is a Java delegate',
        ),
        ('flowable:type="external-worker"', 'flowable:type="external-worker" is an external task'),
    ],
)
def test_a_java_service_task_is_refused_naming_it(attribute: str, shown: str) -> None:
    content = diagram(chain(f'<bpmn:serviceTask id="{{id}}" {attribute}/>')).replace(HEADER, VENDOR_HEADER)
    problem = only(validate(content)[1], "n0", shown)
    assert problem.message.endswith(
        "which Lintel cannot run: write the step as a script task (Python), or a service task with a "
        "spiffworkflow:serviceTaskOperator"
    )


def test_juel_conditions_are_stored_as_python_for_the_engine() -> None:
    gateway = (
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw" default="f_no"/>'
        '<bpmn:endEvent id="yes"/><bpmn:endEvent id="no"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>'
        '<bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="yes">'
        "<bpmn:conditionExpression>${amount gt 1000 &amp;&amp; !empty approver}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="no"/>'
    )
    definition, problems = validate(diagram(gateway))
    assert problems == [], messages(problems)
    assert definition is not None
    assert definition.expressions == {"f_yes/conditionExpression": "(amount > 1000) and (not (not approver))"}
    assert ParsedDefinition.from_json(definition.to_json()) == definition


def test_harmless_oddities_are_notices_not_problems() -> None:
    body = chain(user_task()) + (
        '<bpmn:manualTask id="orphan" name="孤立任务"/>'
        '<bpmn:textAnnotation id="note"><bpmn:text>说明</bpmn:text></bpmn:textAnnotation>'
        '<bpmn:group id="grp"/>'
        '<bpmn:dataStoreReference id="store_ref" dataStoreRef="store"/>'
    )
    extra = '<bpmn:dataStore id="store" name="客户档案"/>\n'
    shapes = (
        '<bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="p">'
        '<bpmndi:BPMNShape id="n0" bpmnElement="n0"/>'  # a shape repeating its element's id: harmless
        "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n"
    )
    content = (
        diagram(body, extra=extra)
        .replace("</bpmn:definitions>", f"{shapes}</bpmn:definitions>")
        .replace("xmlns:camunda=", 'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:camunda=')
    )
    definition, problems = validate(content)
    assert problems == [], messages(problems)
    assert definition is not None
    notices = [notice.message for notice in definition.notices]
    assert "no sequence flow leads to this manual task: it never runs (connect it or remove it)" in notices
    assert "data store '客户档案' is documentation only: nothing reads or writes it" in notices


def test_duplicate_ids_of_bpmn_elements_are_still_problems() -> None:
    body = chain(user_task(), '<bpmn:manualTask id="n0" name="again"/>')
    _, problems = validate(diagram(body))
    assert any(p.message == "id 'n0' is used by more than one element" for p in problems), messages(problems)


def test_a_bare_iso_timer_means_its_value_in_a_diagram_drawn_for_camunda() -> None:
    timer = (
        '<bpmn:boundaryEvent id="late" attachedToRef="n0"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT48H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    camunda = diagram(chain(user_task(form="", attrs='camunda:formKey="complaint_handle"')) + timer)
    definition, problems = validate(camunda)
    assert problems == [], messages(problems)
    assert definition is not None and definition.expressions == {"late/timeDuration": "'PT48H'"}
    # Declaring the namespace is not drawing for Camunda: a Spiff diagram's timer text is Python.
    _, problems = validate(diagram(chain(user_task()) + timer))
    assert only(problems, "late", 'timer expression PT48H is Python: write "PT48H" with quotes')


def test_sequence_flows_without_ids_are_named_in_the_order_drawn() -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:manualTask id="work"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow sourceRef="start" targetRef="work"/>'
        '<bpmn:sequenceFlow id="sequenceFlow_1" sourceRef="work" targetRef="end"/>'
    )
    definition, problems = validate(diagram(body))
    assert problems == [], messages(problems)
    assert definition is not None
    assert [n.message for n in definition.notices] == [
        "1 sequence flow(s) have no id: named sequenceFlow_2 and on, in the order drawn"
    ]


def test_people_named_in_ways_lintel_does_not_read_are_a_notice() -> None:
    task = (
        '<bpmn:manualTask id="{id}" camunda:candidateUsers="kermit,gonzo">'
        "<bpmn:potentialOwner><bpmn:resourceAssignmentExpression><bpmn:formalExpression>user(kermit)"
        "</bpmn:formalExpression></bpmn:resourceAssignmentExpression></bpmn:potentialOwner></bpmn:manualTask>"
    )
    definition, problems = validate(diagram(chain(task)))
    assert problems == [], messages(problems)
    assert definition is not None
    assert sorted(n.message.split(" is not read")[0] for n in definition.notices) == [
        "bpmn:potentialOwner",
        "camunda:candidateUsers",
    ]
