"""Notices to buyers over the API: the list (by kind, project, state), a notice with its draft, the owners
it reaches (before approval) and its delivery counts (after), editing the draft, and the manager's decision.
Submitting the draft for approval is its open step's task (`POST /tasks/{task_id}/complete`)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g, request
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from crm.bulletins.bulletins import APPROVE_STEP
from crm.bulletins.delivery import delivery
from crm.bulletins.drafts import reach_of, save_draft
from crm.bulletins.models import KINDS, STATUSES, Bulletin
from crm.policy import Permission
from engine.errors import Conflict, InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body

MAX_COMMENT = 2000


class BulletinQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    project_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class BulletinRow(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "progress | design_change"})
    project_id = fields.Integer(required=True)
    project = fields.String(required=True, metadata={"description": "the project's name"})
    period = fields.String(allow_none=True, metadata={"description": "a progress notice's month: 2026-12"})
    status = fields.String(
        required=True,
        metadata={"description": "progress | drafting | approving | sending | sent | cancelled"},
    )
    title = fields.String(required=True)
    instance_id = fields.Integer(allow_none=True, metadata={"description": "its request"})
    recipients_total = fields.Integer(required=True, metadata={"description": "owners it goes to"})
    recipients_queued = fields.Integer(required=True, metadata={"description": "of them, messages queued"})
    created_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(allow_none=True)


class BulletinList(Schema):
    bulletins = fields.List(fields.Nested(BulletinRow), required=True)


class ChannelCounts(Schema):
    total = fields.Integer(required=True, metadata={"description": "messages queued on the channel"})
    delivered = fields.Integer(required=True, metadata={"description": "the channel took them"})
    pending = fields.Integer(required=True, metadata={"description": "waiting or being sent"})
    failed = fields.Integer(required=True, metadata={"description": "dead letters"})


class DeliveryCounts(Schema):
    recipients = fields.Integer(required=True)
    queued = fields.Integer(required=True)
    opened = fields.Integer(required=True, metadata={"description": "owners who opened it on the portal"})
    acknowledged = fields.Integer(required=True)
    channels = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelCounts), required=True)


class ReachCounts(Schema):
    owners = fields.Integer(required=True, metadata={"description": "owners it is for"})
    reached = fields.Integer(required=True, metadata={"description": "who get it on at least one channel"})
    opted_out = fields.Integer(required=True, metadata={"description": "chose not to receive it"})
    unreachable = fields.Integer(required=True, metadata={"description": "no details for their channels"})
    channels = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class BulletinDetail(BulletinRow):
    body = fields.String(required=True)
    sms_text = fields.String(required=True)
    requires_ack = fields.Boolean(required=True)
    return_comment = fields.String(allow_none=True, metadata={"description": "the manager's send-back"})
    returned_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    step = fields.Dict(
        allow_none=True,
        metadata={"description": "the open step: {task_id, element_id, name}; null when none"},
    )
    reach = fields.Nested(
        ReachCounts, allow_none=True, metadata={"description": "while drafted or approved: whom it reaches"}
    )
    delivery = fields.Nested(
        DeliveryCounts, allow_none=True, metadata={"description": "once approved: how its messages fared"}
    )


class DraftBody(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(metadata={"description": "at most 200 characters"})
    body = fields.String(metadata={"description": "what owners read on the portal and by email"})
    sms_text = fields.String(metadata={"description": "at most 120 characters; the link is added"})


class ApprovalBody(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_COMMENT),
        metadata={"description": "required to send it back: the drafter sees it"},
    )


def _row(b: Bulletin) -> dict[str, Any]:
    return {
        "id": b.id,
        "kind": b.kind,
        "project_id": b.project_id,
        "project": b.project.name,
        "period": b.period,
        "status": b.status,
        "title": b.title,
        "instance_id": b.instance_id,
        "recipients_total": b.recipients_total,
        "recipients_queued": b.recipients_queued,
        "created_at": b.created_at,
        "sent_at": b.sent_at,
    }


def _detail(b: Bulletin) -> Any:
    p = platform()
    step = p.bulletins.open_step(b)
    found = {
        **_row(b),
        "body": b.body,
        "sms_text": b.sms_text,
        "requires_ack": b.requires_ack,
        "return_comment": b.return_comment,
        "returned_by": b.returned_by,
        "approved_by": b.approved_by,
        "approved_at": b.approved_at,
        "step": {"task_id": step.id, "element_id": step.element_id, "name": step.name} if step else None,
        "reach": vars(reach_of(p.session, b)) if b.status in ("drafting", "approving") else None,
        "delivery": None,
    }
    if b.status in ("sending", "sent"):
        counts = delivery(p.session, b)
        found["delivery"] = {
            "recipients": counts.recipients,
            "queued": counts.queued,
            "opened": counts.opened,
            "acknowledged": counts.acknowledged,
            "channels": {name: vars(c) for name, c in counts.channels.items()},
        }
    return BulletinDetail().dump(found)


@api.get("/bulletins")
@allow(Permission.VIEW_BULLETINS)
def list_bulletins() -> Any:
    query = BulletinQuery().load(request.args)
    rows = platform().bulletins.page(
        kind=query["kind"], project_id=query["project_id"], status=query["status"], limit=query["limit"]
    )
    return BulletinList().dump({"bulletins": [_row(b) for b in rows]})


@api.get("/bulletins/<int:bulletin_id>")
@allow(Permission.VIEW_BULLETINS)
def get_bulletin(bulletin_id: int) -> Any:
    return _detail(platform().bulletins.get(bulletin_id))


@api.put("/bulletins/<int:bulletin_id>/draft")
@allow(Permission.DRAFT_BULLETINS)
def put_draft(bulletin_id: int) -> Any:
    body = DraftBody().load(json_body())
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    save_draft(p.session, p.clock, bulletin, body)
    db_session().commit()
    return _detail(bulletin)


@api.post("/bulletins/<int:bulletin_id>/approval")
@allow(Permission.APPROVE_BULLETINS)
def post_approval(bulletin_id: int) -> Any:
    body = ApprovalBody().load(json_body())
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    step = p.bulletins.open_step(bulletin)
    if bulletin.status != "approving" or step is None or step.element_id != APPROVE_STEP:
        raise Conflict(f"notice {bulletin_id} is {bulletin.status}, not waiting for approval")
    comment = body["comment"].strip()
    if body["decision"] == "return" and not comment:
        raise InvalidData("the notice has errors", {"comment": "required to send it back"})
    p.tasks.complete(step.id, {"decision": body["decision"], "approve_comment": comment}, g.actor)
    db_session().commit()
    return _detail(bulletin)


SCHEMAS = (
    BulletinRow,
    BulletinList,
    ChannelCounts,
    DeliveryCounts,
    ReachCounts,
    BulletinDetail,
    DraftBody,
    ApprovalBody,
)


def paths(
    spec: APISpec,
    responses: Any,
    body: Any,
    json: Any,
    ident: Any,
    read: tuple[int, ...],
    write: tuple[int, ...],
) -> None:
    """This module's operations in the OpenAPI document (webapp.api.openapi)."""
    for schema in SCHEMAS:
        spec.components.schema(schema.__name__, schema=schema)
    detail = {"200": {"description": "the notice", **json("BulletinDetail")}}
    spec.path(
        "/bulletins",
        operations={
            "get": {
                "summary": "Notices to buyers (progress and design-change notices), newest first",
                "parameters": [{"in": "query", "schema": BulletinQuery}],
                "responses": responses(
                    {"200": {"description": "the notices", **json("BulletinList")}}, *read, 422
                ),
            }
        },
    )
    spec.path(
        "/bulletins/{bulletin_id}",
        operations={
            "get": {
                "summary": "A notice: its draft, whom it reaches before approval, its delivery after",
                "parameters": ident("bulletin_id"),
                "responses": responses(detail, *read, 404),
            }
        },
    )
    spec.path(
        "/bulletins/{bulletin_id}/draft",
        operations={
            "put": {
                "summary": "Edit the draft's title, text and SMS text (while the notice is drafted)",
                "parameters": ident("bulletin_id"),
                "requestBody": body("DraftBody"),
                "responses": responses(detail, *write, 404, 422),
            }
        },
    )
    spec.path(
        "/bulletins/{bulletin_id}/approval",
        operations={
            "post": {
                "summary": "Approve the notice for sending, or send it back to the drafter with a comment",
                "parameters": ident("bulletin_id"),
                "requestBody": body("ApprovalBody"),
                "responses": responses(detail, *write, 404, 422),
            }
        },
    )
