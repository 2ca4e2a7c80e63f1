"""Home: what needs me now — my open tasks, my department's unclaimed ones, what is overdue or due today."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _

from crm.policy import Permission
from crm.worklist import WorklistFilter
from webapp import platform
from webapp.access import allow, policy
from webapp.pages import kpi_labels as words
from webapp.pages.common import actor, current_user

bp = Blueprint("home", __name__)
PREVIEW = 5
# The dashboard each role starts its day with (all of them for those who read the figures otherwise).
DASHBOARDS_BY_ROLE = {
    "supervisor": ("morning", "group"),
    "coordinator": ("morning",),
    "group": ("group", "morning"),
    "manager": ("department",),
    "administrator": ("morning", "department", "group"),
}


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
    dashboards: list[tuple[str, str]] = []
    user = current_user()
    if user is not None and policy().may(user, Permission.VIEW_KPIS):
        names = [n for role in sorted(user.role_set) for n in DASHBOARDS_BY_ROLE.get(role, ())]
        for name in dict.fromkeys(names or words.DASHBOARDS):
            dashboards.append((url_for(f"dashboards.{name}"), _(words.DASHBOARDS[name])))
    return render_template(
        "home.html",
        dashboards=dashboards,
        counts=p.worklist.counts(who),
        mine=mine,
        unclaimed=unclaimed,
        departments=departments,
        department_names=dict(p.directory.department_choices()),
        names=p.staff.display_names(r.task.assignee or "" for r in [*mine.rows, *unclaimed.rows]),
    )
