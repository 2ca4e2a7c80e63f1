"""满意度 (/satisfaction): owner satisfaction per month, project and department over a period — the
complaint ratings and the return visits' ratings together, NPS where asked (the definition is in
crm.visits.satisfaction)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from crm.policy import Permission
from crm.visits.satisfaction import BY, LONGEST, Figure, Satisfaction, default_period
from lintel.clock import SHANGHAI
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_

bp = Blueprint("satisfaction", __name__, url_prefix="/satisfaction")


def read_period(args: Any, today: date) -> tuple[date, date, str | None]:
    """The period asked for (`from`, `to`, YYYY-MM-DD), with a message when it cannot be used."""
    start, end = default_period(today)
    try:
        if args.get("from"):
            start = date.fromisoformat(args["from"])
        if args.get("to"):
            end = date.fromisoformat(args["to"])
    except ValueError:
        return (*default_period(today), "bad_date")
    if start > end:
        return (*default_period(today), "reversed")
    if end - start > LONGEST:
        return (*default_period(today), "too_long")
    return start, end, None


PROBLEMS = {
    "bad_date": N_("日期格式应为 年-月-日，如 2026-01-01；已显示最近十二个月。"),
    "reversed": N_("开始日期晚于结束日期；已显示最近十二个月。"),
    "too_long": N_("统计期间最长三年；已显示最近十二个月。"),
}


def label_of(by: str, f: Figure) -> str:
    if by == "month" and f.key:
        year, month = str(f.key).split("-")
        return _("%(y)s年%(m)d月", y=year, m=int(month))
    if by == "department" and f.key is None:
        return _("回访评分（不分部门）")
    if by == "department" and f.key == "":
        return _("未分派部门")
    return f.label


@bp.get("")
@allow(Permission.VIEW_VISITS)
def index() -> Any:
    today = platform().clock.now().astimezone(SHANGHAI).date()
    start, end, problem = read_period(request.args, today)
    service = Satisfaction(db_session())
    tables = {by: service.figures(start, end, by) for by in BY}
    total = service.total(tables["month"])
    return render_template(
        "visits/satisfaction.html",
        start=start,
        end=end,
        problem=_(PROBLEMS[problem]) if problem else None,
        tables=tables,
        total=total,
        label_of=label_of,
    )
