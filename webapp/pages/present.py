"""Turning records into what a page shows: labelled values, a request's details, its timeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import g
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select

from crm.models import Attachment, RequestIndex
from crm.platform import Platform
from engine.actors import SYSTEM
from engine.models import AuditEvent, HumanTask, ProcessDefinition
from engine.timing import parse_moment
from forms import Form
from webapp import platform
from webapp.i18n import N_, escalation_name, label, local_time, translate

# Short names of request types the pages have always called so; any other process goes by its diagram's name.
KIND_NAMES = {"complaint": N_("投诉")}


@dataclass(frozen=True)
class Shown:
    """One labelled value; `files` when the value is a list of attachments."""

    label: str
    text: str
    files: list[Attachment] = field(default_factory=list)
    long: bool = False


def process_names(p: Platform) -> list[tuple[str, str]]:
    """Each deployed process's key with the name its latest version gives it, by name."""
    latest = p.definitions.latest_versions()
    names = {
        key: name
        for key, version, name in p.session.execute(
            select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name)
        )
        if latest.get(key) == version
    }
    return sorted(names.items(), key=lambda item: item[1])


def kind_name(kind: str) -> str:
    """What a request of this process is called: the process name its latest version gives it."""
    if kind in KIND_NAMES:
        return _(KIND_NAMES[kind])
    if "process_names" not in g:
        g.process_names = dict(process_names(platform()))
    names: dict[str, str] = g.process_names
    return names.get(kind, kind)


def _form(
    p: Platform,
    form_key: str | None,
    task: HumanTask | None = None,
    definition: ProcessDefinition | None = None,
) -> Form | None:
    """The form by its key: the one of the version the task's instance runs (or `definition`), else a
    built-in one."""
    if task is not None:
        return p.validator.task_form(task)
    return p.validator.form(form_key, definition)


# Diagram documentation is Markdown written by process owners: raw HTML is shown as text, never rendered,
# and markdown-it refuses javascript:, vbscript: and data: links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True})


def documentation(p: Platform, row: HumanTask) -> Markup | None:
    """The step's bpmn:documentation from its diagram, as safe HTML."""
    instance = p.runtime.get(row.instance_id)
    compiled = p.foundation.specs.get(instance.definition)
    for spec in (compiled.spec, *compiled.subprocess_specs.values()):
        task_spec = spec.task_specs.get(row.element_id)
        if task_spec is not None:
            text = getattr(task_spec, "documentation", None)
            return Markup(_MARKDOWN.render(text)) if isinstance(text, str) and text.strip() else None
    return None


def describe_data(
    p: Platform,
    form_key: str | None,
    data: Mapping[str, Any],
    files: Mapping[str, Attachment],
    task: HumanTask | None = None,
    definition: ProcessDefinition | None = None,
) -> list[Shown]:
    """Submitted values with their form's labels and choice labels, in form order (a step without a form:
    its comment). The form is the task's version's, or `definition`'s, else a built-in one."""
    form = _form(p, form_key, task, definition)
    if form is None:
        return [
            Shown(_("完成说明") if k == "comment" else str(k), _plain(v), long=k == "comment")
            for k, v in data.items()
            if v not in (None, "", [])
        ]
    shown = []
    for f in form.fields:
        value = data.get(f.name)
        if value in (None, "", []):
            continue
        if f.type == "file":
            found = [files[t] for t in value if isinstance(t, str) and t in files]
            shown.append(Shown(label(f), "", files=found))
            continue
        if f.type in ("choice", "multichoice"):
            choices = {c.value: label(c) for c in form.choices_for(f, p.validator.choices)}
            items = value if isinstance(value, list) else [value]
            text = "、".join(choices.get(str(v), str(v)) for v in items)
        elif f.type == "yesno":
            text = _("是") if value == "yes" else _("否")
        elif f.type == "boolean":
            text = _("是") if value is True else _("否")
        elif f.type == "rating":
            text = "★" * int(value) + "☆" * max(0, f.rating_max - int(value))
        else:
            text = _plain(value)
        shown.append(Shown(label(f), text, long=f.type == "textarea"))
    return shown


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def choice_label(p: Platform, form_key: str, field_name: str, value: str | None) -> str:
    if not value:
        return "—"
    form = _form(p, form_key)
    if form is None:
        return value
    for choice in form.choices_for(form.field(field_name), p.validator.choices):
        if choice.value == value:
            return label(choice)
    return value


