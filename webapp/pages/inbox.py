"""The inbox: a department's queue or my own tasks, overdue first, filtered, saved filters, paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.policy import Permission, Target
from crm.worklist import ALL_DEPARTMENTS, WorklistFilter
from engine.errors import InvalidData
from webapp import platform
from webapp.access import allow
from webapp.i18n import label, translate_fields
from webapp.pages import present
from webapp.pages.common import actor, back, commit, ok, problem

bp = Blueprint("inbox", __name__)


def inbox_url(worklist_filter: WorklistFilter, **extra: str) -> str:
    query = {**worklist_filter.as_query(), **extra}
    return url_for("inbox.index") + ("?" + urlencode(query) if query else "")


def category_choices() -> list[tuple[str, str]]:
    form = platform().foundation.forms.get("complaint_intake")
    return [(choice.value, label(choice)) for choice in form.field("category").choices]


@bp.get("/inbox")
@allow(Permission.USE_INBOX)
def index() -> Any:
    p, who = platform(), actor()
    errors: dict[str, str] = {}
    try:
        worklist_filter = WorklistFilter.parse(request.args)
        page = p.worklist.page(who, worklist_filter, after=request.args.get("after") or None)
    except InvalidData as exc:
        errors = translate_fields(exc.fields)
        worklist_filter = WorklistFilter()
        page = p.worklist.page(who, worklist_filter)
    status = 400 if errors else 200
    departments = dict(p.directory.department_choices())
    visible = sorted(departments) if who.sees_all else sorted(who.departments)
    return (
        render_template(
            "inbox.html",
            f=worklist_filter,
            page=page,
            errors=errors,
            inbox_url=inbox_url,
            departments=departments,
            visible_departments=visible,
            all_departments=ALL_DEPARTMENTS if who.sees_all else None,
            processes=present.process_names(p),
            projects=p.requests.projects(),
            categories=category_choices(),
            saved=p.saved_filters.visible_to(who),
            names=p.staff.display_names(r.task.assignee or "" for r in page.rows),
            first_page=not request.args.get("after"),
        ),
        status,
    )


@bp.post("/inbox/filters")
@allow(Permission.USE_INBOX)
def save_filter() -> Any:
    p, who = platform(), actor()
    worklist_filter = WorklistFilter.parse(request.form)
    try:
        saved = p.saved_filters.save(
            who, request.form.get("name"), worklist_filter, request.form.get("share_with")
        )
    except InvalidData as exc:
        for message in translate_fields(exc.fields).values():
            problem(_("未能保存筛选：%(why)s", why=message))
        return redirect(inbox_url(worklist_filter))
    commit()
    ok(_("已保存筛选“%(name)s”。", name=saved.name))
    return redirect(inbox_url(worklist_filter))


@bp.get("/inbox/filters/<int:filter_id>")
@allow(Permission.OPEN_SAVED_FILTER, Target.saved_filter())
def open_filter(filter_id: int) -> Any:
    saved = platform().saved_filters.get(actor(), filter_id)
    return redirect(inbox_url(WorklistFilter.parse(saved.query)))


@bp.post("/inbox/filters/<int:filter_id>/delete")
@allow(Permission.DELETE_SAVED_FILTER, Target.saved_filter())
def delete_filter(filter_id: int) -> Any:
    platform().saved_filters.delete(actor(), filter_id)
    commit()
    ok(_("已删除筛选。"))
    return back(url_for("inbox.index"))
