"""Home: what needs me now — my open tasks, my department's unclaimed ones, what is overdue or due today."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from crm.policy import Permission
from crm.worklist import WorklistFilter
from webapp import platform
from webapp.access import allow, policy
from webapp.pages.common import actor, current_user

bp = Blueprint("home", __name__)
PREVIEW = 5


@bp.get("/")
@allow(Permission.USE_INBOX)
def index() -> Any:
    p, who = platform(), actor()
    mine = p.worklist.page(who, WorklistFilter(view="mine"), limit=PREVIEW)
    unclaimed = p.worklist.page(who, WorklistFilter(status="unclaimed"), limit=PREVIEW)
    departments = None
    if policy().may(current_user(), Permission.SEE_OVERDUE_BY_DEPARTMENT):
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
        names=p.staff.display_names(r.task.assignee or "" for r in [*mine.rows, *unclaimed.rows]),
    )
