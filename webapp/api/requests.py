"""Any process as a request: start one, read one back (number, title, status, steps, timeline, data)."""

from __future__ import annotations

from typing import Any

from flask import g

from crm.policy import Permission, Target
from crm.process_requests import jsonable
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body
from webapp.api.schemas import RequestCreated, RequestDetail, StartBody


@api.post("/process-definitions/<key>/instances")
@allow(Permission.START_PROCESS, Target.process())
def start_instance(key: str) -> Any:
    body = StartBody().load(json_body())
    request = platform().process_requests.start(key, body["data"], g.actor)
    db_session().commit()
    instance = platform().runtime.get(request.instance_id)
    created = {
        "id": request.instance_id,
        "number": request.number,
        "instance_id": request.instance_id,
        "status": instance.status,
        "error": instance.error,
    }
    return RequestCreated().dump(created), 201


@api.get("/requests/<int:instance_id>")
@allow(Permission.VIEW_REQUEST, Target.request())
def get_request(instance_id: int) -> Any:
    p = platform()
    request = p.requests.get(instance_id)
    instance = p.runtime.get(instance_id)
    current = p.tasks.open_tasks_of(instance_id)
    return RequestDetail().dump(
        {
            "id": request.instance_id,
            "instance_id": request.instance_id,
            "number": request.number,
            "title": request.title,
            "process_key": instance.process_key,
            "process_name": instance.definition.name,
            "version": instance.definition.version,
            "process_version": instance.definition.version,
            "status": instance.status,
            "error": instance.error,
            "started_at": instance.started_at,
            "started_by": instance.started_by,
            "completed_at": instance.completed_at,
            "owner": {"id": request.owner_id, "name": request.owner_name} if request.owner_id else None,
            "unit": {"id": request.unit_id, "label": request.unit_label} if request.unit_id else None,
            "current_tasks": current,
            "timeline": p.runtime.audit.timeline(instance_id),
            "data": jsonable(p.process_requests.current_data(instance_id, current)),
        }
    )
