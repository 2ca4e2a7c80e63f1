"""The one place for how the centre's figures are named: each figure's Chinese name and its one-sentence
definition (crm.kpis.figures says how they are counted), the slices, and how a slice's value is shown
(project and department names, the complaint and defect labels, process names, months). The figures page,
its drill-down and exports, the dashboards, the API and the monthly report all take their words from here.

Texts are message ids (Chinese), translated where they are shown: `figure_name`, `definition`,
`slice_name` and `SliceNames.label` translate for the reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from crm.complaints import INTAKE_FORM, TRIAGE_FORM
from crm.estate.models import Project
from crm.handover.defects import PROCESS_KEY as DEFECT_PROCESS
from crm.platform import Platform
from webapp.i18n import N_, label
from webapp.pages.handover_labels import SEVERITY as DEFECT_SEVERITY
from webapp.pages.handover_labels import SOURCE as DEFECT_SOURCE
from webapp.pages.present import kind_name

# name: (Chinese name, definition)
FIGURES: dict[str, tuple[str, str]] = {
    "registered": (N_("登记"), N_("期间内登记的工单数；已撤销的（撤回、重复登记）不计。")),
    "registered_closed": (N_("已封闭"), N_("期间内登记、至今已办结的工单数。")),
    "registered_open": (N_("未封闭"), N_("期间内登记、至今尚未办结的工单数。")),
    "closed": (N_("办结"), N_("期间内办结的工单数。")),
    "closure_rate": (
        N_("封闭率"),
        N_("期间内登记且至今已办结的工单 ÷ 期间内登记的工单；已撤销的工单不计入分子和分母。"),
    ),
    "closure_rate_cumulative": (
        N_("累计封闭率"),
        N_("从第一张工单起至期末登记的工单中，至今已办结的比例。"),
    ),
    "on_time_steps": (
        N_("步骤及时率"),
        N_(
            "期间内完成的有时限的流程步骤中，在时限内完成的比例；完成晚于时限、时限已到期提醒、或时限过后才被改动，"
            "都算超时；等待业主答复的时间顺延时限，不算超时。"
        ),
    ),
    "on_time_cases": (
        N_("工单及时率"),
        N_("期间内办结的工单中，没有任何步骤超时的比例。"),
    ),
    "response": (
        N_("首次响应时长"),
        N_(
            "从登记到第一个流程步骤完成的时长，按期间内登记的工单统计；"
            "中位数为一半工单在此时长内，90% 为九成工单在此时长内。"
        ),
    ),
    "resolution": (
        N_("办结时长"),
        N_(
            "从登记到办结的时长，按期间内办结的工单统计，分日历时间和工作时间（只计工作时段，不计周末和法定节假日）；"
            "中位数与 90% 的含义同上。"
        ),
    ),
    "rework_rate": (
        N_("返工率"),
        N_("期间内办结的工单中，业主至少退回过一次（不满意或不确认）的比例。"),
    ),
    "escalations_1": (N_("一级升级"), N_("期间内升级到部门经理的次数。")),
    "escalations_2": (N_("二级升级"), N_("期间内升级到客户关系中心主管的次数。")),
    "escalations_3": (N_("三级升级"), N_("期间内升级到集团客户关系中心（及更高）的次数。")),
    "satisfaction": (
        N_("满意度"),
        N_("业主对已办结投诉的评分和回访问卷中的评分（1–5 分），4 分及以上为满意；见满意度报表。"),
    ),
    # The monthly report's satisfaction lines (crm.visits.satisfaction).
    "satisfaction_average": (N_("满意度平均分"), N_("评分之和 ÷ 评分条数（1–5 分）。")),
    "satisfaction_satisfied": (N_("满意率（%）"), N_("4 分及以上的评分 ÷ 评分条数。")),
    "satisfaction_nps": (
        N_("净推荐值"),
        N_("回访中推荐意愿 9–10 分的比例减去 0–6 分的比例，−100 至 100。"),
    ),
}
# The order the definitions are listed in (pages and exports).
DEFINED = (
    "registered",
    "registered_closed",
    "closure_rate",
    "closure_rate_cumulative",
    "on_time_steps",
    "on_time_cases",
    "response",
    "resolution",
    "rework_rate",
    "escalations_1",
    "escalations_2",
    "escalations_3",
    "satisfaction",
)
# What a drill-down lists (crm.kpis.counters.DRILLS): the figure it belongs to and the rows it lists.
DRILLS: dict[str, tuple[str, str]] = {
    "registered": ("registered", N_("登记的工单")),
    "registered_closed": ("closure_rate", N_("已封闭的工单")),
    "registered_open": ("closure_rate", N_("未封闭的工单")),
    "closed": ("closed", N_("办结的工单")),
    "closed_on_time": ("on_time_cases", N_("按时办结的工单")),
    "closed_late": ("on_time_cases", N_("有步骤超时的办结工单")),
    "closed_reworked": ("rework_rate", N_("被业主退回过的工单")),
    "steps_done": ("on_time_steps", N_("有时限的已完成步骤")),
    "steps_on_time": ("on_time_steps", N_("按时完成的步骤")),
    "steps_late": ("on_time_steps", N_("超时的步骤")),
    "escalations_1": ("escalations_1", N_("一级升级记录")),
    "escalations_2": ("escalations_2", N_("二级升级记录")),
    "escalations_3": ("escalations_3", N_("三级升级记录")),
}
SLICES: dict[str, str] = {
    "project": N_("项目"),
    "department": N_("部门"),
    "category": N_("类别"),
    "channel": N_("渠道"),
    "severity": N_("严重程度"),
    "process": N_("流程"),
    "month": N_("月份"),
}
UNKNOWN = {"department": N_("未分派")}  # any other slice: 未填写
CASE_STATUS = {"open": N_("办理中"), "closed": N_("已办结"), "cancelled": N_("已撤销"), "error": N_("出错")}
# Defect severities named apart from the complaint's when both are listed (both say "normal").
DEFECT_SEVERITY_APART = {
    "minor": N_("一般（缺陷）"),
    "normal": N_("较重（缺陷）"),
    "serious": N_("严重（缺陷）"),
}


def figure_name(name: str) -> str:
    return _(FIGURES[name][0])


def definition(name: str) -> str:
    return _(FIGURES[name][1])


def definitions() -> list[tuple[str, str, str]]:
    """(name, Chinese name, definition) of every figure, in the order they are listed."""
    return [(name, figure_name(name), definition(name)) for name in DEFINED]


def slice_name(by: str) -> str:
    return _(SLICES[by])


def month_label(key: str) -> str:
    """ "2026-11" → 2026年11月."""
    year, month = key.split("-")
    return _("%(y)s年%(m)d月", y=year, m=int(month))


def period_label(start: date, end: date) -> str:
    """A whole month as 2026年11月, else the two days."""
    if start.day == 1 and (end.month, end.year) == (start.month, start.year):
        following = date(end.year + end.month // 12, end.month % 12 + 1, 1)
        if (following - end).days == 1:
            return month_label(f"{start.year:04d}-{start.month:02d}")
    return _("%(a)s 至 %(b)s", a=start.isoformat(), b=end.isoformat())


@dataclass(frozen=True)
class SliceNames:
    """How every value of every slice is shown, read once per page from the records and the forms."""

    projects: dict[str, str] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    severities: dict[str, str] = field(default_factory=dict)
    processes: dict[str, str] = field(default_factory=dict)

    def of(self, by: str) -> dict[str, str]:
        return {
            "project": self.projects,
            "department": self.departments,
            "category": self.categories,
            "channel": self.channels,
            "severity": self.severities,
            "process": self.processes,
        }.get(by, {})

    def label(self, by: str, value: Any) -> str:
        """A slice's value as the page shows it ("" or None: not known)."""
        if value is None or value == "":
            return _(UNKNOWN.get(by, N_("未填写")))
        if by == "month":
            return month_label(str(value))
        return self.of(by).get(str(value), str(value))

    def choices(self, by: str) -> list[tuple[str, str]]:
        return sorted(self.of(by).items(), key=lambda item: item[1])