@dataclass(frozen=True)
class Details:
    """What a request is about: labelled values, and a description with its heading (the print view's)."""

    rows: list[Shown]
    description: str | None = None
    description_label: str = ""


# Processes whose own records say more than their start data (the complaint: its page module registers
# it), by process key; every other request shows the data it was started with.
DETAILS: dict[str, Callable[[Platform, RequestIndex], Details | None]] = {}


def request_details(p: Platform, request: RequestIndex) -> Details:
    """What the request is about: its process's own record when it registered one, else the data it was
    started with, labelled by its start form."""
    of = DETAILS.get(request.kind)
    found = of(p, request) if of is not None else None
    return found if found is not None else Details(start_data(p, request))


def start_data(p: Platform, request: RequestIndex) -> list[Shown]:
    """The values the request was started with, labelled by the process's start form when it has one."""
    started = p.session.scalar(
        select(AuditEvent.data)
        .where(AuditEvent.instance_id == request.instance_id, AuditEvent.kind == "instance.started")
        .limit(1)
    )
    if not started:
        return []
    instance = p.runtime.get(request.instance_id)
    form_key = p.foundation.specs.get(instance.definition).meta.properties.start_form
    # The owner and unit the ids name are shown by name in the header.
    started = {k: v for k, v in started.items() if k not in ("owner_id", "unit_id")}
    return describe_data(p, form_key, started, {}, definition=instance.definition)


@dataclass(frozen=True)
class Step:
    task: HumanTask
    at: datetime
    actor: str
    shown: list[Shown]


def completed_steps(
    p: Platform, instance_id: int, tasks: Mapping[int, HumanTask], files: Mapping[str, Attachment]
) -> list[Step]:
    """Each completed step with what was entered in it, oldest first."""
    names = p.staff.display_names(t.completed_by or "" for t in tasks.values())
    steps = []
    for event in p.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "task.completed")
        .order_by(AuditEvent.id)
    ):
        task = tasks.get(event.task_id or 0)
        if task is None:
            continue
        shown = describe_data(p, task.form_key, event.data or {}, files, task)
        steps.append(Step(task, event.at, names.get(event.actor or "", event.actor or ""), shown))
    return steps


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    text: str
    kind: str
    shown: list[Shown]


