"""Design-change notices to owners over the API: starting one (the same check as the page: buildings and units
of the chosen project, a title), and who has acknowledged a sent one — the counts and the owners still to
acknowledge, phones masked."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g
from marshmallow import RAISE, Schema, fields, validate

from crm.bulletins.acknowledgements import Acknowledgements
from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.design_changes import MAX_UNITS, reach
from crm.policy import Permission
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body

MAX_INT = 2**31 - 1
_ID = validate.Range(min=1, max=MAX_INT)


class DesignChangeBody(Schema):
    class Meta:
        unknown = RAISE

    project_id = fields.Integer(required=True, strict=True, validate=_ID)
    building_ids = fields.List(
        fields.Integer(strict=True, validate=_ID),
        load_default=list,
        validate=validate.Length(max=MAX_UNITS),
        metadata={"description": "buildings of the project: every owner of their units is told"},
    )
    unit_ids = fields.List(
        fields.Integer(strict=True, validate=_ID),
        load_default=list,
        validate=validate.Length(max=MAX_UNITS),
        metadata={"description": "units of the project (besides the buildings')"},
    )
    title = fields.String(required=True, validate=validate.Length(max=200))


class DesignChangeStarted(Schema):
    bulletin_id = fields.Integer(required=True)
    instance_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "drafting: the centre writes it next"})
    title = fields.String(required=True)
    owners = fields.Integer(
        required=True,
        metadata={"description": "how many owners it reaches as things stand (fixed at approval)"},
    )


class PendingOwner(Schema):
    owner_id = fields.Integer(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True, metadata={"description": "masked: 139****0001"})
    units = fields.List(
        fields.String(), required=True, metadata={"description": "their units the change concerns"}
    )
    opened_at = fields.AwareDateTime(
        required=True, allow_none=True, metadata={"description": "when they first opened it on the portal"}
    )


class AcknowledgementList(Schema):
    bulletin_id = fields.Integer(required=True)
    recipients = fields.Integer(required=True)
    acknowledged = fields.Integer(required=True)
    last_reminder = fields.AwareDateTime(required=True, allow_none=True)
    not_acknowledged = fields.List(fields.Nested(PendingOwner), required=True)


@api.post("/bulletins/design-changes")
@allow(Permission.DRAFT_BULLETINS)
def start_design_change() -> Any:
    body = DesignChangeBody().load(json_body())
    p = platform()
    instance_id = p.bulletins.start_design_change(body, g.actor)
    bulletin = bulletin_of(p.session, instance_id)
    assert bulletin is not None  # written as the instance starts
    owners = reach(p.session, bulletin.project_id, body["building_ids"], body["unit_ids"])
    result = {
        "bulletin_id": bulletin.id,
        "instance_id": instance_id,
        "status": bulletin.status,
        "title": bulletin.title,
        "owners": owners,
    }
    db_session().commit()
    return DesignChangeStarted().dump(result), 201


@api.get("/bulletins/<int:bulletin_id>/acknowledgements")
@allow(Permission.VIEW_BULLETINS)
def acknowledgements(bulletin_id: int) -> Any:
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    summary = Acknowledgements(p.session, p.clock, p.outbox, p.foundation.messaging.public_url).summary(
        bulletin
    )
    return AcknowledgementList().dump(
        {
            "bulletin_id": bulletin.id,
            "recipients": summary.recipients,
            "acknowledged": summary.acknowledged,
            "last_reminder": summary.last_reminder,
            "not_acknowledged": [
                {
                    "owner_id": o.owner_id,
                    "name": o.name,
                    "phone": o.phone,
                    "units": o.units,
                    "opened_at": o.opened_at,
                }
                for o in summary.pending
            ],
        }
    )


def paths(spec: APISpec, responses: Any, body: Any, json: Any, path_id: Any, read: Any, write: Any) -> None:
    """This module's part of the OpenAPI document (webapp.api.openapi passes its helpers)."""
    for name in ("DesignChangeBody", "DesignChangeStarted", "PendingOwner", "AcknowledgementList"):
        spec.components.schema(name, schema=globals()[name])
    spec.path(
        "/bulletins/design-changes",
        operations={
            "post": {
                "summary": "Start a design-change notice (规划设计变更通报) to the owners of chosen "
                "buildings and units of one project; the centre drafts it next, a manager approves it",
                "requestBody": body("DesignChangeBody"),
                "responses": responses(
                    {"201": {"description": "started", **json("DesignChangeStarted")}}, *write, 422
                ),
            }
        },
    )
    spec.path(
        "/bulletins/{bulletin_id}/acknowledgements",
        operations={
            "get": {
                "summary": "Who has acknowledged a sent design change: the counts and the owners still to "
                "acknowledge (phones masked); 409 for a progress notice or one not sent yet",
                "parameters": path_id("bulletin_id"),
                "responses": responses(
                    {"200": {"description": "the acknowledgements", **json("AcknowledgementList")}},
                    *read,
                    404,
                    409,
                ),
            }
        },
    )
