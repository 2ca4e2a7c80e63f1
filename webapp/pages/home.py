"""Home: what needs me now — my open tasks, my department's unclaimed ones, what is overdue or due today."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from crm.worklist import WorklistFilter
from webapp import platform
from webapp.pages.common import actor, has_role, login_required

bp = Blueprint("home", __name__)
PREVIEW = 5


@bp.get("/")
@login_required
def index() -> Any:
    p, who = platform(), actor()
    mine = p.worklist.page(who, WorklistFilter(view="mine"), limit=PREVIEW)
    unclaimed = p.worklist.page(who, WorklistFilter(status="unclaimed"), limit=PREVIEW)
    departments = None
    if who.sees_all or has_role("manager"):
        departments = p.worklist.overdue_by_department()
        if not who.sees_all:
            departments = [row for row in departments if row[0] in who.departments]
    return render_template(
        "home.html",
        counts=p.worklist.counts(who),
        mine=mine,
        unclaimed=unclaimed,
        departments=departments,
        department_names=dict(p.directory.department_choices()),
    )