def timeline(
    p: Platform, events: Iterable[AuditEvent], tasks: Mapping[int, HumanTask], files: Mapping[str, Attachment]
) -> list[Entry]:
    events = list(events)
    names = p.staff.display_names(e.actor or "" for e in events)
    assignees: list[str] = []
    for event in events:
        if event.kind in ("task.assigned", "task.reassigned") and event.data:
            assignees.extend(str(v) for v in event.data.get("assignee", []) if v)
    names.update(p.staff.display_names(assignees))
    departments = dict(p.directory.department_choices())
    entries = []
    for event in events:
        task = tasks.get(event.task_id or 0)
        step = task.name if task is not None else (event.element_id or "")
        who = _("系统") if event.actor in (None, "", SYSTEM.username) else names.get(event.actor, event.actor)
        if event.actor == "cli" and "cli" not in names:
            who = _("命令行")
        shown: list[Shown] = []
        data = event.data or {}
        if event.kind == "instance.started":
            text = _("登记")
        elif event.kind == "task.created":
            department = departments.get(str(data.get("department", "")), data.get("department", ""))
            text = _("「%(step)s」进入 %(department)s 的待办", step=step, department=department)
        elif event.kind == "task.reopened":
            department = departments.get(str(data.get("department", "")), data.get("department", ""))
            text = _("「%(step)s」重新进入 %(department)s 的待办", step=step, department=department)
        elif event.kind == "task.claimed":
            text = _("认领了「%(step)s」", step=step)
        elif event.kind == "task.unclaimed":
            text = _("放弃认领「%(step)s」", step=step)
        elif event.kind == "task.assigned":
            to = (data.get("assignee") or [None, None])[-1]
            text = _("把「%(step)s」交给 %(to)s", step=step, to=names.get(str(to), str(to)))
        elif event.kind == "task.reassigned":
            held, to = (data.get("assignee") or [None, None])[-2:]
            to_name = names.get(str(to), str(to))
            if held:
                held_name = names.get(str(held), str(held))
                text = _("把「%(step)s」从 %(held)s 改派给 %(to)s", step=step, held=held_name, to=to_name)
            else:
                text = _("把「%(step)s」指派给 %(to)s", step=step, to=to_name)
        elif event.kind == "task.completed":
            text = _("完成了「%(step)s」", step=step)
            shown = describe_data(p, task.form_key if task else None, data, files, task)
        elif event.kind == "task.cancelled":
            if data.get("reason") == "instance_failed":
                text = _("「%(step)s」已关闭：流程出错", step=step)
            elif data.get("reason") == "instance_cancelled":
                text = _("「%(step)s」已关闭：请求已取消", step=step)
            else:
                text = _("「%(step)s」已取消", step=step)
        elif event.kind == "task.reminder":
            text = _("「%(step)s」临近期限，已提醒", step=step)
        elif event.kind == "task.overdue":
            text = _("「%(step)s」已超过期限", step=step)
            if data.get("due_at"):
                shown = [Shown(_("期限"), local_time(parse_moment(data["due_at"])))]
        elif event.kind == "task.escalated":
            level = escalation_name(data.get("level", event.to_state))
            text = _("「%(step)s」逾期，转%(level)s", step=step, level=level)
        elif event.kind == "task.resolved":
            if data.get("reason") == "step_cancelled":
                text = _("系统关闭了督办「%(step)s」：被督办的步骤已取消", step=step)
            else:
                text = _("系统关闭了督办「%(step)s」：被督办的步骤已完成", step=step)
        elif event.kind == "task.waiting_owner":
            text = _("「%(step)s」等待业主答复，期限暂停", step=step)
            if data.get("note"):
                shown = [Shown(_("说明"), str(data["note"]))]
        elif event.kind == "task.owner_answered":
            text = _("业主已答复，「%(step)s」期限恢复", step=step)
            if data.get("note"):
                shown = [Shown(_("说明"), str(data["note"]))]
        elif event.kind == "task.assignee_ignored":
            text = _(
                "「%(step)s」的指定处理人 %(value)s 不是有效的用户名，任务留在部门待认领",
                step=data.get("step", step),
                value=data.get("value", ""),
            )
        elif event.kind == "timer.start":
            text = _("定时发起")
        elif event.kind == "event.uncaught":
            name = data.get("name") or data.get("event") or ""
            text = _("流程发出的事件「%(name)s」没有环节接收", name=name)
        elif event.kind in ("owner.chased", "owner.added"):
            who = _("业主")
            if event.kind == "owner.chased":
                text = _("业主在服务平台催办")
            else:
                text = _("业主在服务平台补充了信息")
                shown = [Shown(_("补充内容"), str(data.get("text", "")), long=True)]
        elif event.kind == "bulletin.reminded":
            text = _("再次提醒尚未确认的业主（%(n)s 位）", n=data.get("owners", ""))
        elif event.kind == "instance.completed":
            text = _("结案")
        elif event.kind == "instance.failed":
            text = _("流程出错：%(error)s", error=translate(str(data.get("error", ""))))
            if data.get("element"):
                shown = [Shown(_("出错步骤"), str(data["element"]))]
        elif event.kind == "instance.retried":
            versions = data.get("version")
            if isinstance(versions, list) and len(versions) == 2:
                text = _(
                    "重试出错的流程，并从第 %(old)s 版转到第 %(new)s 版", old=versions[0], new=versions[1]
                )
            else:
                text = _("重试出错的流程")
            if data.get("data"):
                shown = [Shown(_("修正的数据"), "、".join(str(k) for k in data["data"]))]
        elif event.kind == "instance.migrated":
            versions = data.get("version") or ["?", "?"]
            text = _("流程由第%(old)s版迁移至第%(new)s版", old=versions[0], new=versions[-1])
            if data.get("steps"):
                shown = [Shown(_("手工对应的步骤"), "、".join(str(step) for step in data["steps"]))]
            for moved in data.get("deadlines") or []:
                due = parse_moment(moved.get("due_at")) if moved.get("due_at") else None
                shown.append(
                    Shown(
                        _("「%(step)s」新的期限", step=moved.get("step", "")),
                        local_time(due) if due else _("没有时限"),
                    )
                )
        elif event.kind == "instance.cancelled":
            text = _("取消了出错的请求")
            shown = [Shown(_("原因"), str(data.get("reason", "")), long=True)]
        else:
            text = f"{event.kind} {step}".strip()
        if event.kind in ("task.waiting_owner", "task.owner_answered") and data.get("overdue_since"):
            late = local_time(parse_moment(data["overdue_since"]))
            shown.append(Shown(_("逾期"), _("自 %(due)s 起已逾期", due=late)))
        entries.append(Entry(event.at, who, text, event.kind, shown))
    return entries


