"""Incidents over the API: failed instances, retried (on their version or a newer one) or cancelled."""

from __future__ import annotations

from typing import Any

from flask import g, request
from marshmallow import ValidationError

from crm.incidents import IncidentDesk, IncidentView
from crm.policy import Permission
from engine.models import ProcessInstance
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body
from webapp.api.schemas import CancelBody, IncidentRow, InstanceOutcome, RetryBody


def desk() -> IncidentDesk:
    p = platform()
    return IncidentDesk(p.session, p.incidents)


def incident_view(view: IncidentView) -> dict[str, Any]:
    return IncidentRow().dump(
        {
            "instance_id": view.instance_id,
            "number": view.number,
            "title": view.title,
            "process_key": view.process_key,
            "process_name": view.process_name,
            "version": view.version,
            "element_id": view.element_id,
            "element_name": view.element_name,
            "error": view.error,
            "failed_at": view.failed_at,
            "newer_version": view.newer_version,
        }
    )


def outcome(instance: ProcessInstance) -> dict[str, Any]:
    return InstanceOutcome().dump(
        {
            "instance_id": instance.id,
            "status": instance.status,
            "version": instance.definition.version,
            "error": instance.error,
            "element_id": instance.error_element,
        }
    )


@api.get("/incidents")
@allow(Permission.HANDLE_INCIDENTS)
def list_incidents() -> Any:
    process = request.args.get("process") or None
    if process is not None and len(process) > 200:
        raise ValidationError({"process": ["at most 200 characters"]})
    return {"incidents": [incident_view(v) for v in desk().list(process_key=process)]}


@api.post("/incidents/<int:instance_id>/retry")
@allow(Permission.HANDLE_INCIDENTS)
def retry_incident(instance_id: int) -> Any:
    body = RetryBody().load(json_body(optional=True))
    instance = platform().incidents.retry(instance_id, g.actor, version=body["version"], data=body["data"])
    db_session().commit()
    return outcome(instance)


@api.post("/incidents/<int:instance_id>/cancel")
@allow(Permission.HANDLE_INCIDENTS)
def cancel_incident(instance_id: int) -> Any:
    body = CancelBody().load(json_body())
    instance = platform().incidents.cancel(instance_id, g.actor, body["reason"])
    db_session().commit()
    return outcome(instance)
