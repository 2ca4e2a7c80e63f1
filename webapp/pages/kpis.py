"""指标分析 (/kpis): the centre's figures over a period, per slice, beside their definitions — every count a
link to the requests behind it (/kpis/cases), a trend by month, bars by department, a heat table of
category × project — and each table as an XLSX workbook. The figures come from crm.kpis; their words from
webapp/pages/kpi_labels.py."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from crm.kpis import book
from crm.kpis.counters import DRILLS, REGISTERED
from crm.kpis.figures import BY, BadScope, Group, Scope
from crm.kpis.heat import Heat, heat
from crm.kpis.listing import describe, every_row, kind_of
from crm.kpis.models import DIMS
from crm.kpis.refresh import refreshed_at
from crm.policy import Permission
from lintel.clock import SHANGHAI
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, escalation_name
from webapp.pages import kpi_labels as words
from webapp.pages.kpi_labels import SliceNames, slice_names

bp = Blueprint("kpis", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
UNKNOWN_VALUE = "-"  # a filter's value for "not filled in / not assigned"
DEFAULT_BY = "department"
PROBLEMS = {
    "bad_date": N_("日期应写成 2026-11-01 这样的格式。"),
    "reversed": N_("开始日期晚于结束日期。"),
    "too_long": N_("统计期间最长三年。"),
    "bad_by": N_("请从列表中选择分组方式。"),
    "bad_process": N_("没有这个流程，请从列表中选择。"),
    "bad_figure": N_("没有这个指标，请从指标分析页面的数字进入。"),
    "bad_filter": N_("筛选条件有误。"),
    "bad_since": N_("起始时刻应写成 2026-12-02T18:00+08:00 这样的格式，且只用于登记的工单。"),
}


@dataclass(frozen=True)
class Asked:
    """What the reader asked for, as read from the address (with defaults)."""

    start: date
    end: date
    process: str | None
    by: str | None
    filters: tuple[tuple[str, str], ...]  # (slice, value); value "" = not known

    @property
    def scope(self) -> Scope:
        return Scope(self.start, self.end, self.process, self.filters)

    def args(self, **extra: Any) -> dict[str, Any]:
        """The address arguments that ask for this again (with `extra`)."""
        found: dict[str, Any] = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.process:
            found["process"] = self.process
        for name, value in self.filters:
            found[name] = value or UNKNOWN_VALUE
        found.update({k: v for k, v in extra.items() if v is not None})
        return found


def _today() -> date:
    return platform().clock.now().astimezone(SHANGHAI).date()


def month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return month_start(day, -1) - timedelta(days=1)


def quick_periods(today: date) -> list[tuple[str, date, date]]:
    last = month_start(today, 1)
    return [
        (_("本月"), month_start(today), month_end(today)),
        (_("上月"), last, month_end(last)),
        (_("近12个月"), month_start(today, 11), month_end(today)),
    ]


def read_asked(
    args: Any, processes: dict[str, str], *, default_by: str | None = DEFAULT_BY
) -> tuple[Asked, list[str]]:
    """The period, process, slice and filters asked for, and what is wrong with them (problem codes)."""
    today = _today()
    start, end = month_start(today), month_end(today)
    problems: list[str] = []
    try:
        if args.get("from"):
            start = date.fromisoformat(args["from"][:10])
        if args.get("to"):
            end = date.fromisoformat(args["to"][:10])
    except ValueError:
        problems.append("bad_date")
        start, end = month_start(today), month_end(today)
    if end < start:
        problems.append("reversed")
    process = args.get("process") or None
    if process is not None and process not in processes:
        problems.append("bad_process")
        process = None
    by: str | None = args.get("by", default_by) or None
    if by is not None and by not in BY:
        problems.append("bad_by")
        by = default_by
    filters = []
    for name in DIMS:
        value = args.get(name, "")[:64]
        if value:
            filters.append((name, "" if value == UNKNOWN_VALUE else value))
    asked = Asked(start, end, process, by, tuple(filters))
    if not problems:
        try:
            asked.scope  # noqa: B018 — the scope checks its own limits (three years at most)
        except BadScope:
            problems.append("too_long")
    return asked, problems


def problem_text(problems: list[str]) -> str:
    return " ".join(_(PROBLEMS[code]) for code in problems)


def updated_line() -> str:
    at = refreshed_at(db_session())
    if at is None:
        return _("数据尚未统计（每分钟更新）")
    local = at.astimezone(SHANGHAI)
    shown = local.strftime("%H:%M") if local.date() == _today() else local.strftime("%Y-%m-%d %H:%M")
    return _("数据更新于 %(t)s（每分钟更新）", t=shown)


def process_labels() -> dict[str, str]:
    return slice_names(platform()).processes


class Shown:
    """What the figures template needs to show one group: its name, and links to its drill-downs."""

    def __init__(self, group: Group, asked: Asked, names: SliceNames, day_seconds: int, total: bool = False):
        self.group = group
        self.asked = asked
        self.total = total
        self.name = _("合计") if total else names.label(asked.by or "", group.key)
        self.figures = group.figures()
        self.day_seconds = day_seconds

    def link(self, figure: str, count: int) -> Markup:
        """A count as a link to the list behind it."""
        extra = (
            {} if self.total or self.asked.by is None else {"by": self.asked.by, "key": self.group.key or ""}
        )
        href = url_for("kpis.cases", **self.asked.args(figure=figure, **extra))
        label = _("查看%(what)s", what=_(words.DRILLS[figure][1]))
        return Markup('<a href="{}" title="{}">{}</a>').format(href, label, count)

    def time(self, name: str, p: str) -> str:
        seconds = self.group.times.get(f"{name}_{p}")
        working = self.day_seconds if name.endswith("_work") else None
        return words.duration(seconds, working)


def _table(asked: Asked, names: SliceNames) -> tuple[list[Shown], Shown]:
    groups, total = platform().kpis.table(asked.scope, asked.by)
    day = platform().foundation.calendar.hours.daily_seconds
    return [Shown(g, asked, names, day) for g in groups], Shown(total, asked, names, day, total=True)


def _charts(asked: Asked, names: SliceNames, shown: list[Shown]) -> dict[str, Any]:
    """The charts' data: 封闭率 and 及时率 by month over the twelve months up to the period's end, and 及时率
    by department over the period."""
    kpis = platform().kpis
    first = month_start(asked.end, 11)
    if asked.by == "month" and asked.start == first:  # the table above is the trend already
        by_month = {s.group.key: s.figures for s in shown}
    else:  # neither chart shows times or running totals: only the period's counters are counted
        months, _total = kpis.table(
            Scope(first, asked.end, asked.process, asked.filters), "month", cumulative=False, times=False
        )
        by_month = {g.key: g.figures() for g in months}
    keys = [
        f"{d.year:04d}-{d.month:02d}" for d in (month_start(asked.end, back) for back in range(11, -1, -1))
    ]

    def pct(ratio: Any) -> float | None:
        return round(ratio.value * 100, 1) if ratio is not None and ratio.value is not None else None

    if asked.by == "department":
        departments = [(s.name, s.figures) for s in shown]
    else:
        groups, _t = kpis.table(asked.scope, "department", cumulative=False, times=False)
        departments = [(names.label("department", g.key), g.figures()) for g in groups]
    return {
        "trend": {
            "title": _("近12个月趋势"),
            "months": [words.month_label(k) for k in keys],
            "series": [
                {"name": words.figure_name(f), "data": [pct(by_month.get(k, {}).get(f)) for k in keys]}
                for f in ("closure_rate", "on_time_steps", "on_time_cases")
            ],
        },
        "departments": {
            "title": _("各部门及时率"),
            "names": [name for name, _f in departments],
            "series": [
                {"name": words.figure_name(f), "data": [pct(figures[f]) for _n, figures in departments]}
                for f in ("on_time_steps", "on_time_cases")
            ],
        },
        "percent": "%",
    }


def heat_cells(found: Heat, asked: Asked, names: SliceNames) -> list[dict[str, Any]]:
    """The heat table's rows: each category with a cell per project."""
    rows = []
    for category in found.categories:
        cells = []
        for project in found.projects:
            cell = found.cell(category, project)
            if cell is None or (cell.registered == 0 and cell.closed == 0):
                cells.append(None)
                continue
            base = asked.args(category=category or UNKNOWN_VALUE, project=project or UNKNOWN_VALUE)
            value = cell.on_time.value
            cells.append(
                {
                    "registered": cell.registered,
                    "registered_href": url_for("kpis.cases", **{**base, "figure": "registered"}),
                    "on_time": words.percent(value),
                    "on_time_parts": f"{cell.closed_on_time}/{cell.closed}",
                    "on_time_href": url_for("kpis.cases", **{**base, "figure": "closed_on_time"}),
                    "tone": "none"
                    if value is None
                    else "good"
                    if value >= 0.9
                    else "fair"
                    if value >= 0.7
                    else "poor",
                }
            )
        rows.append({"name": names.label("category", category), "cells": cells})
    return rows


