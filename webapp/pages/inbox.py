"""The inbox: a department's queue or my own tasks, overdue first, filtered, saved filters, paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.bulk import claim_or_assign
from crm.directory import actor_for
from crm.policy import Permission, Target
from crm.worklist import ALL_DEPARTMENTS, WorklistFilter
from engine.errors import Forbidden, InvalidData, NotFound
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
            colleagues=p.staff.colleagues_of(who.departments),
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


BULK_LIMIT = 100


@bp.post("/inbox/bulk")
@allow(Permission.USE_INBOX)
def bulk() -> Any:
    """Claim the ticked tasks, or give them to a colleague: each one on its own, so that one a colleague
    took meanwhile is reported and the others still go through."""
    p, who = platform(), actor()
    ids = sorted({int(v) for v in request.form.getlist("task_id") if v.isdigit() and len(v) < 19})
    action = request.form.get("action", "")
    if not ids or action not in ("claim", "assign"):
        problem(_("请先勾选任务。") if not ids else _("请选择操作。"))
        return back(url_for("inbox.index"))
    if len(ids) > BULK_LIMIT:
        problem(_("一次最多处理 %(n)d 个任务。", n=BULK_LIMIT))
        return back(url_for("inbox.index"))
    target = None
    if action == "assign":
        username = request.form.get("username", "").strip()
        user = p.directory.user(username) if username else None
        if user is None or not user.active:
            problem(_("请选择一位在职同事。"))
            return back(url_for("inbox.index"))
        target = user
    to = actor_for(target) if target is not None else None
    done, refused = claim_or_assign(p.session, p.tasks, ids, who, to)
    commit()
    if done:
        if target is not None:
            ok(_("已把 %(n)d 个任务交给 %(name)s。", n=len(done), name=target.display_name))
        else:
            ok(_("已认领 %(n)d 个任务。", n=len(done)))
    for task_id, why in refused.items():
        if isinstance(why, Forbidden):
            reason = _("不是您所在部门的任务")
        elif isinstance(why, NotFound):
            reason = _("任务不存在")
        else:
            reason = _("已被同事认领、已完成或正在被他人修改")
        problem(_("任务 %(id)d 未处理：%(why)s", id=task_id, why=reason))
    return back(url_for("inbox.index"))
