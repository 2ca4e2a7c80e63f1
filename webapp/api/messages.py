"""The token user's in-app messages (the same as the bell and 我的消息): a page of them, newest first, with
the unread count, and marking one or all read. Someone else's message is answered as if it did not
exist."""

from __future__ import annotations

from typing import Any

from flask import g, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from crm.messaging.kinds import KINDS
from crm.policy import Permission
from engine.errors import NotFound
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body
from webapp.api.schemas import MAX_ID


class MessageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    before_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "next_before_id of the previous page: messages older than this one"},
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MessageRow(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "the message kind, e.g. task.new"})
    kind_label = fields.String(
        allow_none=True, metadata={"description": "its Chinese name, e.g. 部门待办新任务"}
    )
    subject = fields.String()
    body = fields.String()
    link = fields.String(
        allow_none=True, metadata={"description": "a path inside Lintel, e.g. /r/TS-2026-000123"}
    )
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    unread = fields.Boolean()


class MessageList(Schema):
    messages = fields.List(fields.Nested(MessageRow), required=True)
    unread = fields.Integer(required=True, metadata={"description": "unread messages in all (the bell)"})
    next_before_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "pass as `before_id` for the next page"}
    )


class ReadBody(Schema):
    id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    all = fields.Boolean(
        load_default=False,
        truthy={True},
        falsy={False},
        metadata={"description": "true: every unread message"},
    )

    @validates_schema
    def _one_or_all(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data["id"] is None) == (not data["all"]):
            raise ValidationError("give either the id of one message or all: true", "id")


class ReadResult(Schema):
    marked = fields.Integer(required=True, metadata={"description": "messages that were unread until now"})
    unread = fields.Integer(required=True)


def _recipient() -> str:
    return f"user:{g.user.username}"


@api.get("/messages")
@allow(Permission.OWN_MESSAGES)
def list_messages() -> Any:
    query = MessageQuery().load(request.args)
    page = platform().inapp.page(_recipient(), query["before_id"], query["limit"])
    rows = [
        {
            "id": m.id,
            "kind": m.kind,
            "kind_label": KINDS[m.kind].label if m.kind in KINDS else None,
            "subject": m.subject,
            "body": m.body,
            "link": m.link,
            "created_at": m.created_at,
            "read_at": m.read_at,
            "unread": m.read_at is None,
        }
        for m in page.messages
    ]
    return MessageList().dump(
        {"messages": rows, "unread": page.unread, "next_before_id": page.next_before_id}
    )


@api.post("/messages/read")
@allow(Permission.OWN_MESSAGES)
def read_messages() -> Any:
    body = ReadBody().load(json_body())
    inapp = platform().inapp
    if body["id"] is not None and inapp.find(_recipient(), body["id"]) is None:
        raise NotFound(f"message {body['id']} does not exist")
    marked = inapp.mark_read(_recipient(), body["id"])
    db_session().commit()
    return ReadResult().dump({"marked": marked, "unread": inapp.unread_count(_recipient())})