def _choices(names: SliceNames) -> dict[str, list[tuple[str, str]]]:
    found = {name: names.choices(name) for name in DIMS}
    for name in DIMS:
        found[name].append((UNKNOWN_VALUE, names.label(name, "")))
    return found


def _page(asked: Asked, problems: list[str]) -> Any:
    p = platform()
    names = slice_names(p, asked.process)
    context: dict[str, Any] = {
        "asked": asked,
        "given": {name: value or UNKNOWN_VALUE for name, value in asked.filters},
        "problem": problem_text(problems) if problems else None,
        "names": names,
        "choices": _choices(names),
        "processes": names.choices("process"),
        "slices": [(by, words.slice_name(by)) for by in BY],
        "quick": [
            (
                text,
                url_for(
                    "kpis.index",
                    **{**asked.args(by=asked.by or ""), "from": s.isoformat(), "to": e.isoformat()},
                ),
            )
            for text, s, e in quick_periods(_today())
        ],
        "updated": updated_line(),
        "definitions": words.definitions(),
        "words": words,
        "period": words.period_label(asked.start, asked.end),
        "related": [
            (
                Permission.VIEW_VISITS.value,
                url_for(
                    "satisfaction.index", **{"from": asked.start.isoformat(), "to": asked.end.isoformat()}
                ),
                _("满意度"),
            ),
            (Permission.EXPORT_DEFECT_REPORTS.value, url_for("defect_reports.index"), _("缺陷报表")),
            *(
                (
                    Permission.VIEW_KPIS.value,
                    url_for("process_heatmap.page", key=key),
                    _("流程热力图：%(name)s", name=name),
                )
                for key, name in sorted(process_labels().items(), key=lambda item: item[1])
                if not asked.process or asked.process == key
            ),
            (Permission.VIEW_KPIS.value, url_for("kpi_reports.index"), _("指标月报")),
            (
                Permission.EXPORT_DEFECT_REPORTS.value,
                url_for("defect_reports.download", kind="feedback", month=f"{asked.end:%Y-%m}"),
                _("缺陷反馈报告（含环比）"),
            ),
            (
                Permission.EXPORT_DEFECT_REPORTS.value,
                url_for("defect_reports.download", kind="summary"),
                _("交付前整改统计（住建部门）"),
            ),
        ],
    }
    if problems:
        return render_template("kpis/index.html", **context), 400
    rows, total = _table(asked, names)
    found = heat(db_session(), asked.scope)
    context.update(
        rows=rows,
        total=total,
        heat_projects=[names.label("project", k) for k in found.projects],
        heat_rows=heat_cells(found, asked, names),
        charts=Markup(json.dumps(_charts(asked, names, rows), ensure_ascii=False).replace("<", "\\u003c")),
        xlsx=url_for("kpis.export", **asked.args(by=asked.by or "")),
    )
    return render_template("kpis/index.html", **context)


