"""A task: its form with inline errors, the request's context beside it, comments and attachments;
claim, unclaim, assign or delegate, complete."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.attachments import UploadRefused, megabytes
from crm.bulletins.bulletins import PROCESSES as NOTICES
from crm.bulletins.bulletins import bulletin_of
from crm.directory import actor_for
from crm.handover.defects import PROCESS_KEY as DEFECT_PROCESS
from crm.handover.rectifications import defect_of
from crm.models import User
from crm.policy import Permission, Target
from crm.visits.visits import CALL_STEP, visit_of_instance
from crm.visits.visits import PROCESS_KEY as VISIT_PROCESS
from engine.errors import Conflict, InvalidData, NotFound
from engine.inbox import departments_of, is_overdue, works_on
from engine.models import HumanTask
from webapp import db_session, platform
from webapp.access import allow, policy
from webapp.i18n import translate, translate_fields
from webapp.pages import present
from webapp.pages.common import actor, attachments, back, commit, current_user, ok, problem
from webapp.pages.forms import collect, field_views

bp = Blueprint("tasks", __name__)


def _open_data(row: HumanTask) -> dict[str, Any]:
    """The values the task sees now (to fill the form in), read from the instance's state."""
    p = platform()
    instance = p.runtime.get(row.instance_id, with_state=True)
    if instance.status != "running":
        return {}
    workflow, _compiled = p.runtime.load(instance)
    task = p.runtime.task_of(workflow, row)
    return dict(task.data) if task is not None else {}


def render_task(
    row: HumanTask, values: dict[str, Any] | None, errors: dict[str, str], status: int = 200
) -> Any:
    p, who = platform(), actor()
    try:
        req = p.requests.get(row.instance_id)
    except NotFound:
        req = None
    form = p.validator.task_form(row)
    # Members of any of its departments may act (a candidateGroups list names several).
    departments = departments_of(p.session, row)
    can_act = row.state == "open" and works_on(p.session, who, row)
    # A task a colleague holds is not offered for completion: it is theirs (a supervisor reassigns it).
    held_by_other = row.assignee is not None and row.assignee != who.username
    shows_form = row.state == "open" and can_act and (status == 409 or not held_by_other)
    data = _open_data(row) if row.state == "open" and form is not None else {}
    if values is None:
        values = data if can_act else {}
    # Those who cannot fill the form in still see what the workflow already holds for its fields.
    known = (
        present.describe_data(
            p, row.form_key, {f.name: data[f.name] for f in form.fields if f.name in data}, {}, row
        )
        if form is not None and not shows_form
        else []
    )
    tasks = {
        t.id: t
        for t in p.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == row.instance_id).order_by(HumanTask.id)
        )
    }
    files = attachments().of(row.instance_id)
    by_token = {a.token: a for a in files}
    details = present.request_details(p, req) if req is not None else present.Details([])
    # Whom it can be given to: its departments' other members (claiming is how one takes it oneself).
    skip = {row.assignee, who.username}
    colleagues: list[User] = []
    if can_act:
        several = len(departments) > 1
        members = p.staff.colleagues_of(departments) if several else p.staff.members_of(row.department)
        colleagues = [u for u in members if u.username not in skip]
    step = p.session.get(HumanTask, row.escalates_task_id) if row.escalates_task_id else None
    user = current_user()
    reassign = None
    if user is not None:
        # The task's own assign form covers an unclaimed task or one's own; 改派 is for the rest, and for
        # the step an escalation is about, right on the escalation's page.
        if step is not None:
            reassign = _reassigning(step, user)
        elif held_by_other or not can_act:
            reassign = _reassigning(row, user)
    names = p.staff.display_names([row.assignee or "", row.completed_by or "", step.assignee if step else ""])
    comments = p.comments.of(row.instance_id)
    departments = dict(p.directory.department_choices())
    names.update(p.staff.display_names(c.author for c in comments))
    return (
        render_template(
            "task.html",
            task=row,
            req=req,
            form=form,
            fields=field_views(form, p.validator.choices, values, errors, by_token) if form else [],
            values_comment=values.get("comment") if form is None else None,
            errors=errors,
            can_act=can_act,
            held_by_other=held_by_other,
            overdue=is_overdue(row, p.clock.now()),
            step=step,
            keep_form=status == 409,
            step_overdue=step is not None and is_overdue(step, p.clock.now()),
            reassign=reassign,
            details=details.rows,
            description=details.description,
            steps=present.completed_steps(p, row.instance_id, tasks, by_token),
            comments=comments,
            files=files,
            colleagues=colleagues,
            names=names,
            department_name=departments.get(row.department, row.department),
            step_department=departments.get(step.department, step.department) if step else "",
            max_upload=megabytes(attachments().max_bytes),
            owner_tier=p.requests.owner_tier(req) if req is not None else None,
            documentation=present.documentation(p, row),
            known=known,
            defect=defect_of(p.session, row.instance_id) if row.process_key == DEFECT_PROCESS else None,
            bulletin=bulletin_of(p.session, row.instance_id) if row.process_key in NOTICES else None,
        ),
        status,
    )


