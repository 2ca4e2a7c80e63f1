"""流程热力图: a process's diagram with, on each step, the requests waiting there now and the share of them
overdue, coloured by that share or by the step's 90th-percentile time; a table of every step below, and
behind each waiting count the list of what waits there. For whoever reads the figures (kpis.view): process
owners, managers, the centre. The numbers come from crm.kpis.heatmap; their words from kpi_labels."""

from __future__ import annotations

import json
from math import ceil
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.kpis.heatmap import DAYS_DEFAULT, DAYS_LONGEST, PERIODS, Heatmap, Step
from crm.policy import Permission
from engine.models import ProcessDefinition
from webapp import db_session, platform
from webapp.access import allow
from webapp.pages import kpi_labels as words
from webapp.pages.kpis import updated_line

bp = Blueprint("process_heatmap", __name__, url_prefix="/processes")

PAGE_SIZE = 50
# Colour bands: overdue share (of the waiting) and 90th-percentile time (of the slowest step's).
OVERDUE_BANDS = (0.0, 0.25, 0.5)  # 0: none overdue; 1: under 25%; 2: under 50%; 3: half or more


def _int_arg(name: str, default: int | None, low: int, high: int) -> tuple[int | None, bool]:
    """The query argument as an int within low…high, and whether it was acceptable."""
    given = request.args.get(name, "").strip()
    if not given:
        return default, True
    if not given.isdigit() or not low <= int(given) <= high:
        return default, False
    return int(given), True


def _version() -> tuple[int | None, bool]:
    return _int_arg("version", None, 1, 2**31 - 1)


def overdue_tone(step: Step) -> int | None:
    share = step.overdue_share.value
    if share is None:
        return None
    return sum(1 for edge in OVERDUE_BANDS if share > edge)


def time_tone(step: Step, slowest: int) -> int | None:
    if step.spent_p90 is None or not slowest:
        return None
    return min(int(step.spent_p90 * 4 / slowest), 3) if step.spent_p90 < slowest else 3


def _badges(found: Heatmap, version: int | None) -> list[dict[str, Any]]:
    slowest = max((s.spent_p90 or 0 for s in found.steps), default=0)
    badges = []
    for step in found.steps:
        badges.append(
            {
                "id": step.element_id,
                "name": step.name,
                "waiting": step.waiting,
                "overdue": step.overdue,
                "overdue_text": words.percent(step.overdue_share.value),
                "p90_text": words.duration(step.spent_p90),
                "href": url_for(
                    "process_heatmap.waiting",
                    key=found.process_key,
                    element_id=step.element_id,
                    version=version,
                ),
                "tone_overdue": overdue_tone(step),
                "tone_time": time_tone(step, slowest),
                "title": _(
                    "%(name)s：等待中 %(n)d，其中超时 %(late)d；"
                    "近%(days)d天完成 %(done)d，90分位用时 %(p90)s",
                    name=step.name,
                    n=step.waiting,
                    late=step.overdue,
                    days=found.days,
                    done=step.done,
                    p90=words.duration(step.spent_p90),
                ),
            }
        )
    return badges


def _time_legend(found: Heatmap) -> list[str]:
    slowest = max((s.spent_p90 or 0 for s in found.steps), default=0)
    if not slowest:
        return []
    edges = [words.duration(ceil(slowest * n / 4)) for n in (1, 2, 3)]
    return [
        _("短于 %(t)s", t=edges[0]),
        _("%(a)s 至 %(b)s", a=edges[0], b=edges[1]),
        _("%(a)s 至 %(b)s", a=edges[1], b=edges[2]),
        _("%(t)s 及以上", t=edges[2]),
    ]


def _step_name(drawn: ProcessDefinition, element_id: str, rows: list[Any]) -> str:
    meta = (drawn.meta or {}).get("tasks", {}).get(element_id) or {}
    return str(meta.get("name") or (rows[0].step if rows else element_id))


@bp.get("/<key>/heatmap")
@allow(Permission.VIEW_KPIS)
def page(key: str) -> Any:
    p = platform()
    version, version_ok = _version()
    days, days_ok = _int_arg("days", DAYS_DEFAULT, 1, DAYS_LONGEST)
    found = p.heatmaps.of(key, version=version, days=days or DAYS_DEFAULT)
    problem = None
    if not version_ok:
        problem = _("版本号须为正整数。")
    elif not days_ok:
        problem = _("统计天数须为 1 至 %(n)d 之间的整数。", n=DAYS_LONGEST)
    versions = [d.version for d in p.definitions.all() if d.key == key][::-1]
    day_seconds = p.foundation.calendar.hours.daily_seconds
    badges = _badges(found, version)
    body = render_template(
        "processes/heatmap.html",
        found=found,
        key=key,
        name=found.drawn.name,
        version=version,
        versions=versions,
        periods=PERIODS,
        badges=badges,
        badges_json=json.dumps(badges, ensure_ascii=False),
        time_legend=_time_legend(found),
        words=words,
        day_seconds=day_seconds,
        updated=updated_line(),
        problem=problem,
    )
    return (body, 400) if problem else body


@bp.get("/<key>/heatmap.xml")
@allow(Permission.VIEW_KPIS)
def diagram(key: str) -> Any:
    """The diagram the heatmap is drawn on: the version asked for, or the latest."""
    version, _ok = _version()
    drawn = platform().heatmaps.definition(key, version)
    xml = db_session().scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == drawn.id))
    return Response(xml or "", mimetype="application/xml")


@bp.get("/<key>/steps/<element_id>")
@allow(Permission.VIEW_KPIS)
def waiting(key: str, element_id: str) -> Any:
    """What waits at one step now, longest waiting first."""
    p = platform()
    version, version_ok = _version()
    page_number, page_ok = _int_arg("page", 1, 1, 10**6)
    if not (version_ok and page_ok):
        version, page_number = None, 1
    number = page_number or 1
    drawn = p.heatmaps.definition(key, version)
    total, rows = p.heatmaps.waiting(
        key, element_id, version=version, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    pages = max(ceil(total / PAGE_SIZE), 1)

    def page_url(n: int) -> str:
        return url_for("process_heatmap.waiting", key=key, element_id=element_id, version=version, page=n)

    body = render_template(
        "processes/waiting.html",
        key=key,
        name=drawn.name,
        version=version,
        step_name=_step_name(drawn, element_id, rows),
        total=total,
        rows=rows,
        page=number,
        pages=pages,
        previous=page_url(number - 1) if number > 1 else None,
        following=page_url(number + 1) if number < pages else None,
        departments=dict(p.directory.department_choices()),
        names=p.staff.display_names(r.assignee for r in rows if r.assignee),
        back=url_for("process_heatmap.page", key=key, version=version),
        problem=None if (version_ok and page_ok) else _("版本号和页码须为正整数。"),
    )
    return (body, 400) if not (version_ok and page_ok) else body