@bp.get("/kpis")
@allow(Permission.VIEW_KPIS)
def index() -> Any:
    asked, problems = read_asked(request.args, process_labels())
    return _page(asked, problems)


# -- the exports ---------------------------------------------------------------------------------------

COLUMN_HEADERS = {
    "group": N_("分组"),
    "registered": N_("登记"),
    "registered_closed": N_("已封闭"),
    "registered_open": N_("未封闭"),
    "closure_rate": N_("封闭率"),
    "cumulative_registered": N_("累计登记"),
    "cumulative_closed": N_("累计已封闭"),
    "closure_rate_cumulative": N_("累计封闭率"),
    "steps_done": N_("完成步骤（有时限）"),
    "steps_on_time": N_("按时完成步骤"),
    "on_time_steps": N_("步骤及时率"),
    "closed": N_("办结"),
    "closed_on_time": N_("按时办结"),
    "on_time_cases": N_("工单及时率"),
    "response_median": N_("首次响应中位（小时）"),
    "response_p90": N_("首次响应90%（小时）"),
    "response_work_median": N_("首次响应中位（工作小时）"),
    "response_work_p90": N_("首次响应90%（工作小时）"),
    "resolution_median": N_("办结时长中位（小时）"),
    "resolution_p90": N_("办结时长90%（小时）"),
    "resolution_work_median": N_("办结时长中位（工作小时）"),
    "resolution_work_p90": N_("办结时长90%（工作小时）"),
    "closed_reworked": N_("返工工单"),
    "rework_rate": N_("返工率"),
    "escalations_1": N_("一级升级"),
    "escalations_2": N_("二级升级"),
    "escalations_3": N_("三级升级"),
}
LIST_HEADERS = {
    "number": N_("工单号"),
    "title": N_("标题"),
    "process": N_("流程"),
    "project": N_("项目"),
    "department": N_("部门"),
    "registered_at": N_("登记时间"),
    "closed_at": N_("办结时间"),
    "status": N_("状态"),
    "on_time": N_("及时"),
    "reworked": N_("返工次数"),
    "step": N_("步骤"),
    "due_at": N_("时限"),
    "completed_at": N_("完成时间"),
    "late": N_("超时"),
    "level": N_("级别"),
    "at": N_("升级时间"),
}


