from __future__ import annotations

from typing import Any

from flask import g, request

from crm.directory import actor_for
from crm.policy import Permission, Target
from engine.actors import Actor
from engine.errors import Forbidden, InvalidData
from engine.inbox import decode_cursor, encode_cursor, is_overdue, time_left
from engine.models import HumanTask
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body
from webapp.api.schemas import AssignBody, CompleteBody, HoldBody, TaskQuery, TaskRow
from webapp.pages.common import attachments


@api.get("/tasks")
@allow(Permission.USE_INBOX)
def list_tasks() -> Any:
    query = TaskQuery().load(request.args)
    assignee = g.actor.username if query["assignee"] == "me" else query["assignee"]
    department = query["department"]
    if department and not g.actor.can_see(department):
        raise Forbidden(f"you are not a member of '{department}'")
    visible = None if g.actor.sees_all else g.actor.departments
    try:
        after = decode_cursor(query["after"]) if query["after"] else None
    except ValueError:
        raise InvalidData("invalid cursor", {"after": "give next_after of the previous page"}) from None
    rows = platform().inbox.rows(
        departments=visible,
        department=department,
        assignee=assignee,
        state=query["state"],
        process_key=query["process"],
        instance_id=query["instance_id"],
        limit=query["limit"],
        after=after,
    )
    next_after = encode_cursor(rows[-1]) if len(rows) == query["limit"] else None
    return {"tasks": [task_view(row) for row in rows], "next_after": next_after}


def task_view(row: HumanTask) -> dict[str, Any]:
    """A task row as the API shows it: with `overdue` and the time left on its deadline's own clock."""
    p = platform()
    now = p.clock.now()
    left = time_left(row, now, p.runtime.calendar) if row.state == "open" else None
    return {
        **TaskRow().dump(row),
        "overdue": is_overdue(row, now),
        "time_left_seconds": int(left) if left is not None else None,
    }


@api.get("/tasks/<int:task_id>")
@allow(Permission.VIEW_TASK, Target.task())
def get_task(task_id: int) -> Any:
    p = platform()
    row = p.tasks.get(task_id, g.actor)
    instance = p.runtime.get(row.instance_id, with_state=True)
    data: dict[str, Any] = {}
    if row.state == "open" and instance.status == "running":
        workflow, _ = p.runtime.load(instance)
        task = p.runtime.task_of(workflow, row)
        data = dict(task.data) if task is not None else {}
    return {
        **task_view(row),
        "business_key": instance.business_key,
        "form": p.validator.schema(row.form_key, instance.definition) if row.form_key else None,
        "data": _jsonable(data),
    }


@api.post("/tasks/<int:task_id>/claim")
@allow(Permission.WORK_TASK, Target.task())
def claim_task(task_id: int) -> Any:
    row = platform().tasks.claim(task_id, g.actor)
    db_session().commit()
    return task_view(row)


@api.post("/tasks/<int:task_id>/unclaim")
@allow(Permission.WORK_TASK, Target.task())
def unclaim_task(task_id: int) -> Any:
    row = platform().tasks.unclaim(task_id, g.actor)
    db_session().commit()
    return task_view(row)


@api.post("/tasks/<int:task_id>/assign")
@allow(Permission.WORK_TASK, Target.task())
def assign_task(task_id: int) -> Any:
    row = platform().tasks.assign(task_id, _colleague(), g.actor)
    db_session().commit()
    return task_view(row)


def _colleague() -> Actor:
    """The active colleague the body names (`username`), or 422 on that field."""
    body = AssignBody().load(json_body())
    user = platform().directory.user(body["username"])
    if user is None or not user.active:
        raise InvalidData("no such colleague", {"username": f"no active user '{body['username']}'"})
    return actor_for(user)


@api.post("/tasks/<int:task_id>/reassign")
@allow(Permission.REASSIGN_TASK, Target.task())
def reassign_task(task_id: int) -> Any:
    """改派: a supervisor or manager of the task's department, or the person it was escalated to, gives it
    to a member of its department whoever holds it."""
    row = platform().tasks.reassign(task_id, _colleague(), g.actor)
    db_session().commit()
    return task_view(row)


@api.post("/tasks/<int:task_id>/complete")
@allow(Permission.WORK_TASK, Target.task())
def complete_task(task_id: int) -> Any:
    body = CompleteBody().load(json_body(optional=True))
    p = platform()
    row = p.tasks.get(task_id, g.actor)
    data = dict(body["data"])
    if body.get("comment") is not None:
        if row.form_key:
            raise InvalidData("a step with a form takes its values in data", {"comment": "unknown field"})
        data["comment"] = body["comment"]
    form = p.validator.task_form(row)
    if form is not None:
        foreign = attachments().foreign_references(row.instance_id, form, data)
        if foreign:
            raise InvalidData("the form names files that are not attachments of this request", foreign)
    row = p.tasks.complete(task_id, data, g.actor)
    db_session().commit()
    return task_view(row)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@api.post("/tasks/<int:task_id>/wait-for-owner")
@allow(Permission.WORK_TASK, Target.task())
def wait_for_owner(task_id: int) -> Any:
    """The handler waits for the owner: the deadline clock stands still until the owner answers."""
    body = HoldBody().load(json_body(optional=True))
    row = platform().tasks.wait_for_owner(task_id, g.actor, note=body["note"])
    db_session().commit()
    return task_view(row)


@api.post("/tasks/<int:task_id>/owner-answered")
@allow(Permission.WORK_TASK, Target.task())
def owner_answered(task_id: int) -> Any:
    body = HoldBody().load(json_body(optional=True))
    row = platform().tasks.owner_answered(task_id, g.actor, note=body["note"])
    db_session().commit()
    return task_view(row)
