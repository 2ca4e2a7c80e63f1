"""Human tasks (userTask, manualTask): their form, routing and deadline, read from either BPMN dialect.

Spiff dialect: `<spiffworkflow:properties><spiffworkflow:property name="formKey" value="..."/>` with the names
formKey, candidateGroups, assignee, priority and dueDate. Camunda 7 dialect: the attributes camunda:formKey,
camunda:candidateGroups, camunda:assignee, camunda:priority and camunda:dueDate on the task. When both give
the same property with different values, that is a problem.

Rules:
- formKey: a userTask must have one, a manualTask may; the form must exist. A Camunda formKey such as
  "embedded:app:forms/complaint_triage.html" or "camunda-forms:deployment:complaint_triage.form" names the
  form by its last path segment without extension ("complaint_triage").
- candidateGroups, in this order:
  1. "${expr}" (or "#{expr}") is the Python expression `expr` over task data;
  2. a known department code or name is that department (stored as its code);
  3. several known departments separated by commas is a problem: a task goes to exactly one department;
  4. a non-ASCII identifier (e.g. a mistyped Chinese department name) is a problem: task data keys are ASCII,
     so it is far more likely a department that does not exist (write "${name}" if it really is a variable);
  5. any other valid Python expression (notably a plain ASCII identifier such as "department") is an
     expression over task data, checked against the sandbox rules;
  6. anything else is a problem: neither a known department nor a valid expression.
- Without candidateGroups, the task goes to its lane's department: a task with no lane, or whose lane name is
  not a department code or name, is a problem.
- assignee: "${expr}" is an expression, anything else a literal username.
- priority and dueDate are Python expressions ("${expr}" is unwrapped); dueDate gives a datetime, an ISO
  8601 date-time or an ISO 8601 duration, so an unquoted ISO value is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from engine.bpmn_expressions import Finding, code_findings, due_date_findings, unwrap_juel
from engine.bpmn_meta import TIMER_ROLES, BoundaryTimerMeta, DeployOptions, HumanTaskMeta, TimerRole
from engine.bpmn_xml import SPIFF_NS, Document, Element, Reporter, camunda, extensions
from engine.safety import problems_in

FIELDS = ("formKey", "candidateGroups", "assignee", "priority", "dueDate")


@dataclass
class Context:
    report: Reporter
    doc: Document
    departments: Mapping[str, str]
    form_exists: Callable[[str], bool]
    functions: Collection[str]
    options: DeployOptions = field(default_factory=DeployOptions)

    def findings(
        self, found: list[Finding], element_id: str | None, at: Element, text_el: Element | None
    ) -> None:
        """Report findings about source text; `text_el` holds the text (its line is where the text starts)."""
        for finding in found:
            if text_el is not None and text_el.sourceline:
                line = text_el.sourceline + finding.offset
            else:
                line = self.doc.line(at)
            self.report.add(finding.message, element_id=element_id, line=line)

    def department(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.departments.get(name) or self.departments.get(name.strip())


@dataclass(frozen=True)
class _Value:
    text: str
    where: Element  # the spiffworkflow:property, or the task for a camunda attribute
    is_property: bool


def camunda_form_key(value: str) -> str:
    last = re.split(r"[/:]", value.strip())[-1]
    return last.rsplit(".", 1)[0] if "." in last else last


def _values(ctx: Context, el: Element, fields: tuple[str, ...] = FIELDS) -> dict[str, _Value]:
    element_id = el.get("id")
    spiff: dict[str, _Value] = {}
    for name, ext in extensions(el, SPIFF_NS):
        if name != "properties":
            continue
        for prop in ext.iter(f"{{{SPIFF_NS}}}property"):
            prop_name, prop_value = prop.get("name"), prop.get("value")
            if prop_name is None or prop_value is None:
                ctx.report.add(
                    "spiffworkflow:property needs both a name and a value", prop, element_id=element_id
                )
            elif prop_name in fields:
                spiff[prop_name] = _Value(prop_value, prop, True)
    found: dict[str, _Value] = {}
    for name in fields:
        attribute = el.get(camunda(name))
        in_spiff = spiff.get(name)
        if in_spiff is not None and attribute is not None:
            same = in_spiff.text.strip() == (
                camunda_form_key(attribute) if name == "formKey" else attribute.strip()
            )
            if not same:
                ctx.report.add(
                    f"{name} is given twice, as spiffworkflow property '{in_spiff.text}' and as "
                    f"camunda:{name} '{attribute}': keep one",
                    in_spiff.where,
                    element_id=element_id,
                )
        if in_spiff is not None and in_spiff.text.strip():
            found[name] = in_spiff
        elif attribute is not None and attribute.strip():
            text = camunda_form_key(attribute) if name == "formKey" else attribute
            found[name] = _Value(text, el, False)
    return found


def human_task(ctx: Context, el: Element, kind: str, lane: str | None) -> HumanTaskMeta:
    """The task's metadata; every problem with it goes to `ctx.report`."""
    element_id: str = el.get("id")
    values = _values(ctx, el)

    form = values.get("formKey")
    form_key = form.text.strip() if form else None
    if form is None or not form_key:
        form_key = None
        if kind == "userTask":
            ctx.report.add("user task has no form: add a formKey property", el)
    elif not ctx.form_exists(form_key):
        ctx.report.add(f"form '{form_key}' does not exist", form.where, element_id=element_id)

    groups, groups_is_expression = _candidate_groups(ctx, element_id, values.get("candidateGroups"))
    department = ctx.department(lane)
    if "candidateGroups" not in values:
        if lane is None:
            ctx.report.add(
                "task has no lane and no candidateGroups: put it in a department's lane or set "
                "candidateGroups",
                el,
            )
        elif department is None:
            ctx.report.add(f"lane '{lane}' is not a department and task has no candidateGroups", el)

    assignee, assignee_is_expression = None, False
    if "assignee" in values:
        value = values["assignee"]
        inner = unwrap_juel(value.text)
        if inner is not None:
            assignee, assignee_is_expression = inner, True
            _check(ctx, element_id, value, code_findings(inner, "eval", ctx.functions, "assignee expression"))
        else:
            assignee = value.text.strip()

    priority = None
    if "priority" in values:
        value = values["priority"]
        priority = _unwrapped(value.text)
        _check(ctx, element_id, value, code_findings(priority, "eval", ctx.functions, "priority expression"))

    due_date = None
    if "dueDate" in values:
        value = values["dueDate"]
        due_date = _unwrapped(value.text)
        _check(ctx, element_id, value, due_date_findings(due_date, ctx.functions))

    return HumanTaskMeta(
        element_id=element_id,
        name=el.get("name") or element_id,
        lane=lane,
        department=department,
        candidate_groups=groups,
        candidate_groups_is_expression=groups_is_expression,
        assignee=assignee,
        assignee_is_expression=assignee_is_expression,
        form_key=form_key,
        priority=priority,
        due_date=due_date,
    )