@dataclass(frozen=True)
class Reassign:
    """The 改派 form: which task, and to whom it can go."""

    task: HumanTask
    colleagues: list[User]


def _reassigning(row: HumanTask, user: User) -> Reassign | None:
    """The 改派 form for `row`, if this user may reassign it and someone else can take it."""
    if row.state != "open" or not policy().may_reassign(user, row):
        return None
    colleagues = [u for u in platform().staff.members_of(row.department) if u.username != row.assignee]
    return Reassign(row, colleagues) if colleagues else None


_HELD = re.compile(r"^task \d+ is (?:already )?claimed by (\S+?)(?:, not by you)?$")


def _refusal(conflict: Conflict) -> str:
    """Why an action was refused, for people: whoever holds the task is named by name."""
    held = _HELD.match(str(conflict))
    if held is not None:
        name = platform().staff.display_names([held[1]]).get(held[1], held[1])
        return _("此任务已由 %(name)s 认领。", name=name)
    return translate(str(conflict))


@bp.get("/tasks/<int:task_id>")
@allow(Permission.VIEW_TASK, Target.task())
def show(task_id: int) -> Any:
    row = platform().tasks.get(task_id, actor())
    if row.state == "open" and row.process_key == VISIT_PROCESS and row.element_id == CALL_STEP:
        # A visit's call is recorded with its questionnaire on the visit's page.
        visit = visit_of_instance(platform().session, row.instance_id)
        if visit is not None:
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_task(row, None, {})


@bp.post("/tasks/<int:task_id>/complete")
@allow(Permission.WORK_TASK, Target.task())
def complete(task_id: int) -> Any:
    p, who = platform(), actor()
    row = p.tasks.get(task_id, who)  # a member of its department: the view's rule
    if row.state != "open":
        problem(translate(f"task {task_id} is already {row.state}"))
        return redirect(url_for("tasks.show", task_id=task_id))
    form = p.validator.task_form(row)
    values: dict[str, Any] = collect(form, request.form) if form else {}
    if form is None and (request.form.get("comment") or "").strip():
        values["comment"] = request.form["comment"]  # a step without a form: an optional comment
    errors: dict[str, str] = {}
    store = attachments()
    try:
        for field in form.fields if form else ():
            if field.type != "file":
                continue
            tokens = [t for t in request.form.getlist(field.name) if t]
            known = store.by_tokens(row.instance_id, tokens)
            if any(t not in known for t in tokens):
                errors[field.name] = _("附件不属于此请求")
                tokens = [t for t in tokens if t in known]
            for upload in request.files.getlist(field.name):
                if not upload.filename:
                    continue
                try:
                    stored = store.store(
                        row.instance_id,
                        who.username,
                        upload.filename,
                        upload.stream,
                        task_id=row.id,
                        field=field.name,
                        accept=field.accept,
                    )
                except UploadRefused as refused:
                    errors[field.name] = translate(str(refused))
                else:
                    tokens.append(stored.token)
            values[field.name] = tokens
        if not errors:
            p.tasks.complete(task_id, values, who)
    except InvalidData as invalid:
        errors = {**translate_fields(invalid.fields), **errors}
        if invalid.code == "undefined_variable":  # a variable the next gateway needs, not a form field
            problem(translate(str(invalid)))
    except Conflict as conflict:
        if conflict.keep_changes:
            commit()
        else:
            db_session().rollback()
            store.discard_written()
        problem(_refusal(conflict))
        fresh = p.session.get(HumanTask, task_id)
        if fresh is None or fresh.state != "open":
            return redirect(url_for("tasks.show", task_id=task_id))
        return render_task(fresh, values, errors, status=409)  # what was typed stays on the page
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    commit()  # the uploads are kept even when the form is sent back: nobody has to pick them again
    if errors:
        return render_task(row, values, errors, status=422)
    ok(_("已完成「%(step)s」。", step=row.name))
    return back(url_for("inbox.index"))


