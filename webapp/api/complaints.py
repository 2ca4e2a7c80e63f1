from __future__ import annotations

from typing import Any

from flask import g

from crm.estate.people import mask_phone
from crm.models import Complaint
from crm.policy import Permission, Target
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body
from webapp.api.schemas import ComplaintCreate, ComplaintCreated, ComplaintDetail


@api.post("/complaints")
@allow(Permission.REGISTER_COMPLAINT)
def create_complaint() -> Any:
    body = ComplaintCreate().load(json_body())
    complaint = platform().complaints.register(g.actor, **body)
    db_session().commit()
    return ComplaintCreated().dump(complaint), 201


@api.get("/complaints/<int:complaint_id>")
@allow(Permission.VIEW_REQUEST, Target.complaint())
def get_complaint(complaint_id: int) -> Any:
    p = platform()
    complaint = p.complaints.get(complaint_id)
    return ComplaintDetail().dump(complaint_view(complaint))


def complaint_view(complaint: Complaint) -> dict[str, Any]:
    p = platform()
    current = p.tasks.open_tasks_of(complaint.instance_id) if complaint.instance_id else []
    timeline = p.runtime.audit.timeline(complaint.instance_id) if complaint.instance_id else []
    unit = complaint.unit
    return {
        **{
            c: getattr(complaint, c)
            for c in (
                "id",
                "number",
                "status",
                "channel",
                "category",
                "severity",
                "department",
                "description",
                "rework_count",
                "created_at",
                "closed_at",
                "instance_id",
            )
        },
        "closed": complaint.status == "closed",
        "satisfaction": _score(complaint),
        "owner": {"id": complaint.owner.id, "name": complaint.owner.name} if complaint.owner else None,
        "unit": {"id": unit.id, "label": unit.label} if unit else None,
        "caller": _caller(complaint),
        "current_tasks": current,
        "timeline": timeline,
    }


def _caller(complaint: Complaint) -> dict[str, Any] | None:
    caller = complaint.caller
    if caller is None:
        return None
    return {
        "id": caller.id,
        "name": caller.name,
        "relation": caller.relation,
        "phone": mask_phone(caller.phone),
    }


def _score(complaint: Complaint) -> int | None:
    """The request's one satisfaction record, however it was given (portal or phone)."""
    rating = platform().requests.rating(complaint.instance_id) if complaint.instance_id else None
    return rating.score if rating is not None else None