def _unwrapped(text: str) -> str:
    inner = unwrap_juel(text)
    return inner if inner is not None else text.strip()


def _check(ctx: Context, element_id: str, value: _Value, found: list[Finding]) -> None:
    ctx.findings(found, element_id, value.where, None)


def _candidate_groups(ctx: Context, element_id: str, value: _Value | None) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    text = value.text.strip()
    inner = unwrap_juel(text)
    if inner is not None:
        _check(
            ctx, element_id, value, code_findings(inner, "eval", ctx.functions, "candidateGroups expression")
        )
        return inner, True
    code = ctx.department(text)
    if code is not None:
        return code, False
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > 1 and all(ctx.department(part) for part in parts):
        ctx.report.add(
            f"candidateGroups '{text}' names several departments: a task goes to exactly one department",
            value.where,
            element_id=element_id,
        )
        return None, False
    if text.isidentifier() and not text.isascii():
        ctx.report.add(
            f"candidateGroups '{text}' is not a known department "
            f"(write ${{{text}}} if it is a data variable)",
            value.where,
            element_id=element_id,
        )
        return None, False
    if any(message.startswith("Python syntax error") for message in problems_in(text, "eval", ctx.functions)):
        ctx.report.add(
            f"candidateGroups '{text}' is neither a known department nor a valid Python expression",
            value.where,
            element_id=element_id,
        )
        return None, False
    _check(ctx, element_id, value, code_findings(text, "eval", ctx.functions, "candidateGroups expression"))
    return text, True


TIMER_FIELDS = ("role", "level", "clock", "candidateGroups", "assignee")


def boundary_timer(ctx: Context, el: Element) -> BoundaryTimerMeta:
    """What Lintel does when a timer boundary event fires, from its spiffworkflow properties.

    role: deadline (default), reminder or escalation; level: the escalation level (1, 2, 3...);
    clock: calendar (default) or business; candidateGroups and assignee: who gets an escalation's inbox
    task (default: the overdue task's own department).
    """
    element_id: str = el.get("id")
    values = _values(ctx, el, TIMER_FIELDS)
    role = values["role"].text.strip() if "role" in values else "deadline"
    if role not in TIMER_ROLES:
        ctx.report.add(
            f"timer role '{role}' is not one of {', '.join(TIMER_ROLES)}",
            values["role"].where,
            element_id=element_id,
        )
        role = "deadline"
    level = 0
    if "level" in values:
        text = values["level"].text.strip()
        if text.isdigit() and int(text) > 0:
            level = int(text)
        else:
            ctx.report.add(
                f"escalation level '{text}' is not a positive whole number",
                values["level"].where,
                element_id=element_id,
            )
    if role == "escalation" and level == 0:
        level = 1
    clock = values["clock"].text.strip() if "clock" in values else "calendar"
    if clock not in ("business", "calendar"):
        ctx.report.add(
            f"timer clock '{clock}' is not business or calendar", values["clock"].where, element_id=element_id
        )
        clock = "calendar"
    groups, groups_is_expression = _candidate_groups(ctx, element_id, values.get("candidateGroups"))
    assignee, assignee_is_expression = None, False
    if "assignee" in values:
        inner = unwrap_juel(values["assignee"].text)
        if inner is not None:
            assignee, assignee_is_expression = inner, True
            _check(
                ctx,
                element_id,
                values["assignee"],
                code_findings(inner, "eval", ctx.functions, "assignee expression"),
            )
        else:
            assignee = values["assignee"].text.strip()
    return BoundaryTimerMeta(
        element_id=element_id,
        name=el.get("name") or element_id,
        attached_to=el.get("attachedToRef") or "",
        role=cast(TimerRole, role),
        level=level,
        clock=cast(Literal["business", "calendar"], clock),
        candidate_groups=groups,
        candidate_groups_is_expression=groups_is_expression,
        assignee=assignee,
        assignee_is_expression=assignee_is_expression,
    )
