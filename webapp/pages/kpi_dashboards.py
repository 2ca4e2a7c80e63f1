"""The dashboards per role: the centre manager's morning (/dashboards/morning), a department's queue
(/dashboards/department) and the group's projects side by side (/dashboards/group). Every number opens the
list behind it — the inbox with the same filter, or the figures' drill-down (/kpis/cases) — and the charts
(ECharts, webapp/static/dashboards.js) draw what the tables beside them say. The questions are
crm.kpis.dashboards'; the words webapp/pages/kpi_labels.py's."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from crm.kpis.dashboards import AGES, Dashboards, open_since, steps
from crm.kpis.heat import heat
from crm.policy import Permission
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_
from webapp.pages import kpi_labels as words
from webapp.pages.common import actor
from webapp.pages.inbox import inbox_url
from webapp.pages.kpi_labels import SliceNames, slice_names
from webapp.pages.kpis import (
    UNKNOWN_VALUE,
    heat_cells,
    problem_text,
    process_labels,
    quick_periods,
    read_asked,
    updated_line,
)

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")
PROBLEMS = {
    "bad_department": N_("没有这个部门，请从列表中选择。"),
    "not_yours": N_("您只能查看本部门的看板。"),
    "no_department": N_("您的账号还没有所属部门，请联系管理员。"),
}


def _dashboards() -> Dashboards:
    p = platform()
    return Dashboards(db_session(), p.clock, p.worklist, p.kpis)


def _island(data: dict[str, Any]) -> Markup:
    """The charts' data for the page's JSON data island (no inline script: the CSP forbids them)."""
    return Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c"))


def _pct(ratio: Any) -> float | None:
    return round(ratio.value * 100, 1) if ratio is not None and ratio.value is not None else None


def _drill(figure: str, start: date, end: date, **filters: str) -> str:
    args = {"figure": figure, "from": start.isoformat(), "to": end.isoformat()}
    args.update({k: (v or UNKNOWN_VALUE) for k, v in filters.items()})
    return url_for("kpis.cases", **args)


def _menu() -> list[tuple[str, str, str]]:
    return [(name, url_for(f"dashboards.{name}"), _(text)) for name, text in words.DASHBOARDS.items()]


# -- 中心晨会看板 ---------------------------------------------------------------------------------------


@bp.get("/morning")
@allow(Permission.VIEW_KPIS)
def morning() -> Any:
    who = actor()
    found = _dashboards().morning()
    today = found.today
    start = Dashboards.overnight_scope(today).start
    departments = [
        {
            "name": d.name,
            "open": d.open,
            "open_href": inbox_url(steps(d.code)) if who.can_see(d.code) else None,
            "overdue": d.overdue,
            "overdue_href": inbox_url(steps(d.code, "overdue")) if who.can_see(d.code) else None,
        }
        for d in found.departments
    ]
    everything = who.sees_all
    tiles = [
        (
            "overnight",
            found.overnight,
            url_for(
                "kpis.cases",
                figure="registered",
                since=found.since.isoformat(),
                **{"from": start.isoformat(), "to": today.isoformat()},
            ),
        ),
        ("overdue", found.overdue, inbox_url(steps(due="overdue")) if everything else None),
        (
            "escalated",
            found.escalated,
            inbox_url(steps(escalated="3")) if everything else None,
        ),
        ("due_today", found.due_today, inbox_url(steps(due="today")) if everything else None),
        ("open_requests", found.open_requests, _drill("registered_open", open_since(today), today)),
    ]
    busy = [d for d in found.departments if d.open]  # the chart leaves out the empty queues
    charts = {
        "departments": {
            "type": "bar",
            "late": True,
            "categories": [d.name for d in busy],
            "series": [
                {"name": words.queue_figure("overdue"), "data": [d.overdue for d in busy]},
                {"name": words.queue_figure("open_steps"), "data": [d.open for d in busy]},
            ],
        }
    }
    return render_template(
        "dashboards/morning.html",
        found=found,
        tiles=tiles,
        departments=departments,
        words=words,
        since=found.since,
        updated=updated_line(),
        charts=_island(charts),
        menu=_menu(),
        here="morning",
    )


# -- 部门看板 -----------------------------------------------------------------------------------------


def _department_choices() -> list[tuple[str, str]]:
    who = actor()
    departments = dict(platform().directory.department_choices())
    codes = departments if who.sees_all else [c for c in who.departments if c in departments]
    return sorted(
        ((c, departments[c]) for c in codes), key=lambda item: (item[0] not in who.departments, item[1])
    )


@bp.get("/department")
@allow(Permission.VIEW_KPIS)
def department() -> Any:
    who = actor()
    choices = _department_choices()
    known = dict(platform().directory.department_choices())
    asked = request.args.get("department", "")[:64]
    problem = None
    status = 200
    code = asked or (choices[0][0] if choices else "")
    if asked and asked not in known:
        problem, status, code = "bad_department", 400, ""
    elif asked and not who.can_see(asked):
        problem, status, code = "not_yours", 403, ""
    elif not code:
        problem = "no_department"
    context: dict[str, Any] = {
        "choices": choices,
        "code": code,
        "name": known.get(code, ""),
        "problem": _(PROBLEMS[problem]) if problem else None,
        "words": words,
        "menu": _menu(),
        "here": "department",
        "updated": updated_line(),
    }
    if not code:
        return render_template("dashboards/department.html", **context), status
    service = _dashboards()
    queue = service.queue(code)
    trend = service.trend(code)
    names = slice_names(platform())
    figures = trend.total.figures()
    c = trend.total.counts
    span = {"start": trend.start, "end": trend.end}

    def drill(figure: str, **more: str) -> str:
        return _drill(figure, trend.start, trend.end, department=code, **more)

    context.update(
        queue=queue,
        queue_tiles=[
            ("open_steps", queue.open, inbox_url(steps(code))),
            ("overdue", queue.overdue, inbox_url(steps(code, "overdue"))),
            ("due_today", queue.due_today, inbox_url(steps(code, "today"))),
            ("due_week", queue.due_week, inbox_url(steps(code, "week"))),
        ],
        ages=[(words.AGES[name], queue.ages[name]) for name, _a, _u in AGES],
        rates=[
            (
                "closure_rate",
                _pct(figures["closure_rate"]),
                (c["registered_closed"], drill("registered_closed")),
                (c["registered"], drill("registered")),
            ),
            (
                "on_time_steps",
                _pct(figures["on_time_steps"]),
                (c["steps_on_time"], drill("steps_on_time")),
                (c["steps_done"], drill("steps_done")),
            ),
            (
                "on_time_cases",
                _pct(figures["on_time_cases"]),
                (c["closed_on_time"], drill("closed_on_time")),
                (c["closed"], drill("closed")),
            ),
        ],
        categories=[
            (names.label("category", k), n, drill("registered", category=k)) for k, n in trend.categories
        ],
        period=words.period_label(trend.start, trend.end),
        span=span,
        charts=_island(
            {
                "trend": {
                    "type": "line",
                    "percent": True,
                    "categories": [words.day_label(day) for day, _g in trend.days],
                    "series": [
                        {
                            "name": words.figure_name(f),
                            "data": [_pct(g.figures()[f]) for _d, g in trend.rolling()],
                        }
                        for f in ("closure_rate", "on_time_steps")
                    ],
                },
                "ages": {
                    "type": "bar",
                    "categories": [words.AGES[name] for name, _a, _u in AGES],
                    "series": [
                        {
                            "name": words.queue_figure("open_steps"),
                            "data": [queue.ages[name] for name, _a, _u in AGES],
                        }
                    ],
                },
            }
        ),
    )
    return render_template("dashboards/department.html", **context), status


# -- 集团看板 -----------------------------------------------------------------------------------------


@bp.get("/group")
@allow(Permission.VIEW_KPIS)
def group() -> Any:
    asked, problems = read_asked(request.args, process_labels(), default_by=None)
    p = platform()
    names: SliceNames = slice_names(p)
    context: dict[str, Any] = {
        "asked": asked,
        "words": words,
        "menu": _menu(),
        "here": "group",
        "updated": updated_line(),
        "problem": problem_text(problems) if problems else None,
        "quick": [
            (text, url_for("dashboards.group", **{"from": s.isoformat(), "to": e.isoformat()}))
            for text, s, e in quick_periods(_dashboards().today())
        ],
        "period": words.period_label(asked.start, asked.end),
    }
    if problems:
        return render_template("dashboards/group.html", **context), 400
    found = _dashboards().projects(asked.start, asked.end)

    def drill(figure: str, project: str) -> str:
        return _drill(figure, asked.start, asked.end, project=project)

    rows = []
    for row in found.rows:
        f = row.group.figures()
        c = row.group.counts
        rows.append(
            {
                "name": names.label("project", row.project),
                "registered": (c["registered"], drill("registered", row.project)),
                "closure": (words.percent(f["closure_rate"].value), c["registered_closed"], c["registered"]),
                "closure_href": drill("registered_closed", row.project),
                "on_time": (words.percent(f["on_time_cases"].value), c["closed_on_time"], c["closed"]),
                "on_time_href": drill("closed_on_time", row.project),
                "escalations": [
                    (c[f"escalations_{n}"], drill(f"escalations_{n}", row.project)) for n in (1, 2, 3)
                ],
                "satisfaction": row.satisfaction,
            }
        )
    total = found.total.figures()
    heat_found = heat(db_session(), asked.scope)
    projects = [r for r in found.rows if any(r.group.counts.values())]
    context.update(
        rows=rows,
        total=found.total,
        total_figures=total,
        satisfaction=found.satisfaction,
        satisfaction_href=url_for(
            "satisfaction.index", **{"from": asked.start.isoformat(), "to": asked.end.isoformat()}
        ),
        heat_projects=[names.label("project", k) for k in heat_found.projects],
        heat_rows=heat_cells(heat_found, asked, names),
        figures_href=url_for(
            "kpis.index", by="project", **{"from": asked.start.isoformat(), "to": asked.end.isoformat()}
        ),
        charts=_island(
            {
                "projects": {
                    "type": "bar",
                    "percent": True,
                    "categories": [names.label("project", r.project) for r in projects],
                    "series": [
                        {
                            "name": words.figure_name(name),
                            "data": [_pct(r.group.figures()[name]) for r in projects],
                        }
                        for name in ("closure_rate", "on_time_cases")
                    ],
                },
                "registered": {
                    "type": "bar",
                    "categories": [names.label("project", r.project) for r in projects],
                    "series": [
                        {
                            "name": words.figure_name("registered"),
                            "data": [r.group.counts["registered"] for r in projects],
                        }
                    ],
                },
            }
        ),
    )
    return render_template("dashboards/group.html", **context)
