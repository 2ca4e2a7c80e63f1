"""The case lookup (工单查询): every request the reader may see, by number, phone, name or unit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from crm.lookup import MAX_QUERY
from crm.policy import Permission
from webapp import platform
from webapp.access import allow
from webapp.pages.common import actor

bp = Blueprint("lookup", __name__)


@bp.get("/lookup")
@allow(Permission.USE_INBOX)
def index() -> Any:
    p, who = platform(), actor()
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    status = request.args.get("status", "")
    status = status if status in ("open", "closed") else ""
    departments = dict(p.directory.department_choices())
    department = request.args.get("department", "")
    if department not in departments or not who.can_see(department):
        department = ""
    rows = p.lookup.search(who, q, status=status, department=department)
    holders = [t.assignee or "" for row in rows for t in row.tasks]
    return render_template(
        "lookup.html",
        q=q,
        status=status,
        department=department,
        rows=rows,
        names=p.staff.display_names(holders),
        departments=departments,
        sees_all=who.sees_all,
        visible_departments=[code for code in departments if who.can_see(code)],
    )
