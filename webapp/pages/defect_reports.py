"""缺陷报表 (/defect-reports): the three defect reports — the defect list, the housing bureau's summary and
the defect-feedback report — with their filters, each downloaded as an XLSX workbook (crm.handover.reports).
The files name units, never owners."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from crm.estate.models import Building, Project
from crm.handover.report_scope import STATUS_CHOICES, BadScope, ReportScope, Scopes
from crm.handover.report_trend import trend
from crm.handover.reports import KINDS, DefectReports, Names
from crm.policy import Permission
from lintel.clock import SHANGHAI
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_
from webapp.pages.common import problem
from webapp.pages.handover_labels import DEFECT_STATUS, SEVERITY, SOURCE

bp = Blueprint("defect_reports", __name__, url_prefix="/defect-reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The workbooks are Chinese documents (for a housing bureau, a contractor, a design office): the labels'
# message ids are their Chinese words.
NAMES = Names(DEFECT_STATUS, SEVERITY, SOURCE)
REPORTS = {
    "defects": (
        N_("缺陷清单"),
        N_(
            "每项缺陷一行：整改单号、楼栋房号、房间、类别/部位/问题、严重程度、状态、整改单位和工程师、各环节日期、退回轮次、是否逾期。"
        ),
    ),
    "summary": (
        N_("交付前整改统计（住建部门）"),
        N_(
            "按项目和楼栋统计查验户数、发现问题数、已整改、业主确认销号、未销号及整改率、销号率；另按问题类别汇总。"
        ),
    ),
    "feedback": (
        N_("缺陷反馈报告"),
        N_(
            "供设计、工程部门改进：按类别和部位、按整改单位（按期、逾期、平均销号天数、返工）、按项目统计，高发问题排行，"
            "以及所选月份（未选为本月）与上月相比的环比。"
        ),
    ),
}
FILE_NAMES = {"defects": "缺陷清单", "summary": "交付前整改统计", "feedback": "缺陷反馈报告"}
FIELD_NAMES = {
    "project": N_("项目"),
    "building": N_("楼栋"),
    "contractor": N_("整改单位"),
    "status": N_("状态"),
    "found_from": N_("发现日期（起）"),
    "found_to": N_("发现日期（止）"),
    "month": N_("月份（环比）"),
}
PROBLEMS = {
    "not_an_id": N_("请从列表中选择"),
    "unknown": N_("不存在，可能已被删除"),
    "not_in_project": N_("该楼栋不属于所选项目"),
    "ambiguous": N_("多个项目有同名楼栋，请同时选择项目"),
    "bad_date": N_("日期应写成 2026-11-20 这样的格式"),
    "reversed": N_("结束日期早于开始日期"),
    "bad_status": N_("请选择列表中的状态"),
    "bad_month": N_("月份应写成 2026-11 这样的格式"),
    "month_and_dates": N_("选了月份就不必再填发现日期，请只填其一"),
}
TREND_SLICES = {
    "category": N_("类别"),
    "part": N_("类别·部位"),
    "contractor": N_("整改单位"),
    "project": N_("项目"),
}
STATUS_FILTERS = {"open": N_("未销号（全部在办）"), "overdue": N_("整改已逾期")}
FILTERS = tuple(FIELD_NAMES)


def _given() -> dict[str, str]:
    return {name: request.args.get(name, "")[:40] for name in FILTERS}


def _page(given: dict[str, str], scope: ReportScope | None, errors: dict[str, str], status: int = 200) -> Any:
    session = db_session()
    projects = list(session.scalars(select(Project).order_by(Project.code)))
    buildings = list(session.scalars(select(Building).order_by(Building.project_id, Building.id)))
    contractors = platform().estate.contractors()
    statuses = [(code, _(DEFECT_STATUS.get(code) or STATUS_FILTERS[code])) for code in STATUS_CHOICES]
    count = DefectReports(session, platform().clock).count(scope) if scope is not None else None
    shown_trend = None
    if scope is not None:
        month, rows = trend(session, platform().clock.now(), scope)
        shown_trend = {
            "month": _("%(y)s年%(m)d月", y=month.year, m=month.month),
            "rows": rows,
            "slice_name": lambda name: _(TREND_SLICES[name]),
        }
    return (
        render_template(
            "handover/reports.html",
            given=given,
            errors=errors,
            projects=projects,
            buildings=buildings,
            contractors=contractors,
            statuses=statuses,
            reports=[(kind, _(title), _(text)) for kind, (title, text) in REPORTS.items()],
            count=count,
            trend=shown_trend,
        ),
        status,
    )


def _scope(given: dict[str, str]) -> tuple[ReportScope | None, dict[str, str]]:
    try:
        return Scopes(db_session()).from_ids(given), {}
    except BadScope as refused:
        errors = {field: _(PROBLEMS[code]) for field, code in refused.codes.items()}
        problem(
            _("筛选条件有误：")
            + "；".join(f"{_(FIELD_NAMES[field])}：{text}" for field, text in errors.items())
        )
        return None, errors


@bp.get("")
@allow(Permission.EXPORT_DEFECT_REPORTS)
def index() -> Any:
    given = _given()
    scope, errors = _scope(given)
    return _page(given, scope, errors, 400 if errors else 200)


@bp.get("/<kind>.xlsx")
@allow(Permission.EXPORT_DEFECT_REPORTS)
def download(kind: str) -> Any:
    if kind not in KINDS:
        abort(404)
    given = _given()
    scope, errors = _scope(given)
    if scope is None:
        return _page(given, None, errors, 400)
    out = io.BytesIO()
    p = platform()
    DefectReports(db_session(), p.clock).write(kind, scope, NAMES, out)
    today = p.clock.now().astimezone(SHANGHAI).strftime("%Y%m%d")
    where = scope.project.name if scope.project is not None else "全部项目"
    name = f"{FILE_NAMES[kind]}-{where}-{today}.xlsx"
    response = Response(out.getvalue(), mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"defect-{kind}-{today}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
