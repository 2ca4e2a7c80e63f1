"""Structural checks of the executable process: what SpiffWorkflow 3.2 can run, and how it must be drawn.

SpiffWorkflow only parses what is reachable from a start event, stops at the first error, and accepts some
constructs it then ignores (link events, signal end events, conditions on flows out of tasks, pre-scripts on
events). These checks look at every element, report every problem, and name those silent cases.
"""

from __future__ import annotations

from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn_expressions import code_findings, python_of, timer_check
from engine.bpmn_meta import TIMER_KINDS, BoundaryTimerMeta, HumanTaskMeta, TimerStart
from engine.bpmn_tasks import Context, boundary_timer, human_task
from engine.bpmn_xml import (
    SPIFF_NS,
    Element,
    blank,
    child,
    children,
    extensions,
    local_name,
    text_key,
    vendor_attribute,
    vendor_extensions,
)
from engine.safety import Mode

# Every flow node SpiffBpmnParser has a parser for.
FLOW_NODES = frozenset(
    local
    for tag in (*SpiffBpmnParser.PARSER_CLASSES, *SpiffBpmnParser.OVERRIDE_PARSER_CLASSES)
    if (local := tag.rpartition("}")[2])
)
UNSUPPORTED: dict[str, str] = {
    "complexGateway": "complex gateways are not supported: use an inclusive gateway with conditions, "
    "or exclusive and parallel gateways",
    "implicitThrowEvent": "implicit throw events are not supported: use an intermediate throw event",
    "callChoreography": "choreographies are not supported",
    "choreographyTask": "choreographies are not supported",
    "subChoreography": "choreographies are not supported",
}
# Other things a process or subprocess may contain (BPMN 2.0 tProcess / tSubProcess); none of them run.
ALLOWED = frozenset(
    """sequenceFlow dataObject dataObjectReference dataStoreReference documentation extensionElements auditing
    monitoring categoryValueRef supportedInterfaceRef ioSpecification ioBinding laneSet association group
    textAnnotation performer humanPerformer potentialOwner resourceRole correlationSubscription supports
    property standardLoopCharacteristics multiInstanceLoopCharacteristics incoming outgoing
    dataInputAssociation dataOutputAssociation completionCondition""".split()
)
GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"})
CONDITIONAL_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
EVENTS = frozenset("startEvent endEvent intermediateCatchEvent intermediateThrowEvent boundaryEvent".split())
ACTIVITIES = FLOW_NODES - GATEWAYS - EVENTS
# The event definitions SpiffWorkflow 3.2's parsers read, per event (bpmn/parser/event_parsers.py); any other
# definition is silently dropped and the event becomes a plain one.
EVENT_DEFINITIONS: dict[str, frozenset[str]] = {
    "startEvent": frozenset({"message", "signal", "timer", "conditional"}),
    "endEvent": frozenset({"message", "cancel", "error", "escalation", "terminate"}),
    "intermediateCatchEvent": frozenset({"message", "signal", "timer", "conditional"}),
    "intermediateThrowEvent": frozenset({"message", "signal", "escalation"}),
    "boundaryEvent": frozenset("cancel error escalation message signal timer conditional".split()),
}
EVENT_HINTS = {
    "link": "link events are not supported (SpiffWorkflow would treat this as a plain event and do nothing): "
    "draw the sequence flow directly",
    "compensate": "compensation is not supported: model the undo steps explicitly, "
    "e.g. an error boundary event leading to them",
}
# Tasks whose spiffworkflow:preScript/postScript SpiffBpmnParser reads.
SCRIPTED = frozenset(
    """task userTask manualTask scriptTask serviceTask businessRuleTask sendTask receiveTask subProcess
    transaction callActivity""".split()
)
EVENT_SUBPROCESS_TRIGGERS = frozenset({"message", "signal", "timer", "conditional"})


def _label(name: str) -> str:
    """'userTask' -> 'user task'."""
    return "".join(f" {ch.lower()}" if ch.isupper() else ch for ch in name)


