"""指标月报 (/kpis/reports): the monthly reports made so far — each month's workbook to download, when it was
made and sent to the managers — and a report of this month or the last made now (not sent: the scheduler
sends last month's on the first working day, `lintel kpis report --send` by hand). The words of the
workbook and of its message come from here, for the page, the scheduler and the CLI alike."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.kpis.figures import Scope
from crm.kpis.models import KpiReport
from crm.kpis.monthly import MonthlyReports, ReportWords, month_key, parse_month, previous_month
from crm.platform import Platform
from crm.policy import Permission
from lintel.clock import SHANGHAI
from webapp import db_session, platform
from webapp.access import allow
from webapp.pages import kpi_labels as words
from webapp.pages.common import current_user, ok, problem
from webapp.pages.kpi_labels import slice_names
from webapp.pages.kpis import COLUMN_HEADERS, XLSX

bp = Blueprint("kpi_reports", __name__)
PATH = "/kpis/reports"


def report_words(p: Platform) -> ReportWords:
    """The workbook's words in the current language (Chinese for the scheduler and the CLI)."""
    names = slice_names(p)
    texts = {
        "scope": "",
        "summary": _("概览"),
        "summary_title": _("指标月报：本月与上月"),
        "figure": _("指标"),
        "change": _("环比变化"),
        "change_pct": _("环比（%）"),
        "parts_now": _("本月分子/分母"),
        "parts_before": _("上月分子/分母"),
        "summary_note": _(
            "比率的环比变化以百分点计；登记、办结和升级次数的环比为变化量与上月之比。"
            "满意度：投诉评分与回访评分（1–5 分），4 分及以上为满意。"
        ),
        "total": _("合计"),
        "sheet_satisfaction": _("满意度"),
        "title_satisfaction": _("满意度（按部门、按项目）"),
        "slice": _("分组方式"),
        "group": _("分组"),
        "answers": _("评分条数"),
        "average": _("平均分"),
        "satisfied": _("满意条数"),
        "satisfied_pct": _("满意率"),
        "nps_answers": _("推荐意愿答卷"),
        "nps": _("净推荐值"),
        "by_department": _("按部门"),
        "by_project": _("按项目"),
    }
    for by in ("process", "department", "project", "category"):
        texts[f"sheet_{by}"] = _("按%(name)s", name=words.slice_name(by))
        texts[f"title_{by}"] = _("指标分析（按%(by)s）", by=words.slice_name(by))
    return ReportWords(
        columns={key: _(text) for key, text in COLUMN_HEADERS.items()},
        group=names.label,
        figure=words.figure_name,
        texts=texts,
        month=words.month_label,
    )


def scoped_words(p: Platform, month: str) -> ReportWords:
    found = report_words(p)
    now = p.clock.now().astimezone(SHANGHAI)
    line = _(
        "%(month)s；全部流程；生成时间：%(t)s",
        month=words.month_label(month),
        t=now.strftime("%Y-%m-%d %H:%M"),
    )
    return ReportWords(
        found.columns,
        found.group,
        found.figure,
        {**found.texts, "scope": line, "attachment": _("指标月报-%(month)s.xlsx", month=month)},
        found.month,
    )


def message_context(p: Platform, month: str) -> dict[str, Any]:
    """What the message says besides the workbook: the month's main rates."""
    start, end = parse_month(month)
    _groups, total = p.kpis.table(Scope(start, end))
    figures = total.figures()
    shown = [
        (words.figure_name(name), words.percent(figures[name].value))
        for name in ("closure_rate", "on_time_steps", "on_time_cases", "rework_rate")
    ]
    return {"figures": shown, "link": p.foundation.messaging.public_url + PATH, "path": PATH}


def send_due(p: Platform) -> str | None:
    """The scheduler's job: last month's report made and sent on the first working day (once); the month
    sent, or None. The caller commits."""
    reports = monthly(p)
    month = reports.due()
    if month is None:
        return None
    found = reports.find(month)
    if found is not None and found.sent_at is not None:
        return None  # the usual answer: sent already (the job runs every quarter of an hour)
    sent = reports.run_due(p.outbox, scoped_words(p, month), message_context(p, month))
    return sent.month if sent is not None else None


def monthly(p: Platform) -> MonthlyReports:
    return MonthlyReports(p.session, p.clock, p.foundation.calendar)


def _months(today: date) -> list[str]:
    """The months a report can be made of now: this month (so far) and the last."""
    first = today.replace(day=1)
    return [month_key(first), month_key(previous_month(first))]


@bp.get(PATH)
@allow(Permission.VIEW_KPIS)
def index() -> Any:
    p = platform()
    today = p.clock.now().astimezone(SHANGHAI).date()
    return render_template(
        "kpis/reports.html",
        reports=monthly(p).listed(),
        months=[(m, words.month_label(m)) for m in _months(today)],
        month_label=words.month_label,
    )


@bp.post(PATH)
@allow(Permission.VIEW_KPIS)
def generate() -> Any:
    p = platform()
    today = p.clock.now().astimezone(SHANGHAI).date()
    month = request.form.get("month", "")
    if month not in _months(today):
        problem(_("只能生成本月或上月的月报。"))
        return redirect(url_for("kpi_reports.index"))
    user = current_user()
    monthly(p).generate(month, scoped_words(p, month), by=user.username if user is not None else None)
    db_session().commit()
    ok(_("%(month)s的月报已生成。", month=words.month_label(month)))
    return redirect(url_for("kpi_reports.index"))


@bp.get(f"{PATH}/<int:report_id>.xlsx")
@allow(Permission.VIEW_KPIS)
def download(report_id: int) -> Any:
    report = db_session().get(KpiReport, report_id)
    if report is None or not report.data:
        abort(404)
    response = Response(report.data, mimetype=XLSX)
    name = _("指标月报-%(month)s.xlsx", month=report.month)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{report.filename}\"; filename*=UTF-8''{quote(name)}"
    )
    return response
