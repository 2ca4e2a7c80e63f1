"""A version's steps in plain words for its page: who does each human step, with which form, and what its
timers do and when (时限、提醒、升级 with their durations), read from the version's stored routing and the
timer expressions of its diagram."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from engine.bpmn_outline import TimerText, boundary_timers
from webapp.i18n import escalation_name, label


@dataclass(frozen=True)
class Timer:
    role: str  # 时限 / 提醒 / 升级（一级督办）
    when: str  # 2 个工作日 / 24 小时 / …
    expression: str | None  # the expression itself, when the words cannot say it


@dataclass(frozen=True)
class Step:
    element_id: str
    name: str
    department: str
    department_code: str | None  # shown as a code when it is an expression
    form: str
    form_key: str | None
    timers: list[Timer] = field(default_factory=list)
    assignee: str = ""  # who the step is assigned to, in words; "" for nobody in particular
    assignee_code: str = ""  # the expression, when the process data decides
    priority: str = ""  # the priority expression, "" for none


def _number(amount: float) -> str:
    return f"{amount:g}"


def duration_words(timer: TimerText, clock: str) -> tuple[str, str | None]:
    """(words, the expression when the words cannot say it) for one timer."""
    simple = timer.duration()
    if simple is not None:
        unit, amount = simple
        if unit == "working_days":
            return _("%(n)s 个工作日", n=_number(amount)), None
        if unit == "business_hours":
            return _("%(n)s 个工作小时", n=_number(amount)), None
        return _("%(n)s 小时", n=_number(amount)), None
    if not timer.text:
        return _("未设时长"), None
    if timer.kind == "timeCycle":
        return _("按周期重复"), timer.text
    if clock == "business":
        return _("按工作时间，由表达式计算"), timer.text
    return _("由表达式计算"), timer.text


def _role(meta: Mapping[str, Any]) -> str:
    role = meta.get("role", "deadline")
    if role == "reminder":
        return _("提醒")
    if role == "escalation":
        return _("升级（%(level)s）", level=escalation_name(meta.get("level")))
    return _("时限")


def _assignee(task: Mapping[str, Any], people: Mapping[str, str]) -> tuple[str, str]:
    assignee = task.get("assignee") or ""
    if assignee and task.get("assignee_is_expression"):
        return _("按流程数据决定"), assignee
    return people.get(assignee, assignee), ""


def outline(
    meta: Mapping[str, Any],
    diagrams: list[str],
    departments: Mapping[str, str],
    form_titles: Mapping[str, str],
    people: Mapping[str, str] | None = None,
) -> list[Step]:
    """The human steps; `people` names assignees by username (the username itself when absent)."""
    texts: dict[str, TimerText] = {}
    for xml in diagrams:
        texts.update(boundary_timers(xml))
    timers_of: dict[str, list[Timer]] = {}
    for element_id, timer in (meta.get("boundary_timers") or {}).items():
        text = texts.get(element_id, TimerText("timeDate", ""))
        when, expression = duration_words(text, timer.get("clock", "calendar"))
        timers_of.setdefault(timer.get("attached_to", ""), []).append(Timer(_role(timer), when, expression))
    steps = []
    for task in (meta.get("tasks") or {}).values():
        groups = task.get("candidate_groups")
        code: str | None = None
        if groups and task.get("candidate_groups_is_expression"):
            department, code = _("按流程数据决定"), groups
        elif task.get("candidate_departments"):
            department = "、".join(departments.get(c, c) for c in task["candidate_departments"])
        elif groups:
            department = departments.get(groups, groups)
        else:
            own = task.get("department") or ""
            department = departments.get(own, own or task.get("lane") or "—")
        form_key = task.get("form_key")
        assignee, assignee_code = _assignee(task, people or {})
        form = form_titles.get(form_key, "") if form_key else _("无表单：填写完成说明（可不填）后完成")
        steps.append(
            Step(
                element_id=task["element_id"],
                name=task.get("name") or task["element_id"],
                department=department,
                department_code=code,
                form=form,
                form_key=form_key,
                timers=timers_of.get(task["element_id"], []),
                assignee=assignee,
                assignee_code=assignee_code,
                priority=task.get("priority") or "",
            )
        )
    return steps


def answers(field: Any) -> list[tuple[str, object]]:
    """The answers of a form field a gateway condition can test, each (in words, its value): a choice's
    options, 是/否 of a yes/no ("yes"/"no") or true/false field; none for other fields."""
    if field.type == "choice":
        return [(str(label(choice)), choice.value) for choice in field.choices]
    if field.type == "yesno":
        return [(_("是"), "yes"), (_("否"), "no")]
    if field.type == "boolean":
        return [(_("是"), True), (_("否"), False)]
    return []


def _answer_words(field: Any, value: object) -> str | None:
    """A form answer in words: a choice's label, 是/否 for a yes/no or true/false field."""
    for words, known in answers(field):
        if known == value and type(known) is type(value):
            return words
    return None


def _test_words(node: ast.expr, fields: Mapping[str, Any]) -> str | None:
    if isinstance(node, ast.BoolOp):
        parts = [_test_words(value, fields) for value in node.values]
        if any(part is None for part in parts):
            return None
        joint = _("，并且") if isinstance(node.op, ast.And) else _("，或者")
        return joint.join(str(part) for part in parts)
    if isinstance(node, ast.Name) and node.id in fields:  # `approved`: a yes/no field is true
        field = fields[node.id]
        return _("「%(field)s」为「是」", field=label(field)) if field.type == "boolean" else None
    if not (
        isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.NotEq)
    ):
        return None
    left, right = node.left, node.comparators[0]
    if isinstance(left, ast.Constant) and isinstance(right, ast.Name):
        left, right = right, left
    if not (isinstance(left, ast.Name) and isinstance(right, ast.Constant) and left.id in fields):
        return None
    field = fields[left.id]
    answer = _answer_words(field, right.value)
    if answer is None:
        return None
    if isinstance(node.ops[0], ast.Eq):
        return _("「%(field)s」为「%(answer)s」", field=label(field), answer=answer)
    return _("「%(field)s」不为「%(answer)s」", field=label(field), answer=answer)


def condition_words(condition: str, fields: Mapping[str, Any]) -> str | None:
    """A gateway condition in words when it tests the answers of a form, as the studio writes it from a
    form's choice (`verified == "pass"` → 「复验结果」为「通过」, also != and joined with and / or); `fields`:
    the fields of the version's forms by name. None for any other expression."""
    try:
        tree = ast.parse(condition.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return None
    return _test_words(tree.body, fields)