class ProcessChecker:
    """Walks the executable process and its embedded subprocesses, collecting human tasks and timer starts."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tasks: dict[str, HumanTaskMeta] = {}
        self.timer_starts: list[TimerStart] = []
        self.boundary_timers: dict[str, BoundaryTimerMeta] = {}

    def add(self, message: str, el: Element, element_id: str | None = None) -> None:
        self.ctx.report.add(message, el, element_id=element_id)

    def code(self, text: str, mode: Mode, what: str, text_el: Element, element_id: str | None) -> None:
        if mode == "eval":
            python, _ = python_of(text, self.ctx.functions, what)
            if python is not None:  # JUEL: SpiffWorkflow is given the Python
                self.ctx.rewrites[text_key(text_el)] = python
        self.ctx.findings(code_findings(text, mode, self.ctx.functions, what), element_id, text_el, text_el)

    def notice(self, message: str, el: Element, element_id: str | None = None) -> None:
        self.ctx.report.notice(message, el, element_id=element_id)

    def check(self, process: Element) -> None:
        self.extensions(process, process.get("id"), "process")
        self.container(process, "process", None, event_subprocess=False)

    # -- containers and flows --------------------------------------------------------------------------

    def container(self, el: Element, kind: str, lane: str | None, *, event_subprocess: bool) -> None:
        kids = list(children(el))
        kinds = {c.get("id"): name for name, c in kids if name in FLOW_NODES or name in UNSUPPORTED}
        outgoing: dict[str, list[Element]] = {}
        incoming: dict[str, list[Element]] = {}
        for name, c in kids:
            if name == "sequenceFlow":
                outgoing.setdefault(c.get("sourceRef"), []).append(c)
                incoming.setdefault(c.get("targetRef"), []).append(c)
        starts = [c for name, c in kids if name == "startEvent"]
        ends = [c for name, c in kids if name == "endEvent"]
        if kind == "process" and not starts:
            self.add("process has no start event: add one", el)
        elif kind in ("subProcess", "transaction"):
            if len(starts) != 1:
                self.add(f"a subprocess needs exactly one start event; found {len(starts)}", el)
            if not ends:
                self.add("a subprocess needs an end event", el)
        elif kind == "adHocSubProcess":
            if starts or ends:
                self.add("an ad hoc subprocess may not contain start or end events", el)
            if (el.get("ordering") or "").lower() == "sequential":
                self.add("sequential ad hoc subprocesses are not supported: use parallel ordering", el)
            condition = child(el, "completionCondition")
            if condition is not None and not blank(condition.text):
                self.code(condition.text, "eval", "completionCondition", condition, el.get("id"))
        for name, c in kids:
            if name == "sequenceFlow":
                self.flow(c, kinds)
            elif name in UNSUPPORTED:
                self.add(UNSUPPORTED[name], c)
            elif name in FLOW_NODES:
                self.node(name, c, kind, lane, kinds, outgoing, incoming, event_subprocess)
            elif name not in ALLOWED:
                self.notice(f"bpmn:{name} is ignored: the workflow engine does not run it", c)

    def flow(self, flow: Element, kinds: dict[str | None, str]) -> None:
        flow_id = flow.get("id")
        if not flow_id:
            self.add("sequence flow has no id", flow)
        for attribute in ("sourceRef", "targetRef"):
            ref = flow.get(attribute)
            if not ref:
                self.add(f"sequence flow has no {attribute}", flow)
            elif ref not in kinds:
                where = (
                    "is not in the same process or subprocess"
                    if ref in self.ctx.doc.by_id
                    else "does not exist"
                )
                self.add(f"sequence flow {flow_id}: {attribute} '{ref}' {where}", flow)
        condition = child(flow, "conditionExpression")
        if condition is None or blank(condition.text):
            return
        source_kind = kinds.get(flow.get("sourceRef"))
        if source_kind in CONDITIONAL_GATEWAYS:
            language = condition.get("language")
            if language and "python" not in language.lower():
                self.add(
                    f"condition language '{language}' is not supported: conditions are Python",
                    condition,
                    flow_id,
                )
            self.code(condition.text, "eval", "condition", condition, flow_id)
        elif source_kind is not None:
            self.add(
                f"the condition on a flow out of a {_label(source_kind)} is ignored: conditions only work on "
                "flows out of an exclusive or inclusive gateway",
                condition,
                flow_id,
            )

    # -- flow nodes -------------------------------------------------------------------------------------

    def node(
        self,
        name: str,
        el: Element,
        container: str,
        inherited_lane: str | None,
        kinds: dict[str | None, str],
        outgoing: dict[str, list[Element]],
        incoming: dict[str, list[Element]],
        in_event_subprocess: bool,
    ) -> None:
        node_id = el.get("id")
        if not node_id:
            self.add(f"bpmn:{name} has no id", el)
            return
        label = _label(name)
        lane = inherited_lane if inherited_lane is not None else self.ctx.doc.lanes.get(node_id)
        outs = outgoing.get(node_id, [])
        is_event_subprocess = name == "subProcess" and el.get("triggeredByEvent") == "true"
        if len(outs) > 1 and name not in GATEWAYS and name != "startEvent":
            self.add(f"{len(outs)} sequence flows leave this {label}: draw a gateway to split the flow", el)
        if el.get("isForCompensation") == "true":
            self.add("compensation handlers are not supported: model the undo steps explicitly", el)
        elif (
            not incoming.get(node_id)
            and name not in ("startEvent", "boundaryEvent")
            and not is_event_subprocess
            and container != "adHocSubProcess"
        ):
            self.notice(
                f"no sequence flow leads to this {label}: it never runs (connect it or remove it)", el
            )
        self.extensions(el, node_id, name)
        if name in EVENT_DEFINITIONS:
            self.event(name, el, container, kinds, in_event_subprocess)
        elif name in CONDITIONAL_GATEWAYS:
            self.gateway(el, outs)
        else:
            self.loops(el, node_id)
        if name in ("userTask", "manualTask"):
            self.tasks[node_id] = human_task(self.ctx, el, name, lane)
            self.unread_assignment(el)
        elif name == "scriptTask":
            self.script_task(el, node_id)
        elif name == "serviceTask":
            self.service_task(el, node_id)
        elif name == "businessRuleTask":
            self.business_rule_task(el)
        elif name in ("sendTask", "receiveTask") and el.get("messageRef"):
            ref = el.get("messageRef")
            if local_name(self.ctx.doc.by_id.get(ref, el)) != "message":
                self.add(f"messageRef '{ref}' does not name a bpmn:message of this file", el)
        elif name == "callActivity":
            called = el.get("calledElement")
            if not called:
                self.add("call activity has no calledElement", el)
            elif (
                local_name(self.ctx.doc.by_id.get(called, el)) != "process"
                and called not in self.ctx.processes
            ):
                self.add(
                    f"call activity calls process '{called}', which is in none of the deployed files: deploy "
                    "the file that has it together with this one",
                    el,
                )
        elif name in CONTAINERS:
            self.container(el, name, lane, event_subprocess=is_event_subprocess)

    def unread_assignment(self, el: Element) -> None:
        """Ways of naming people that Lintel does not read: the task still goes to its department's queue."""
        unread = [
            f"bpmn:{local}" for local, _ in children(el) if local in ("potentialOwner", "humanPerformer")
        ]
        unread += [found[0] for found in [vendor_attribute(el, "candidateUsers")] if found is not None]
        for what in unread:
            self.notice(
                f"{what} is not read: the task goes to the queue of its department (candidateGroups, lane or "
                "the default department)",
                el,
            )

    def business_rule_task(self, el: Element) -> None:
        """The DMN decision it runs: spiffworkflow:calledDecisionId, or camunda:decisionRef."""
        spiff = next((ext for n, ext in extensions(el, SPIFF_NS) if n == "calledDecisionId"), None)
        ref = vendor_attribute(el, "decisionRef")
        decision = (spiff.text if spiff is not None else (ref[1] if ref is not None else "")) or ""
        decision = decision.strip()
        if not decision:
            self.add(
                "business rule task names no decision: set camunda:decisionRef (or spiffworkflow:"
                "calledDecisionId) to the id of a decision in a DMN file deployed with the diagram",
                el,
            )
        elif decision not in self.ctx.decisions:
            self.add(
                f"business rule task runs decision '{decision}', which is in none of the deployed DMN files: "
                "deploy its .dmn file together with the diagram",
                el,
            )
        if vendor_attribute(el, "resultVariable") is not None:
            self.ctx.report.notice(
                "camunda:resultVariable is not used: each output of the decision becomes a variable of "
                "its own name",
                el,
            )

    def extensions(self, el: Element, element_id: str | None, name: str) -> None:
        for ext_name, ext in extensions(el, SPIFF_NS):
            if ext_name in ("preScript", "postScript") and not blank(ext.text):
                if name in SCRIPTED:
                    self.code(ext.text, "exec", ext_name, ext, element_id)
                else:
                    self.add(
                        f"a {ext_name} on a {_label(name)} is never run: put it on a task", ext, element_id
                    )
        for ext_name, ext in vendor_extensions(el):
            local = ext_name.partition(":")[2]
            if local in ("executionListener", "taskListener"):
                self.add(
                    f"{ext_name} is not run: use a script task, or a spiffworkflow preScript or postScript",
                    ext,
                    element_id,
                )
            elif local == "inputOutput":
                self.add(
                    f"{ext_name} mappings are not applied: use a script task to copy data",
                    ext,
                    element_id,
                )

    def event(
        self, name: str, el: Element, container: str, kinds: dict[str | None, str], in_event_subprocess: bool
    ) -> None:
        node_id = el.get("id")
        supported = EVENT_DEFINITIONS[name]
        found = []
        for def_name, definition in children(el):
            if def_name == "eventDefinitionRef":
                self.add("eventDefinitionRef is not supported: put the event definition inside the event", el)
            if not def_name.endswith("EventDefinition"):
                continue
            short = def_name.removesuffix("EventDefinition")
            found.append(short)
            if short in EVENT_HINTS:
                self.add(EVENT_HINTS[short], el)
            elif short not in supported:
                self.add(
                    f"{short} {_label(name)}s are not supported (SpiffWorkflow would treat this as a plain "
                    "event): "
                    f"use one of {', '.join(sorted(supported))}",
                    el,
                )
            elif short == "timer":
                self.timer(el, definition, top_start=name == "startEvent" and container == "process")
            elif short in ("message", "signal", "error", "escalation"):
                ref = definition.get(f"{short}Ref")
                if ref and local_name(self.ctx.doc.by_id.get(ref, definition)) != short:
                    self.add(f"{short}Ref '{ref}' does not name a bpmn:{short} of this file", el)
            elif short == "conditional":
                condition = child(definition, "condition")
                if condition is None or blank(condition.text):
                    self.add("conditional event has no condition", el)
                else:
                    self.code(condition.text, "eval", "condition", condition, node_id)
        if name == "boundaryEvent":
            if not found:
                self.add("boundary event has no event definition", el)
            attached = el.get("attachedToRef")
            if kinds.get(attached) not in ACTIVITIES:
                self.add(f"boundary event is attached to '{attached}', which is not an activity here", el)
        if name == "startEvent" and in_event_subprocess and not EVENT_SUBPROCESS_TRIGGERS.intersection(found):
            self.add(
                "the start event of an event subprocess needs a message, signal, timer or conditional "
                "trigger: "
                "SpiffWorkflow would run the subprocess as soon as the process starts",
                el,
            )

    def timer(self, el: Element, definition: Element, *, top_start: bool) -> None:
        node_id = el.get("id")
        present = [(kind, found) for kind in TIMER_KINDS if (found := child(definition, kind)) is not None]
        if not present:
            self.add("timer has no timeDate, timeDuration or timeCycle", el)
            return
        kind, value = present[0]  # SpiffWorkflow's order of preference
        found, python = timer_check(kind, value.text, self.ctx.functions, literal_iso=self.ctx.vendor_dialect)
        self.ctx.findings(found, node_id, value, value)
        if python is not None:  # JUEL or a cron text: SpiffWorkflow is given the Python
            self.ctx.rewrites[text_key(value)] = python
        if top_start and node_id:
            expression = python if python is not None else (value.text or "").strip()
            self.timer_starts.append(TimerStart(node_id, kind, expression))
        if local_name(el) == "boundaryEvent" and node_id:
            self.boundary_timers[node_id] = boundary_timer(self.ctx, el)

    def gateway(self, el: Element, outs: list[Element]) -> None:
        gateway_id = el.get("id")
        default = el.get("default")
        if default and default not in [flow.get("id") for flow in outs]:
            self.add(f"default flow '{default}' is not a flow leaving this gateway", el)
        if len(outs) < 2:
            return
        for flow in outs:
            condition = child(flow, "conditionExpression")
            if flow.get("id") != default and (condition is None or blank(condition.text)):
                self.add(
                    f"flow {flow.get('id')} from gateway {gateway_id} has no condition and is not the "
                    "default flow",
                    flow,
                )

    def loops(self, el: Element, node_id: str) -> None:
        multi = child(el, "multiInstanceLoopCharacteristics")
        if multi is not None:
            cardinality, data_input = child(multi, "loopCardinality"), child(multi, "loopDataInputRef")
            if cardinality is None and data_input is None:
                message = "a multi-instance task needs a loopCardinality or a loopDataInputRef"
                collection = vendor_attribute(multi, "collection")
                if collection is not None:
                    message += f" ({collection[0]} is not read: use loopDataInputRef and inputDataItem)"
                self.add(message, multi, node_id)
            elif cardinality is not None and data_input is not None:
                self.add(
                    "a multi-instance task needs only one of loopCardinality and loopDataInputRef",
                    multi,
                    node_id,
                )
            if cardinality is not None:
                if blank(cardinality.text):
                    self.add("loopCardinality is empty", cardinality, node_id)
                else:
                    self.code(cardinality.text, "eval", "loopCardinality", cardinality, node_id)
            condition = child(multi, "completionCondition")
            if condition is not None and not blank(condition.text):
                self.code(condition.text, "eval", "completionCondition", condition, node_id)
        loop = child(el, "standardLoopCharacteristics")
        if loop is not None:
            condition, maximum = child(loop, "loopCondition"), loop.get("loopMaximum")
            if maximum is not None and not maximum.strip().isdigit():
                self.add(f"loopMaximum '{maximum}' is not a whole number", loop, node_id)
            if condition is None or blank(condition.text):
                if maximum is None:
                    self.add("a loop needs a loopMaximum or a loopCondition", loop, node_id)
            else:
                self.code(condition.text, "eval", "loopCondition", condition, node_id)

    def script_task(self, el: Element, node_id: str) -> None:
        script_format = el.get("scriptFormat")
        if script_format and "python" not in script_format.lower():
            self.add(f"scriptFormat '{script_format}' is not supported: scripts are Python", el)
        script = child(el, "script")
        if script is None or blank(script.text):
            resource = vendor_attribute(el, "resource")
            hint = f" (external {resource[0]} scripts are not read)" if resource is not None else ""
            self.add(f"script task has no script{hint}", el)
        else:
            self.code(script.text, "exec", "script", script, node_id)

    def service_task(self, el: Element, node_id: str) -> None:
        operator = next(
            (ext for name, ext in extensions(el, SPIFF_NS) if name == "serviceTaskOperator"), None
        )
        if operator is None:
            for attribute in ("class", "delegateExpression", "expression", "type"):
                found = vendor_attribute(el, attribute)
                if found is None:
                    continue
                what = {"type": "an external task", "expression": "a Java expression"}.get(
                    attribute, "a Java delegate"
                )
                self.add(
                    f'{found[0]}="{found[1]}" is {what}, which Lintel cannot run: write the step as a script '
                    "task (Python), or a service task with a spiffworkflow:serviceTaskOperator",
                    el,
                )
                return
            self.add("service task has no spiffworkflow:serviceTaskOperator", el)
            return
        operation = operator.get("id")
        if not operation:
            self.add("serviceTaskOperator has no id", operator, node_id)
        elif operation not in self.ctx.functions:
            self.add(
                f"service task calls '{operation}', which is not a registered function", operator, node_id
            )
        for param in operator.iter(f"{{{SPIFF_NS}}}parameter"):
            if "value" not in param.attrib:
                continue
            if param.get("id") is None or param.get("type") is None:
                self.add("service task parameter needs an id and a type", param, node_id)
            self.code(param.get("value"), "eval", f"parameter {param.get('id')}", param, node_id)


def check_document_expressions(ctx: Context) -> None:
    """Expressions outside the process: message payloads and correlations, event payloads."""
    root = ctx.doc.root
    for el in root.iter():
        what = local_name(el, SPIFF_NS) or (
            "messagePath"
            if local_name(el) in ("messagePath", "formalExpression")
            and local_name(el.getparent()) == "correlationPropertyRetrievalExpression"
            else None
        )
        if what not in ("messagePayload", "payloadExpression", "expression", "messagePath") or blank(el.text):
            continue
        if what == "expression" and local_name(el.getparent(), SPIFF_NS) != "processVariableCorrelation":
            continue
        owner = el
        while owner is not None and owner.get("id") is None:
            owner = owner.getparent()
        ctx.findings(
            code_findings(el.text, "eval", ctx.functions, what),
            owner.get("id") if owner is not None else None,
            el,
            el,
        )
