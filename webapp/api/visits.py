"""Return visits over the API: a visitor's open visits, a visit with its questionnaire (as JSON Schema), its
attempts and the owner's history, and recording a call — the same service the visit's page uses."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g, request
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from crm.estate.people import mask_phone
from crm.policy import Permission
from crm.visits.history import OwnerHistory
from crm.visits.listing import VisitRow, visit_rows
from crm.visits.models import OUTCOMES, VISIT_STATUSES, Visit
from crm.visits.visits import NOTE_LENGTH
from engine.errors import Forbidden
from webapp import db_session, platform
from webapp.access import allow, policy
from webapp.api import api, json_body


class VisitQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    mine = fields.Boolean(load_default=False, metadata={"description": "only the caller's visits"})
    visitor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "a visitor's username (holders of visits.manage; others see their own)"},
    )
    status = fields.String(load_default="open", validate=validate.OneOf(VISIT_STATUSES))
    campaign_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class VisitRowSchema(Schema):
    id = fields.Integer(required=True)
    campaign_id = fields.Integer(required=True)
    campaign = fields.String(required=True)
    owner_id = fields.Integer(required=True)
    owner = fields.String(required=True)
    phone = fields.String(required=True, metadata={"description": "masked"})
    unit_id = fields.Integer(required=True)
    unit = fields.String(required=True)
    visitor = fields.String(allow_none=True, metadata={"description": "null: an online questionnaire"})
    status = fields.String(required=True, metadata={"description": " | ".join(VISIT_STATUSES)})
    attempts = fields.Integer(required=True, metadata={"description": "calls made so far"})
    outcome = fields.String(
        allow_none=True, metadata={"description": "the last call's: " + " | ".join(OUTCOMES)}
    )
    task_id = fields.Integer(allow_none=True, metadata={"description": "the open call step: to be made now"})
    due_at = fields.AwareDateTime(allow_none=True, metadata={"description": "the call step's deadline"})
    next_call_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "waiting for another day: when the call comes back"}
    )
    instance_id = fields.Integer(allow_none=True)


class VisitList(Schema):
    visits = fields.List(fields.Nested(VisitRowSchema), required=True)
    total = fields.Integer(required=True)


class AttemptSchema(Schema):
    at = fields.AwareDateTime(required=True)
    by = fields.String(required=True)
    outcome = fields.String(required=True)
    note = fields.String(required=True)


class AnswerSchema(Schema):
    score = fields.Integer(allow_none=True, metadata={"description": "ratings 1–5 and the 0–10 question"})
    value = fields.String(allow_none=True, metadata={"description": "a choice or free text"})


class HistoryRequest(Schema):
    number = fields.String(required=True)
    title = fields.String(required=True)
    step = fields.String(allow_none=True)


class HistoryRating(Schema):
    number = fields.String(required=True)
    title = fields.String(required=True)
    score = fields.Integer(required=True)
    comment = fields.String(allow_none=True)


class HistoryVisit(Schema):
    id = fields.Integer(required=True)
    campaign = fields.String(required=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    average_score = fields.Float(allow_none=True)
    lowest_score = fields.Integer(allow_none=True)
    nps = fields.Integer(allow_none=True)
    dissatisfied = fields.Boolean(required=True)


class HistorySchema(Schema):
    open_requests = fields.List(fields.Nested(HistoryRequest), required=True)
    ratings = fields.List(fields.Nested(HistoryRating), required=True)
    visits = fields.List(fields.Nested(HistoryVisit), required=True)


class VisitDetail(VisitRowSchema):
    number = fields.String(allow_none=True, metadata={"description": "the visit's request number (HF-…)"})
    method = fields.String(required=True, metadata={"description": "phone | home | event | online"})
    script = fields.String(required=True, metadata={"description": "what the visitor says (话术)"})
    attempt = fields.Integer(allow_none=True, metadata={"description": "the attempt to record next, if open"})
    answered_at = fields.AwareDateTime(allow_none=True)
    lowest_score = fields.Integer(allow_none=True)
    average_score = fields.Float(allow_none=True)
    nps = fields.Integer(allow_none=True)
    dissatisfied = fields.Boolean(required=True)
    complaint = fields.String(allow_none=True, metadata={"description": "the complaint it opened (TS-…)"})
    questionnaire = fields.Dict(required=True, metadata={"description": "the questionnaire as JSON Schema"})
    attempts_made = fields.List(fields.Nested(AttemptSchema), required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Nested(AnswerSchema), required=True)
    history = fields.Nested(HistorySchema, required=True)


class AttemptBody(Schema):
    class Meta:
        unknown = RAISE

    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_LENGTH))
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        load_default=None,
        allow_none=True,
        metadata={"description": "required when answered: the questionnaire's answers by question"},
    )
    attempt = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "the attempt the caller means to record: another by now answers 409"},
    )


def _row(row: VisitRow) -> dict[str, Any]:
    v = row.visit
    return {
        "id": v.id,
        "campaign_id": v.campaign_id,
        "campaign": row.campaign,
        "owner_id": v.owner_id,
        "owner": row.owner,
        "phone": mask_phone(row.phone),
        "unit_id": v.unit_id,
        "unit": row.unit,
        "visitor": v.visitor,
        "status": v.status,
        "attempts": v.attempts,
        "outcome": v.outcome,
        "task_id": row.task_id,
        "due_at": row.due_at,
        "next_call_at": row.next_call_at,
        "instance_id": v.instance_id,
    }


def detail(visit: Visit) -> dict[str, Any]:
    p = platform()
    step = p.visits.call_step(visit)
    unit = visit.unit
    history = OwnerHistory(p.session).of(visit, g.actor)
    complaint = p.complaints.get(visit.complaint_id).number if visit.complaint_id else None
    number = p.requests.get(visit.instance_id).number if visit.instance_id else None
    found = {
        **_row(
            VisitRow(
                visit,
                visit.campaign.name,
                visit.owner.name,
                visit.owner.phone,
                f"{unit.building.name}{unit.number}",
                step.id if step else None,
                step.due_at if step else None,
                p.visits.next_call_at(visit),
            )
        ),
        "number": number,
        "method": visit.campaign.method,
        "script": visit.campaign.script,
        "attempt": visit.attempts + 1 if step else None,
        "answered_at": visit.answered_at,
        "lowest_score": visit.lowest_score,
        "average_score": visit.average_score,
        "nps": visit.nps,
        "dissatisfied": visit.dissatisfied,
        "complaint": complaint,
        "questionnaire": p.visits.form(visit).json_schema(p.validator.choices),
        "attempts_made": [
            {"at": a.at, "by": a.by, "outcome": a.outcome, "note": a.note} for a in p.visits.attempts(visit)
        ],
        "answers": {k: {"score": a.score, "value": a.value} for k, a in p.visits.answers(visit).items()},
        "history": {
            "open_requests": [
                {"number": r.number, "title": r.title, "step": r.step} for r in history.open_requests
            ],
            "ratings": [
                {"number": r.number, "title": r.title, "score": r.score, "comment": r.comment}
                for r in history.ratings
            ],
            "visits": [
                {
                    "id": h.visit.id,
                    "campaign": h.campaign,
                    "answered_at": h.visit.answered_at,
                    "average_score": h.visit.average_score,
                    "lowest_score": h.visit.lowest_score,
                    "nps": h.visit.nps,
                    "dissatisfied": h.visit.dissatisfied,
                }
                for h in history.visits
            ],
        },
    }
    result: dict[str, Any] = VisitDetail().dump(found)
    return result


@api.get("/visits")
@allow(Permission.VIEW_VISITS)
def list_visits() -> Any:
    query = VisitQuery().load(request.args)
    me = g.actor.username
    manages = policy().may(g.user, Permission.MANAGE_CAMPAIGNS)
    visitor = query["visitor"]
    if query["mine"]:
        visitor = me
    elif visitor is None:
        visitor = None if manages else me
    elif visitor != me and not manages:
        raise Forbidden("only those who run campaigns see other visitors' visits")
    rows, total = visit_rows(
        platform().session,
        visitor=visitor,
        status=query["status"],
        campaign_id=query["campaign_id"],
        limit=query["limit"],
    )
    return VisitList().dump({"visits": [_row(r) for r in rows], "total": total})


@api.get("/visits/<int:visit_id>")
@allow(Permission.VIEW_VISITS)
def get_visit(visit_id: int) -> Any:
    return detail(platform().visits.get(visit_id))


@api.post("/visits/<int:visit_id>/attempts")
@allow(Permission.MAKE_VISITS)
def post_attempt(visit_id: int) -> Any:
    body = AttemptBody().load(json_body())
    p = platform()
    visit = p.visits.get(visit_id)
    step = p.visits.call_step(visit)
    takes_over = (
        step is not None
        and step.assignee not in (None, g.actor.username)
        and policy().may_reassign(g.user, step)
    )
    recorded = p.visits.record(
        visit_id,
        g.actor,
        outcome=body["outcome"],
        note=body["note"],
        answers=body["answers"],
        attempt=body["attempt"],
        take_over=takes_over,
    )
    db_session().commit()
    return detail(recorded.visit), 201


SCHEMAS: dict[str, type[Schema]] = {
    "VisitRow": VisitRowSchema,
    "VisitList": VisitList,
    "VisitAttempt": AttemptSchema,
    "VisitAnswer": AnswerSchema,
    "HistoryRequest": HistoryRequest,
    "HistoryRating": HistoryRating,
    "HistoryVisit": HistoryVisit,
    "VisitHistory": HistorySchema,
    "VisitDetail": VisitDetail,
    "AttemptBody": AttemptBody,
}


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
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    spec.path(
        "/visits",
        operations={
            "get": {
                "summary": "Open return visits, the ones to call now first by their deadline, then those "
                "waiting for another day; the caller's own unless they run campaigns",
                "parameters": [{"in": "query", "schema": VisitQuery}],
                "responses": responses(
                    {"200": {"description": "the visits", **json("VisitList")}}, *read, 422
                ),
            }
        },
    )
    spec.path(
        "/visits/{visit_id}",
        operations={
            "get": {
                "summary": "A visit: the owner, the script, the questionnaire as JSON Schema, the attempts, "
                "the answers and the owner's history",
                "parameters": ident("visit_id"),
                "responses": responses(
                    {"200": {"description": "the visit", **json("VisitDetail")}}, *read, 404
                ),
            }
        },
    )
    spec.path(
        "/visits/{visit_id}/attempts",
        operations={
            "post": {
                "summary": "Record a call: its outcome, a note and, answered, the owner's answers; the "
                "workflow decides what comes next and a dissatisfied answer opens a complaint",
                "parameters": ident("visit_id"),
                "requestBody": body("AttemptBody"),
                "responses": responses(
                    {"201": {"description": "the visit as it is now", **json("VisitDetail")}},
                    *write,
                    404,
                    422,
                ),
            }
        },
    )