def _form_choices(p: Platform, form_key: str, field_name: str) -> dict[str, str]:
    form = p.foundation.forms.get(form_key)
    return {c.value: label(c) for c in form.choices_for(form.field(field_name), p.validator.choices)}


def slice_names(p: Platform, process: str | None = None) -> SliceNames:
    """The names of every slice's values. Complaints and defects both grade by severity with a value
    "normal" that means different things: for one process its own label, for all of them both marked."""
    projects = {code: name for code, name in p.session.execute(select(Project.code, Project.name))}
    departments = dict(p.directory.department_choices())
    categories = _form_choices(p, INTAKE_FORM, "category")  # a defect's category is already a word
    channels = {code: _(text) for code, text in DEFECT_SOURCE.items()}
    channels.update(_form_choices(p, INTAKE_FORM, "channel"))
    complaint_severity = _form_choices(p, TRIAGE_FORM, "severity")
    if process == DEFECT_PROCESS:
        severities = {code: _(text) for code, text in DEFECT_SEVERITY.items()}
    elif process is not None:
        severities = complaint_severity
    else:
        severities = {code: _(text) for code, text in DEFECT_SEVERITY_APART.items()}
        for code, text in complaint_severity.items():
            severities[code] = (
                _("%(a)s（投诉）／%(b)s", a=text, b=severities[code]) if code in severities else text
            )
    latest = p.definitions.latest_versions()
    processes = {key: kind_name(key) for key in latest}
    return SliceNames(projects, departments, categories, channels, severities, processes)


