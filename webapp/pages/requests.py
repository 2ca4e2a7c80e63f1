"""A request (complaint now, every later request type alike): header, status, timeline from the audit
rows, the diagram with the current step highlighted, related records, comments and attachments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.attachments import UploadRefused, megabytes
from crm.models import RequestIndex
from crm.policy import Permission, Target
from crm.visits.links import visit_link
from engine.errors import InvalidData, NotFound
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import translate, translate_fields
from webapp.pages import present
from webapp.pages.common import actor, attachments, back, commit, ok, problem

bp = Blueprint("requests", __name__)


def the_request(instance_id: int) -> tuple[RequestIndex, ProcessInstance]:
    """The request and its instance; whether the reader may see it is the view's rule (crm.policy)."""
    p = platform()
    return p.requests.get(instance_id), p.runtime.get(instance_id)


def _case(
    instance_id: int, *, steps_only: bool
) -> tuple[dict[int, HumanTask], dict[str, Any], dict[str, Any]]:
    """What the request page and its print view both show: the header, the open steps (`steps_only`: without
    escalations), timeline, notes, files and the case's deadlines. Returns the request's tasks by id, files by
    token, and those template values."""
    p = platform()
    req, instance = the_request(instance_id)
    tasks = {
        t.id: t
        for t in p.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
        )
    }
    files = attachments().of(instance_id)
    by_token = {a.token: a for a in files}
    details = present.request_details(p, req)
    open_tasks = [t for t in tasks.values() if t.state == "open" and (not steps_only or t.kind == "task")]
    comments = p.comments.of(instance_id)
    names = p.staff.display_names([t.assignee or "" for t in tasks.values()] + [c.author for c in comments])
    data = present.current_data(p, instance_id, open_tasks)
    shown = {
        "req": req,
        "instance": instance,
        "details": details.rows,
        "description": details.description,
        "description_label": details.description_label,
        "open_tasks": open_tasks,
        "timeline": present.timeline(p, p.runtime.audit.timeline(instance_id), tasks, by_token),
        "comments": comments,
        "files": files,
        "names": names,
        "departments": dict(p.directory.department_choices()),
        "deadlines": present.case_deadlines(p, data, tasks.values(), req.closed_at),
        "contact_attempts": data.get("contact_attempts") or 0,
        "owner_tier": p.requests.owner_tier(req),
    }
    return tasks, by_token, shown


@bp.get("/requests/<int:instance_id>")
@allow(Permission.VIEW_REQUEST, Target.request())
def show(instance_id: int) -> Any:
    p = platform()
    tasks, _files, shown = _case(instance_id, steps_only=False)
    current = {t.element_id for t in shown["open_tasks"]}
    return render_template(
        "request.html",
        **shown,
        tasks=list(tasks.values()),
        current=sorted(current),
        # A step done before and open again (rework) is drawn as current, not done.
        done=sorted({t.element_id for t in tasks.values() if t.state == "completed"} - current),
        related=p.requests.related(shown["req"]),
        max_upload=megabytes(attachments().max_bytes),
        rating=p.requests.rating(instance_id),
        visit=visit_link(p.session, instance_id, shown["req"].kind),
    )


@bp.get("/requests/<int:instance_id>/print")
@allow(Permission.VIEW_REQUEST, Target.request())
def print_view(instance_id: int) -> Any:
    """The case on paper: header, deadlines, what each step recorded, the timeline and notes — no menus,
    no forms."""
    p = platform()
    tasks, by_token, shown = _case(instance_id, steps_only=True)
    return render_template(
        "request_print.html",
        **shown,
        steps=present.completed_steps(p, instance_id, tasks, by_token),
        printed_at=p.clock.now(),
    )


@bp.get("/r/<number>")
@allow(Permission.VIEW_REQUEST, Target.request_number())
def by_number(number: str) -> Any:
    found = platform().requests.by_number(number.strip().upper())
    if found is None:
        raise NotFound(f"request {number} does not exist")
    return redirect(url_for("requests.show", instance_id=found.instance_id))


@bp.get("/requests/<int:instance_id>/diagram.xml")
@allow(Permission.VIEW_REQUEST, Target.request())
def diagram(instance_id: int) -> Any:
    _req, instance = the_request(instance_id)
    xml = db_session().scalar(
        select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == instance.definition_id)
    )
    return Response(xml or "", mimetype="application/xml")


@bp.post("/requests/<int:instance_id>/comments")
@allow(Permission.ANNOTATE_REQUEST, Target.request())
def add_comment(instance_id: int) -> Any:
    the_request(instance_id)
    task_id = request.form.get("task_id", "")
    try:
        platform().comments.add(
            instance_id,
            actor().username,
            request.form.get("body"),
            task_id=int(task_id) if task_id.isdigit() else None,
        )
    except InvalidData as invalid:
        for message in translate_fields(invalid.fields).values():
            problem(_("未能添加备注：%(why)s", why=message))
    else:
        commit()
        ok(_("已添加备注。"))
    return back(url_for("requests.show", instance_id=instance_id))


@bp.post("/requests/<int:instance_id>/attachments")
@allow(Permission.ANNOTATE_REQUEST, Target.request())
def add_attachments(instance_id: int) -> Any:
    the_request(instance_id)
    store = attachments()
    uploads = [u for u in request.files.getlist("files") if u.filename]
    if not uploads:
        problem(_("请选择要上传的文件。"))
        return back(url_for("requests.show", instance_id=instance_id))
    refused = []
    try:
        for upload in uploads:
            try:
                store.store(instance_id, actor().username, upload.filename or "file", upload.stream)
            except UploadRefused as exc:
                refused.append(translate(str(exc)))
        commit()
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    for message in refused:
        problem(message)
    if len(refused) < len(uploads):
        ok(_("已上传 %(count)d 个文件。", count=len(uploads) - len(refused)))
    return back(url_for("requests.show", instance_id=instance_id))


@bp.get("/attachments/<token>")
@allow(Permission.VIEW_REQUEST, Target.attachment())
def download(token: str) -> Any:
    if not token.isalnum() or len(token) > 32:
        abort(404)
    store = attachments()
    attachment = store.get(token)
    path = store.path(attachment)
    if not path.is_file():
        raise NotFound("the attachment's file is missing")
    inline = store.is_image(attachment) or attachment.content_type == "application/pdf"
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=not inline,
        download_name=attachment.filename,
        max_age=3600,
    )
    # An owner's photos and documents: the browser may keep them, a shared proxy must not.
    response.cache_control.public = False
    response.cache_control.private = True
    return response
