"""Human tasks (userTask, manualTask): their form, routing and deadline, read from either BPMN dialect.

Spiff dialect: `<spiffworkflow:properties><spiffworkflow:property name="formKey" value="..."/>` with the names
formKey, candidateGroups, assignee, priority and dueDate. Camunda 7 dialect: the attributes camunda:formKey,
camunda:candidateGroups, camunda:assignee, camunda:priority and camunda:dueDate on the task — or the same
attributes in Camunda's old activiti: namespace or Flowable's flowable: one. When two give the same property
with different values, that is a problem.

Rules:
- the form (engine.bpmn_forms): formKey, camunda:formRef, SpiffArena's formJsonSchemaFilename or
  camunda:formData; the form must exist. A Camunda formKey such as "embedded:app:forms/complaint_triage.html"
  or "camunda-forms:deployment:complaint_triage.form" names the form by its last path segment without
  extension ("complaint_triage"). A user task without any form is a notice: it completes with a comment.
- candidateGroups keeps Camunda's meaning:
  1. "${expr}" (or "#{expr}") is an expression over task data: JUEL translated to Python (`engine.juel`), or
     Python already; at run time it gives a department code or name, a comma list or a list of them;
  2. anything else is one group name, or several separated by commas; each must be a department (code or
     name, in any case) or a name the deploy maps to one (`--lane NAME=DEPARTMENT`), else it is a problem.
     Several departments put the task in each of their queues; the first is its own (deadlines and
     escalations follow it).
- Without candidateGroups, the task goes to its lane's department: the lane name mapped at deploy, or a
  department's code or name; failing that, the deploy's default department. A task none of these routes is
  a problem (the message says to give --default-department or --lane).
- assignee: "${expr}" is an expression; anything else a username, which must exist when the deploy knows
  the users. At run time an assignee who is unknown or inactive leaves the task to its department.
- priority and dueDate are expressions ("${expr}" translated); dueDate gives a datetime, an ISO 8601
  date-time or an ISO 8601 duration, so an unquoted ISO value in a spiffworkflow property is reported (in a
  camunda: attribute, where Camunda takes it literally, it is taken as the text it is).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from engine.bpmn_expressions import Finding, code_findings, due_date_findings, python_of
from engine.bpmn_forms import APP_PAGE_NOTICE, is_app_page, task_form
from engine.bpmn_meta import TIMER_ROLES, BoundaryTimerMeta, DeployOptions, HumanTaskMeta, TimerRole
from engine.bpmn_xml import (
    SPIFF_NS,
    Document,
    Element,
    Reporter,
    extensions,
    uses_vendor_namespace,
    vendor_attribute,
)
from engine.routing import Departments

FIELDS = ("formKey", "candidateGroups", "assignee", "priority", "dueDate")


@dataclass
class Context:
    report: Reporter
    doc: Document
    departments: Mapping[str, str]
    form_exists: Callable[[str], bool]
    functions: Collection[str]
    options: DeployOptions = field(default_factory=DeployOptions)
    # Whether a username exists (None: the deploy cannot tell, and literal assignees are not checked).
    user_exists: Callable[[str], bool] | None = None
    # The Python that replaces a JUEL or cron text before SpiffWorkflow parses the file, by `text_key`.
    rewrites: dict[str, str] = field(default_factory=dict)

    # The rest of the deploy (engine.bundle): process ids of the other BPMN files, decision ids of its DMN
    # files, every file name; and the forms the diagram describes, collected by engine.bpmn_forms.
    processes: Collection[str] = ()
    decisions: Collection[str] = ()
    files: Collection[str] = ()
    forms: dict[str, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.routes = Departments(self.departments)
        # Drawn for Camunda or Flowable (one of their attributes or elements is used): a timer's bare ISO
        # 8601 text means that value there, as it does in those engines.
        self.vendor_dialect = uses_vendor_namespace(self.doc.root)

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
        return self.routes.code(name)


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
        vendor = vendor_attribute(el, name)
        qualified, attribute = vendor if vendor is not None else ("", None)
        in_spiff = spiff.get(name)
        if in_spiff is not None and attribute is not None:
            same = in_spiff.text.strip() == (
                camunda_form_key(attribute) if name == "formKey" else attribute.strip()
            )
            if not same:
                ctx.report.add(
                    f"{name} is given twice, as spiffworkflow property '{in_spiff.text}' and as "
                    f"{qualified} '{attribute}': keep one",
                    in_spiff.where,
                    element_id=element_id,
                )
        if in_spiff is not None and in_spiff.text.strip():
            found[name] = in_spiff
        elif (
            name == "formKey"
            and attribute is not None
            and is_app_page(attribute)
            and not ctx.form_exists(camunda_form_key(attribute))
        ):
            ctx.report.notice(APP_PAGE_NOTICE.format(key=attribute.strip()), el, element_id=element_id)
        elif attribute is not None and attribute.strip():
            text = camunda_form_key(attribute) if name == "formKey" else attribute
            found[name] = _Value(text, el, False)
    return found


def human_task(ctx: Context, el: Element, kind: str, lane: str | None) -> HumanTaskMeta:
    """The task's metadata; every problem with it goes to `ctx.report`."""
    element_id: str = el.get("id")
    values = _values(ctx, el)

    form_key = task_form(ctx, el, kind, values.get("formKey"))

    groups, groups_is_expression, codes = _candidate_groups(ctx, element_id, values.get("candidateGroups"))
    department = ctx.routes.lane(lane, ctx.options)
    if "candidateGroups" not in values and department is None:
        if lane is None:
            ctx.report.add(
                "task has no lane and no candidateGroups: put it in a department's lane, set "
                "candidateGroups, or deploy with --default-department",
                el,
            )
        else:
            ctx.report.add(
                f"lane '{lane}' is not a department and task has no candidateGroups: deploy with "
                f'--lane "{lane}=DEPARTMENT" or --default-department',
                el,
            )

    assignee, assignee_is_expression = _assignee(ctx, element_id, values.get("assignee"))

    priority = None
    if "priority" in values:
        value = values["priority"]
        priority = _expression(ctx, element_id, value, "priority expression")
        if priority is not None:
            _check(
                ctx, element_id, value, code_findings(priority, "eval", ctx.functions, "priority expression")
            )

    due_date = None
    if "dueDate" in values:
        value = values["dueDate"]
        due_date = _expression(ctx, element_id, value, "dueDate")
        if due_date is not None and not value.is_property and _iso_literal(due_date):
            due_date = repr(due_date)  # Camunda takes a literal dueDate as the date it is
        if due_date is not None:
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
        candidate_departments=codes if len(codes) > 1 else (),
    )


