"""Smoke test: the shipped diagrams parse and run with raw SpiffWorkflow 3.2 (no Lintel code).

Also checks the diagrams' BPMNDI by hand, since bpmn-js cannot render them here: every node and flow has
a shape or edge, edges start and end on their shapes' borders, and lanes are bands that hold their tasks.
The sandbox-escape fixture is only parsed, never run: raw SpiffWorkflow has no sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.business_time import BusinessCalendar
from engine.deadlines import deadline_functions
from engine.safety import problems_in

ROOT = Path(__file__).resolve().parents[2]
COMPLAINT = ROOT / "workflows" / "complaint.bpmn"
COMPLAINT_V2 = ROOT / "tests" / "data" / "complaint_v2.bpmn"
ESCAPE = ROOT / "tests" / "data" / "sandbox_escape.bpmn"

CRC = "客户关系中心"
DEPT = "责任部门"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODE_TAGS = ("boundaryEvent", "startEvent", "endEvent", "userTask", "scriptTask", "exclusiveGateway")

INTAKE = {
    "channel": "hotline",
    "description": "卫生间渗水",
    "owner_id": 7,
    "unit_id": 42,
    "category": "quality",
    "complaint_id": 1,
    "number": "TS-2026-0001",
    "owner_tier": "regular",
}

# task id -> (lane, formKey) in both complaint diagrams
EXPECTED = {
    "triage": (CRC, "complaint_triage"),
    "handle": (DEPT, "complaint_handle"),
    "review": (CRC, "complaint_reply"),
    "reply": (CRC, "complaint_reply"),
}


def _parser(path: Path) -> SpiffBpmnParser:
    parser = SpiffBpmnParser(validator=VALIDATOR)  # XSD validation on
    parser.add_bpmn_file(str(path))
    return parser


def _start(path: Path, process_id: str = "complaint") -> BpmnWorkflow:
    parser = _parser(path)
    # Deadline functions as the platform registers them; everything else is SpiffWorkflow's own engine.
    engine = PythonScriptEngine(environment=TaskDataEnvironment(deadline_functions(BusinessCalendar())))
    spec, subprocesses = parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    wf = BpmnWorkflow(spec, subprocesses, script_engine=engine)
    # The instance is created with the intake data already in task data.
    wf.get_next_task(state=TaskState.READY).set_data(**INTAKE)
    wf.do_engine_steps()
    return wf


def _complete(wf: BpmnWorkflow, task_id: str, **data: object) -> None:
    """Check that `task_id` is the only READY manual task, then fill it in and run the engine."""
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    assert [t.task_spec.name for t in ready] == [task_id]
    task = ready[0]
    lane, form_key = EXPECTED[task_id]
    assert task.task_spec.lane == lane
    properties = task.task_spec.extensions["properties"]
    assert properties["formKey"] == form_key
    if task_id == "handle":
        assert properties["candidateGroups"] == "${department}"
    task.set_data(**data)
    assert task.run() is True
    wf.do_engine_steps()


def _triage(wf: BpmnWorkflow) -> None:
    _complete(wf, "triage", category="quality", severity="high", department="D_ENG")


def _closed_data(wf: BpmnWorkflow) -> dict:
    assert wf.is_completed()
    (closed,) = wf.get_tasks(spec_name="closed")
    assert closed.state == TaskState.COMPLETED
    return closed.data


def test_happy_path() -> None:
    wf = _start(COMPLAINT)
    assert wf.get_tasks(state=TaskState.READY, manual=True, lane=CRC)[0].data["rework_count"] == 0
    _triage(wf)
    assert wf.get_tasks(state=TaskState.READY, manual=True, lane=DEPT)
    _complete(wf, "handle", resolution="已更换防水层")
    _complete(wf, "reply", reached="yes", reply="已处理，请验收", satisfied="yes", score=5, comment="满意")
    data = _closed_data(wf)
    assert data["rework_count"] == 0
    assert data["contact_attempts"] == 0
    assert data["number"] == INTAKE["number"]
    assert data["department"] == "D_ENG"


def test_rework_loop() -> None:
    wf = _start(COMPLAINT)
    _triage(wf)
    _complete(wf, "handle", resolution="已维修")
    _complete(wf, "reply", reached="yes", reply="已维修", satisfied="no", score=2, comment="仍然渗水")
    handle = wf.get_tasks(state=TaskState.READY, manual=True)
    assert [t.task_spec.name for t in handle] == ["handle"]
    assert handle[0].data["rework_count"] == 1
    _complete(wf, "handle", resolution="已更换防水层")
    _complete(wf, "reply", reached="yes", reply="已返修", satisfied="yes", score=4, comment="")
    data = _closed_data(wf)
    assert data["rework_count"] == 1
    assert data["resolution"] == "已更换防水层"


def test_owner_not_reached_comes_back_to_the_reply_and_is_counted() -> None:
    wf = _start(COMPLAINT)
    _triage(wf)
    _complete(wf, "handle", resolution="已维修")
    _complete(wf, "reply", reached="no", reply="已维修")
    _complete(wf, "reply", reached="no", reply="已维修")
    _complete(wf, "reply", reached="yes", reply="已维修", satisfied="yes", score=5, comment="")
    data = _closed_data(wf)
    assert (data["contact_attempts"], data["rework_count"]) == (2, 0)


def test_v2_adds_review_after_handle() -> None:
    wf = _start(COMPLAINT_V2)
    _triage(wf)
    _complete(wf, "handle", resolution="已维修")
    _complete(wf, "review", reviewed=True)
    _complete(wf, "reply", reached="yes", reply="已维修", satisfied="no", score=1, comment="")
    _complete(wf, "handle", resolution="返修")
    _complete(wf, "review", reviewed=True)
    _complete(wf, "reply", reached="yes", reply="已返修", satisfied="yes", score=5, comment="")
    assert _closed_data(wf)["rework_count"] == 1


def test_v2_differs_only_by_review() -> None:
    v1 = _parser(COMPLAINT).get_spec("complaint").task_specs
    v2 = _parser(COMPLAINT_V2).get_spec("complaint").task_specs
    assert set(v2) - set(v1) == {"review"}
    assert set(v1) <= set(v2)


def test_sandbox_escape_fixture_parses_but_is_never_run() -> None:
    specs = _parser(ESCAPE).get_spec("escape").task_specs
    assert "__import__" in specs["evil"].script
    assert specs["after"].lane == CRC
    assert specs["after"].extensions["properties"]["formKey"] == "complaint_reply"
    assert _unsafe_reasons(specs["evil"].script, "exec")


# --- static checks over the XML -------------------------------------------------------------------------


def _unsafe_reasons(source: str, mode: str) -> list[str]:
    functions = deadline_functions(BusinessCalendar())
    return problems_in(source, "exec" if mode == "exec" else "eval", functions)


@pytest.mark.parametrize("path", [COMPLAINT, COMPLAINT_V2])
def test_scripts_and_conditions(path: Path) -> None:
    tree = etree.parse(str(path))
    for script in tree.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        assert _unsafe_reasons(script.text, "exec") == []
    gateways = tree.findall(".//bpmn:exclusiveGateway", NS)
    assert gateways
    for gateway in gateways:
        default = gateway.get("default")
        outgoing = tree.findall(f".//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']", NS)
        assert default in {flow.get("id") for flow in outgoing}
        for flow in outgoing:
            condition = flow.find("bpmn:conditionExpression", NS)
            if flow.get("id") == default:
                assert condition is None
            else:
                assert condition is not None and _unsafe_reasons(condition.text, "eval") == []


def _bounds(shape: etree._Element) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


def _inside(inner: tuple, outer: tuple) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def _on_border(point: tuple[float, float], box: tuple) -> bool:
    px, py = point
    x, y, w, h = box
    on_vertical = px in (x, x + w) and y <= py <= y + h
    on_horizontal = py in (y, y + h) and x <= px <= x + w
    return on_vertical or on_horizontal


@pytest.mark.parametrize(
    ("path", "process_id"), [(COMPLAINT, "complaint"), (COMPLAINT_V2, "complaint"), (ESCAPE, "escape")]
)
def test_diagram_interchange(path: Path, process_id: str) -> None:
    tree = etree.parse(str(path))
    (collaboration,) = tree.findall("bpmn:collaboration", NS)
    (participant,) = collaboration.findall("bpmn:participant", NS)
    assert participant.get("processRef") == process_id
    process = tree.find(f"bpmn:process[@id='{process_id}']", NS)
    assert process.get("isExecutable") == "true"
    (plane,) = tree.findall(".//bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == collaboration.get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}

    nodes = [n for tag in FLOW_NODE_TAGS for n in process.findall(f"bpmn:{tag}", NS)]
    node_ids = {n.get("id") for n in nodes}
    flows = process.findall("bpmn:sequenceFlow", NS)
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert set(shapes) == node_ids | {participant.get("id")} | {lane.get("id") for lane in lanes}
    assert set(edges) == {f.get("id") for f in flows}

    # The pool, and lanes as horizontal bands stacked inside it (30 px left for the pool's title).
    pool = _bounds(shapes[participant.get("id")])
    assert shapes[participant.get("id")].get("isHorizontal") == "true"
    y = pool[1]
    refs: list[str] = []
    for lane in lanes:
        band = _bounds(shapes[lane.get("id")])
        assert shapes[lane.get("id")].get("isHorizontal") == "true"
        assert (band[0], band[1], band[0] + band[2]) == (pool[0] + 30, y, pool[0] + pool[2])
        y += band[3]
        lane_refs = [ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)]
        refs += lane_refs
        for ref in lane_refs:
            assert _inside(_bounds(shapes[ref]), band), f"{ref} lies outside lane {lane.get('name')}"
    assert y == pool[1] + pool[3]
    assert sorted(refs) == sorted(node_ids), "every node in exactly one lane"

    # Edges: orthogonal segments from the source's border to the target's, inside the pool.
    for flow in flows:
        points = [
            (float(p.get("x")), float(p.get("y"))) for p in edges[flow.get("id")].findall("di:waypoint", NS)
        ]
        assert len(points) >= 2
        assert _on_border(points[0], _bounds(shapes[flow.get("sourceRef")])), flow.get("id")
        assert _on_border(points[-1], _bounds(shapes[flow.get("targetRef")])), flow.get("id")
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} has a diagonal segment"
        for point in points:
            assert _inside((*point, 0, 0), pool)

    # Every named element that bpmn-js labels outside its shape carries label bounds inside the pool.
    for element_id, di in {**shapes, **edges}.items():
        label = di.find("bpmndi:BPMNLabel", NS)
        if label is not None:
            assert _inside(_bounds(label), pool), element_id