def _act(task_id: int, action: Callable[[], HumanTask], done: Callable[[HumanTask], str]) -> Any:
    """Run one inbox action, commit it and say what happened, or say why it was refused; then go back."""
    try:
        row = action()
    except Conflict as conflict:
        problem(_refusal(conflict))
    else:
        commit()
        ok(done(row))
    return back(url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>/claim")
@allow(Permission.WORK_TASK, Target.task())
def claim(task_id: int) -> Any:
    return _act(
        task_id,
        lambda: platform().tasks.claim(task_id, actor()),
        lambda row: _("已认领「%(step)s」。", step=row.name),
    )


@bp.post("/tasks/<int:task_id>/unclaim")
@allow(Permission.WORK_TASK, Target.task())
def unclaim(task_id: int) -> Any:
    return _act(
        task_id,
        lambda: platform().tasks.unclaim(task_id, actor()),
        lambda row: _("已放弃认领「%(step)s」，任务回到部门待认领。", step=row.name),
    )


@bp.post("/tasks/<int:task_id>/assign")
@allow(Permission.WORK_TASK, Target.task())
def assign(task_id: int) -> Any:
    return _give(task_id, reassign=False)


@bp.post("/tasks/<int:task_id>/reassign")
@allow(Permission.REASSIGN_TASK, Target.task())
def reassign(task_id: int) -> Any:
    """改派: a supervisor or manager gives a task of their department to another member, whoever holds it."""
    return _give(task_id, reassign=True)


def _give(task_id: int, *, reassign: bool) -> Any:
    """Give the task to the colleague picked on the form; `reassign` takes it from whoever holds it."""
    p = platform()
    username = request.form.get("username", "").strip()
    user = p.directory.user(username) if username else None
    if user is None or not user.active:
        problem(_("请选择一位在职同事。"))
        return back(url_for("tasks.show", task_id=task_id))
    give = p.tasks.reassign if reassign else p.tasks.assign
    return _act(
        task_id,
        lambda: give(task_id, actor_for(user), actor()),
        lambda row: (
            _("已把「%(step)s」改派给 %(name)s。", step=row.name, name=user.display_name)
            if reassign
            else _("已把「%(step)s」交给 %(name)s。", step=row.name, name=user.display_name)
        ),
    )


def _note() -> str | None:
    return request.form.get("note", "").strip()[:500] or None


@bp.post("/tasks/<int:task_id>/wait")
@allow(Permission.WORK_TASK, Target.task())
def wait_for_owner(task_id: int) -> Any:
    """The handler waits for the owner (away, not answering): the deadline clock stands still."""
    return _act(
        task_id,
        lambda: platform().tasks.wait_for_owner(task_id, actor(), _note()),
        lambda row: _("「%(step)s」等待业主答复，期限已暂停。", step=row.name),
    )


@bp.post("/tasks/<int:task_id>/resume")
@allow(Permission.WORK_TASK, Target.task())
def owner_answered(task_id: int) -> Any:
    return _act(
        task_id,
        lambda: platform().tasks.owner_answered(task_id, actor(), _note()),
        lambda row: _("业主已答复，「%(step)s」的期限恢复计时。", step=row.name),
    )
