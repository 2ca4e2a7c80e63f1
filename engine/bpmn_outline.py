"""What a deployed diagram's timers say, for a version page that tells it in plain words: each boundary
timer's expression, and the deadline call it makes when it is a simple one (`working_days(2)`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from engine.bpmn_xml import bpmn, safe_parser

_CALL = re.compile(r"^\s*(calendar_hours|business_hours|working_days)\(\s*(\d+(?:\.\d+)?)\s*\)\s*$")
_ISO_HOURS = re.compile(r"^\s*([\"'])PT(\d+)H\1\s*$")


@dataclass(frozen=True)
class TimerText:
    kind: str  # timeDate | timeDuration | timeCycle
    text: str

    def duration(self) -> tuple[str, float] | None:
        """(unit, amount) — unit `calendar_hours`, `business_hours` or `working_days` — of a simple
        deadline; None when the expression computes something else."""
        if self.kind == "timeCycle":
            return None
        call = _CALL.match(self.text)
        if call is not None:
            return call.group(1), float(call.group(2))
        iso = _ISO_HOURS.match(self.text)
        if iso is not None:
            return "calendar_hours", float(iso.group(2))
        return None


def boundary_timers(xml: str) -> dict[str, TimerText]:
    """The timer expression of every timer boundary event in a BPMN document, by element id."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError:
        return {}
    found: dict[str, TimerText] = {}
    for event in root.iter(bpmn("boundaryEvent")):
        definition = event.find(bpmn("timerEventDefinition"))
        if definition is None:
            continue
        for kind in ("timeDate", "timeDuration", "timeCycle"):
            expression = definition.find(bpmn(kind))
            if expression is not None:
                found[event.get("id", "")] = TimerText(kind, (expression.text or "").strip())
                break
        else:
            found[event.get("id", "")] = TimerText("timeDate", "")
    return found


@dataclass(frozen=True)
class Flow:
    """A sequence flow leaving a gateway, with the names of its ends and its condition (empty: none)."""

    flow_id: str
    source: str
    target: str
    condition: str


def gateway_flows(xml: str) -> dict[str, Flow]:
    """Every sequence flow that leaves a gateway in a BPMN document, by flow id; ends named by their
    element's name (or id when unnamed)."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError:
        return {}
    names: dict[str, str] = {}
    gateways: set[str] = set()
    for el in root.iter():
        element_id = el.get("id") if isinstance(el.tag, str) else None
        if element_id is None:
            continue
        names[element_id] = (el.get("name") or "").strip() or element_id
        if el.tag.endswith("Gateway"):
            gateways.add(element_id)
    found: dict[str, Flow] = {}
    for flow in root.iter(bpmn("sequenceFlow")):
        source = flow.get("sourceRef", "")
        if source not in gateways:
            continue
        condition = flow.find(bpmn("conditionExpression"))
        target = flow.get("targetRef", "")
        found[flow.get("id", "")] = Flow(
            flow.get("id", ""),
            names.get(source, source),
            names.get(target, target),
            " ".join((condition.text or "").split()) if condition is not None else "",
        )
    return found