def _scope_line(asked: Asked, names: SliceNames) -> str:
    parts = [words.period_label(asked.start, asked.end)]
    parts.append(names.label("process", asked.process) if asked.process else _("全部流程"))
    parts += [f"{words.slice_name(n)}：{names.label(n, v)}" for n, v in asked.filters]
    now = platform().clock.now().astimezone(SHANGHAI)
    return _("%(scope)s；导出时间：%(t)s", scope="，".join(parts), t=now.strftime("%Y-%m-%d %H:%M"))


def _download(data: bytes, ascii_name: str, name: str) -> Response:
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    return response


@bp.get("/kpis.xlsx")
@allow(Permission.VIEW_KPIS)
def export() -> Any:
    asked, problems = read_asked(request.args, process_labels())
    if problems:
        return _page(asked, problems)
    p = platform()
    names = slice_names(p, asked.process)
    groups, total = p.kpis.table(asked.scope, asked.by)
    found = heat(db_session(), asked.scope)
    out = io.BytesIO()
    by = asked.by or ""
    book.figures_workbook(
        out,
        groups,
        total,
        found,
        book.FigureLabels(
            {key: _(text) for key, text in COLUMN_HEADERS.items()},
            lambda key: names.label(by, key),
            _("合计"),
        ),
        book.HeatLabels(
            lambda key: names.label("category", key),
            lambda key: names.label("project", key),
            (_("类别"), _("项目"), _("登记"), _("办结"), _("按时办结"), _("工单及时率")),
        ),
        [(name, text) for _key, name, text in words.definitions()],
        {
            "scope": _scope_line(asked, names),
            "figures": _("指标"),
            "figures_title": _("指标分析（按%(by)s）", by=words.slice_name(by)) if by else _("指标分析"),
            "heat": _("类别×项目"),
            "heat_title": _("各类别、各项目的登记量与工单及时率"),
            "definitions": _("指标定义"),
            "definitions_title": _("指标定义"),
            "definition_name": _("指标"),
            "definition_text": _("定义"),
        },
    )
    stamp = f"{asked.start:%Y%m%d}-{asked.end:%Y%m%d}"
    return _download(out.getvalue(), f"kpis-{stamp}.xlsx", f"{_('指标分析')}-{stamp}.xlsx")


# -- the rows behind a number ----------------------------------------------------------------------------


def _read_drill(args: Any) -> tuple[Asked, str | None, str | None, list[str]]:
    asked, problems = read_asked(args, process_labels(), default_by=None)
    figure = args.get("figure", "")
    if figure not in DRILLS or figure not in words.DRILLS:
        problems.append("bad_figure")
        figure = None
    key = args.get("key", "")[:64] if asked.by is not None else None
    return asked, figure, key, problems


def read_since(args: Any, figure: str | None) -> tuple[datetime | None, list[str]]:
    """`since` (2026-12-02T18:00+08:00): only the requests registered from that moment on."""
    text = args.get("since", "")[:40]
    if not text:
        return None, []
    try:
        since = datetime.fromisoformat(text.replace(" ", "+"))
    except ValueError:
        return None, ["bad_since"]
    if since.tzinfo is None:
        since = since.replace(tzinfo=SHANGHAI)
    if figure is not None and DRILLS[figure][0] is not REGISTERED:
        return None, ["bad_since"]
    return since, []


