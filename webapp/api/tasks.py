from __future__ import annotations

from typing import Any

from flask import g, request

from crm.directory import actor_for
from engine.errors import Forbidden, NotFound
from webapp import db_session, platform
from webapp.api import api, json_body
from webapp.api.schemas import AssignBody, CompleteBody, TaskQuery, TaskRow


@api.get("/tasks")
def list_tasks() -> Any:
    query = TaskQuery().load(request.args)
    assignee = g.actor.username if query["assignee"] == "me" else query["assignee"]
    department = query["department"]
    if department and not g.actor.can_see(department):
        raise Forbidden(f"you are not a member of '{department}'")
    visible = None if g.actor.sees_all else g.actor.departments
    rows = platform().inbox.rows(
        departments=visible,
        department=department,
        assignee=assignee,
        state=query["state"],
        process_key=query["process"],
        instance_id=query["instance_id"],
        limit=query["limit"],
        after=query["after"],
    )
    return {
        "tasks": TaskRow(many=True).dump(rows),
        "next_after": rows[-1].id if len(rows) == query["limit"] else None,
    }


@api.get("/tasks/<int:task_id>")
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
        **TaskRow().dump(row),
        "business_key": instance.business_key,
        "form": p.validator.schema(row.form_key) if row.form_key else None,
        "data": _jsonable(data),
    }


@api.post("/tasks/<int:task_id>/claim")
def claim_task(task_id: int) -> Any:
    row = platform().tasks.claim(task_id, g.actor)
    db_session().commit()
    return TaskRow().dump(row)


@api.post("/tasks/<int:task_id>/unclaim")
def unclaim_task(task_id: int) -> Any:
    row = platform().tasks.unclaim(task_id, g.actor)
    db_session().commit()
    return TaskRow().dump(row)


@api.post("/tasks/<int:task_id>/assign")
def assign_task(task_id: int) -> Any:
    body = AssignBody().load(json_body())
    p = platform()
    user = p.directory.user(body["username"])
    if user is None or not user.active:
        raise NotFound(f"no active user '{body['username']}'")
    row = p.tasks.assign(task_id, actor_for(user), g.actor)
    db_session().commit()
    return TaskRow().dump(row)


@api.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int) -> Any:
    body = CompleteBody().load(json_body())
    row = platform().tasks.complete(task_id, body["data"], g.actor)
    db_session().commit()
    return TaskRow().dump(row)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