def duration(seconds: int | None, working_day_seconds: int | None = None) -> str:
    """A duration in readable Chinese: 45 分钟, 3.5 小时, 2.1 天; in working time (`working_day_seconds`
    given) a day is a working day: 2.1 个工作日."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(n)d 分钟", n=max(round(seconds / 60), 1) if seconds else 0)
    day = working_day_seconds or 24 * 3600
    if seconds < (day if working_day_seconds else 2 * day):
        shown = f"{seconds / 3600:.1f}"
        return _("%(n)s 小时", n=shown)
    shown = f"{seconds / day:.1f}"
    if working_day_seconds:
        return _("%(n)s 个工作日", n=shown)
    return _("%(n)s 天", n=shown)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# -- the dashboards (webapp/pages/kpi_dashboards.py, crm.kpis.dashboards) ---------------------------------

DASHBOARDS: dict[str, str] = {
    "morning": N_("中心晨会看板"),
    "department": N_("部门看板"),
    "group": N_("集团看板"),
}
# name: (Chinese name, definition) of what the dashboards count besides the figures above.
QUEUE_FIGURES: dict[str, tuple[str, str]] = {
    "overnight": (
        N_("昨夜新增"),
        N_("昨天 18:00（北京时间）以来登记的工单，按登记时间计；已撤销的不计。"),
    ),
    "overdue": (
        N_("超时未办"),
        N_("已过时限仍未完成的流程步骤，取自收件箱（实时）；等待业主答复期间时限顺延，督办提醒本身不另计。"),
    ),
    "escalated": (
        N_("已升级至集团"),
        N_("尚未完成、已升级到三级督办（集团客户关系中心）的流程步骤。"),
    ),
    "due_today": (
        N_("今日到期"),
        N_("时限在今天（北京时间）的未完成流程步骤，含今天已过时限的。"),
    ),
    "due_week": (
        N_("本周到期"),
        N_("时限在本周（周一至周日，北京时间）的未完成流程步骤，含已过时限的。"),
    ),
    "open_steps": (
        N_("未完成"),
        N_("部门收件箱中尚未完成的流程步骤（含可由本部门办理的协办步骤，不含督办提醒）。"),
    ),
    "open_requests": (
        N_("在办工单"),
        N_("近三年登记、至今尚未办结的工单；已撤销的不计。"),
    ),
    "ages": (
        N_("等待时长"),
        N_("未完成的流程步骤自进入收件箱起已等待的时间。"),
    ),
}
# How long an open step has waited (crm.kpis.dashboards.AGES).
AGES: dict[str, str] = {
    "day": N_("1天内"),
    "days_3": N_("1–3天"),
    "days_7": N_("3–7天"),
    "older": N_("7天以上"),
}


def queue_figure(name: str) -> str:
    return _(QUEUE_FIGURES[name][0])


def queue_definition(name: str) -> str:
    return _(QUEUE_FIGURES[name][1])


def day_label(day: date) -> str:
    """12月3日."""
    return _("%(m)d月%(d)d日", m=day.month, d=day.day)