def _drill_title(
    asked: Asked, names: SliceNames, figure: str, key: str | None, total: int, since: datetime | None = None
) -> str:
    if since is None:
        parts = [words.period_label(asked.start, asked.end)]
    else:
        parts = [_("%(t)s 以来", t=since.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))]
    if asked.process:
        parts.append(names.label("process", asked.process))
    if asked.by is not None:
        parts.append(names.label(asked.by, key))
    parts += [names.label(n, v) for n, v in asked.filters]
    belongs, what = words.DRILLS[figure]
    if belongs == figure:  # a count of its own (登记, 办结, 升级): the list is what it counts
        return _("%(scope)s %(what)s %(n)d 条", scope=" ".join(parts), what=_(what), n=total)
    return _(
        "%(scope)s %(figure)s — %(what)s %(n)d 条",
        scope=" ".join(parts),
        figure=words.figure_name(belongs),
        what=_(what),
        n=total,
    )


def _value(names: SliceNames) -> Any:
    def value(kind: str, v: Any) -> str:
        if kind == "status":
            return _(words.CASE_STATUS.get(v, v))
        if kind == "yes_no":
            return _("是") if v else _("否")
        if kind == "level":
            return escalation_name(v)
        return names.label(kind, v)

    return value


@bp.get("/kpis/cases")
@allow(Permission.VIEW_KPIS)
def cases() -> Any:
    asked, figure, key, problems = _read_drill(request.args)
    since, wrong = read_since(request.args, figure)
    problems += wrong
    p = platform()
    names = slice_names(p, asked.process)
    back = url_for("kpis.index", **asked.args(by=asked.by or DEFAULT_BY))
    if problems or figure is None:
        return (
            render_template("kpis/cases.html", problem=problem_text(problems), back=back, listed=None),
            400,
        )
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page = 1
    total, rows = p.kpis.drill(
        asked.scope,
        figure,
        by=asked.by,
        key=key,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        since=since,
    )
    kind = kind_of(figure)
    listed = describe(db_session(), kind, rows)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    here = asked.args(figure=figure, by=asked.by, key=key, since=since.isoformat() if since else None)

    def page_url(n: int) -> str:
        return url_for("kpis.cases", **here, page=n)

    return render_template(
        "kpis/cases.html",
        problem=None,
        back=back,
        title=_drill_title(asked, names, figure, key, total, since),
        updated=updated_line(),
        listed=listed,
        kind=kind,
        total=total,
        page=page,
        pages=pages,
        page_url=page_url,
        value=_value(names),
        xlsx=url_for("kpis.cases_export", **here),
        definition=words.definition(words.DRILLS[figure][0]),
        figure_name=words.figure_name(words.DRILLS[figure][0]),
    )


@bp.get("/kpis/cases.xlsx")
@allow(Permission.VIEW_KPIS)
def cases_export() -> Any:
    asked, figure, key, problems = _read_drill(request.args)
    since, wrong = read_since(request.args, figure)
    problems += wrong
    if problems or figure is None:
        back = url_for("kpis.index", **asked.args(by=asked.by or DEFAULT_BY))
        return (
            render_template("kpis/cases.html", problem=problem_text(problems), back=back, listed=None),
            400,
        )
    p = platform()
    names = slice_names(p, asked.process)
    kind = kind_of(figure)
    session = db_session()
    chunks = (
        describe(session, kind, rows)
        for rows in every_row(p.kpis, asked.scope, figure, asked.by, key, since=since)
    )
    total, _rows = p.kpis.drill(asked.scope, figure, by=asked.by, key=key, limit=0, since=since)
    out = io.BytesIO()
    book.list_workbook(
        out,
        kind,
        chunks,
        book.ListLabels({k: _(v) for k, v in LIST_HEADERS.items()}, _value(names)),
        name=_("明细"),
        title=_drill_title(asked, names, figure, key, total, since),
        scope=_scope_line(replace(asked), names),
    )
    stamp = f"{asked.start:%Y%m%d}-{asked.end:%Y%m%d}"
    return _download(out.getvalue(), f"kpis-{figure}-{stamp}.xlsx", f"{_('指标明细')}-{stamp}.xlsx")