# -- the whole case's deadlines -------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseDeadline:
    """A deadline of the whole request (first response, resolution), as the request page shows it."""

    label: str
    due: datetime
    text: str
    late: bool


def current_data(p: Platform, instance_id: int, open_tasks: Iterable[HumanTask]) -> dict[str, Any]:
    """What the request's workflow knows now (crm.process_requests)."""
    return p.process_requests.current_data(instance_id, open_tasks)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return moment if moment.tzinfo else None
    return None


def _late_by(seconds: float) -> str:
    days = int(seconds // 86400)
    if days >= 1:
        return _("已逾期%(n)d天", n=days)
    return _("已逾期%(n)d小时", n=max(1, int(seconds // 3600)))


def case_deadlines(
    p: Platform, data: Mapping[str, Any], tasks: Iterable[HumanTask], closed_at: datetime | None
) -> list[CaseDeadline]:
    """The first response (triage done) and the resolution (request closed) against the dates the workflow
    set at registration (`first_response_due`, `case_due`): time left, or how late."""
    now = p.clock.now()
    calendar = p.foundation.calendar
    daily = calendar.hours.daily_seconds
    triaged = [
        t.completed_at
        for t in tasks
        if t.element_id == "triage" and t.state == "completed" and t.completed_at is not None
    ]
    responded = min(triaged, default=None)
    shown = []
    for key, title, done_at, business in (
        ("first_response_due", _("首次响应时限"), responded, False),
        ("case_due", _("结案时限"), closed_at, True),
    ):
        due = _moment(data.get(key))
        if due is None:
            continue
        if done_at is not None:
            late = done_at > due
            text = _late_by((done_at - due).total_seconds()) if late else _("已按时完成")
        elif now > due:
            late, text = True, _late_by((now - due).total_seconds())
        elif business:
            left = calendar.business_seconds_between(now, due)
            late = False
            days, rest = divmod(int(left), daily)
            hours = int(-(-rest // 3600))  # a part-hour left counts as an hour
            if hours * 3600 >= daily:
                days, hours = days + 1, 0
            if days and hours:
                text = _("剩余%(days)d个工作日%(hours)d小时", days=days, hours=hours)
            elif days:
                text = _("剩余%(n)d个工作日", n=days)
            else:
                text = _("剩余%(n)d个工作小时", n=max(1, hours))
        else:
            late = False
            left = (due - now).total_seconds()
            text = _("剩余%(n)d小时", n=max(1, int(-(-left // 3600))))
        shown.append(CaseDeadline(title, due, text, late))
    return shown