def _iso_literal(text: str) -> bool:
    """Starts like an ISO 8601 date-time or duration ("2026-...", "P3D"), which Python cannot mean."""
    return text[:1].isdigit() or (text[:1] in ("P", "p") and text[1:2].isdigit())


def _expression(ctx: Context, element_id: str, value: _Value, what: str) -> str | None:
    """The Python of a property: a JUEL text translated, else the text; None (reported) if untranslatable."""
    python, refused = python_of(value.text, ctx.functions, what)
    if refused:
        _check(ctx, element_id, value, refused)
        return None
    return python if python is not None else value.text.strip()


def _assignee(ctx: Context, element_id: str, value: _Value | None) -> tuple[str | None, bool]:
    """(assignee, is_expression): an expression is checked, a literal username must exist."""
    if value is None:
        return None, False
    python, refused = python_of(value.text, ctx.functions, "assignee expression")
    if refused:
        _check(ctx, element_id, value, refused)
        return None, False
    if python is not None:
        _check(ctx, element_id, value, code_findings(python, "eval", ctx.functions, "assignee expression"))
        return python, True
    username = value.text.strip()
    if ctx.user_exists is not None and not ctx.user_exists(username):
        ctx.report.add(
            f"assignee '{username}' is not a user: add the account before deploying, name an existing "
            "one, or write ${...} for an expression",
            value.where,
            element_id=element_id,
        )
    return username, False


def _check(ctx: Context, element_id: str, value: _Value, found: list[Finding]) -> None:
    ctx.findings(found, element_id, value.where, None)


def _candidate_groups(
    ctx: Context, element_id: str, value: _Value | None
) -> tuple[str | None, bool, tuple[str, ...]]:
    """(source, is_expression, departments): an expression's Python, or the departments a literal names."""
    if value is None:
        return None, False, ()
    what = "candidateGroups expression"
    python, refused = python_of(value.text, ctx.functions, what)
    if refused:
        _check(ctx, element_id, value, refused)
        return None, False, ()
    if python is not None:
        _check(ctx, element_id, value, code_findings(python, "eval", ctx.functions, what))
        return python, True, ()
    codes: list[str] = []
    for group in (part.strip() for part in value.text.split(",")):
        if not group:
            continue
        code = ctx.routes.mapped(group, ctx.options)
        if code is None:
            ctx.report.add(
                f"candidateGroups '{group}' is not a department: use a department's code or name, map the "
                f'group at deploy (--lane "{group}=DEPARTMENT"), or write ${{...}} for an expression',
                value.where,
                element_id=element_id,
            )
        elif code not in codes:
            codes.append(code)
    if not codes:
        return None, False, ()
    return codes[0], False, tuple(codes)


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
    groups, groups_is_expression, codes = _candidate_groups(ctx, element_id, values.get("candidateGroups"))
    if len(codes) > 1:
        ctx.report.add(
            f"candidateGroups '{values['candidateGroups'].text.strip()}' names several departments: an "
            "escalation goes to one department",
            values["candidateGroups"].where,
            element_id=element_id,
        )
    assignee, assignee_is_expression = _assignee(ctx, element_id, values.get("assignee"))
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
