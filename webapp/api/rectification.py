"""The rectification loop over the API: a defect's place in its loop (status, rectifier, deadline, rounds,
its open step, its history); engineering's bulk actions (assign many defects to a contractor, extend
deadlines with a reason); a contractor's own company's work and closing a defect with photos. Verification
and the centre's in-person confirmation are the open step's task (`POST /tasks/{task_id}/complete`)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.exceptions import BadRequest

from crm.attachments import UploadRefused
from crm.handover.models import DEFECT_STATUSES, Defect
from crm.handover.rectifications import BULK_LIMIT, MAX_EXTEND_DAYS, MAX_REASON, Outcome, company_of
from crm.policy import Permission
from engine.errors import Forbidden, InvalidData, NotFound
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body
from webapp.pages.common import attachments

MAX_DEFECT_ID = 2**63 - 1
IDS = fields.List(
    fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
    required=True,
    validate=validate.Length(min=1, max=BULK_LIMIT),
)


class BulkAssignBody(Schema):
    class Meta:
        unknown = EXCLUDE

    defect_ids = IDS
    contractor_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    rectifier = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "an engineer's username (a contractor, an engineer, or both)"},
    )
    rectify_days = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=365),
        metadata={"description": "days to rectify; each defect's catalogue item's when left out"},
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_REASON))


class BulkExtendBody(Schema):
    class Meta:
        unknown = EXCLUDE

    defect_ids = IDS
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_EXTEND_DAYS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class LoopStep(Schema):
    task_id = fields.Integer()
    element_id = fields.String(metadata={"description": "assign, rectify, verify or confirm"})
    name = fields.String()
    department = fields.String()
    assignee = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)


class LoopEvent(Schema):
    step = fields.String()
    kind = fields.String(metadata={"description": "task.completed, or task.deadline_moved"})
    at = fields.DateTime()
    actor = fields.String(allow_none=True)
    data = fields.Dict()


class DefectLoop(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True)
    status = fields.String(metadata={"description": " | ".join(DEFECT_STATUSES)})
    unit_id = fields.Integer(allow_none=True)
    building_id = fields.Integer()
    room = fields.String(allow_none=True)
    category = fields.String()
    part = fields.String()
    item = fields.String()
    severity = fields.String()
    contractor_id = fields.Integer(allow_none=True)
    assignee = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    rounds = fields.Integer(metadata={"description": "times it was sent back to rectification"})
    rectified_at = fields.DateTime(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)
    step = fields.Nested(LoopStep, allow_none=True, metadata={"description": "the step it waits at"})


class DefectLoopDetail(DefectLoop):
    history = fields.List(fields.Nested(LoopEvent))


class Skipped(Schema):
    defect = fields.String(metadata={"description": "its number (or the id given, when not found)"})
    reason = fields.String()


class BulkOutcome(Schema):
    done = fields.List(fields.Nested(DefectLoop))
    skipped = fields.List(fields.Nested(Skipped))


class DefectLoopList(Schema):
    defects = fields.List(fields.Nested(DefectLoop))


SCHEMAS = (
    BulkAssignBody,
    BulkExtendBody,
    LoopStep,
    LoopEvent,
    DefectLoop,
    DefectLoopDetail,
    Skipped,
    BulkOutcome,
    DefectLoopList,
)


def _loop(defect: Defect, *, history: bool = False) -> dict[str, Any]:
    p = platform()
    step = p.rectifications.open_step(defect)
    found: dict[str, Any] = {
        name: getattr(defect, name)
        for name in (
            "id", "number", "status", "unit_id", "building_id", "room", "category", "part", "item",
            "severity", "contractor_id", "assignee", "due_at", "rounds", "rectified_at", "verified_at",
            "closed_at", "confirmed_by",
        )
    }  # fmt: skip
    found["step"] = (
        {
            "task_id": step.id,
            "element_id": step.element_id,
            "name": step.name,
            "department": step.department,
            "assignee": step.assignee,
            "due_at": step.due_at,
        }
        if step is not None
        else None
    )
    if history:
        found["history"] = p.rectifications.history([defect])[defect.id]
        return DefectLoopDetail().dump(found)
    return DefectLoop().dump(found)


def _outcome(outcome: Outcome) -> dict[str, Any]:
    db_session().commit()
    done = [_loop(d) for d in outcome.done]
    return {"done": done, "skipped": [{"defect": label, "reason": why} for label, why in outcome.skipped]}


@api.get("/defects/<int:defect_id>/rectification")
@allow(Permission.VIEW_DEFECTS)
def defect_loop(defect_id: int) -> Any:
    if defect_id > MAX_DEFECT_ID:
        raise NotFound(f"defect {defect_id} does not exist")
    return _loop(platform().rectifications.get(defect_id), history=True)


@api.post("/defects/assign")
@allow(Permission.MANAGE_DEFECTS)
def bulk_assign() -> Any:
    body = BulkAssignBody().load(json_body())
    outcome = platform().rectifications.assign(
        g.actor,
        body["defect_ids"],
        contractor_id=body["contractor_id"],
        rectifier=body["rectifier"],
        rectify_days=body["rectify_days"],
        note=body["note"],
    )
    return _outcome(outcome)


@api.post("/defects/extend")
@allow(Permission.MANAGE_DEFECTS)
def bulk_extend() -> Any:
    body = BulkExtendBody().load(json_body())
    outcome = platform().rectifications.extend(
        g.actor, body["defect_ids"], days=body["days"], reason=body["reason"]
    )
    return _outcome(outcome)


def _company() -> int:
    found = company_of(g.actor, db_session())
    if found is None:
        raise Forbidden("this account belongs to no contractor company")
    return found


@api.get("/contractor/defects")
@allow(Permission.CONTRACTOR_WORK)
def contractor_defects() -> Any:
    return {"defects": [_loop(d) for d in platform().rectifications.of_company(_company())]}


@api.post("/contractor/defects/<int:defect_id>/close")
@allow(Permission.CONTRACTOR_WORK)
def contractor_close(defect_id: int) -> Any:
    """multipart/form-data: `note` and one or more `evidence` photos."""
    if not request.mimetype.startswith("multipart/form-data"):
        raise BadRequest("send multipart/form-data with a note and evidence photos")
    p = platform()
    if defect_id > MAX_DEFECT_ID:
        raise NotFound(f"defect {defect_id} does not exist")
    defect = p.rectifications.company_defect(_company(), defect_id)
    note = request.form.get("note", "")
    uploads = [u for u in request.files.getlist("evidence") if u.filename]
    problems = {}
    if not note.strip() or len(note) > 2000:
        problems["note"] = "required, at most 2000 characters"
    if not uploads:
        problems["evidence"] = "send one or more photos"
    if problems:
        raise ValidationError(problems)
    store = attachments()
    assert defect.instance_id is not None
    try:
        tokens = [
            store.store(
                defect.instance_id,
                g.actor.username,
                u.filename or "photo.jpg",
                u.stream,
                field="evidence",
                accept=(".jpg", ".jpeg", ".png", ".webp"),
            ).token
            for u in uploads
        ]
        p.rectifications.close(g.actor, defect, note=note.strip(), evidence=tokens)
    except UploadRefused as refused:
        db_session().rollback()
        store.discard_written()
        raise InvalidData("the photos were refused", {"evidence": str(refused)}) from None
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    db_session().commit()
    db_session().refresh(defect)
    return _loop(defect)


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
    outcome = {"200": {"description": "what was done and what was skipped, with why", **json("BulkOutcome")}}
    spec.path(
        "/defects/{defect_id}/rectification",
        operations={
            "get": {
                "summary": "A defect's place in its rectification loop: status, rectifier, deadline, rounds, "
                "the step it waits at and its history",
                "parameters": ident("defect_id"),
                "responses": responses(
                    {"200": {"description": "the loop", **json("DefectLoopDetail")}}, *read, 404
                ),
            }
        },
    )
    spec.path(
        "/defects/assign",
        operations={
            "post": {
                "summary": "Assign many defects waiting for assignment to one contractor and/or engineer",
                "requestBody": body("BulkAssignBody"),
                "responses": responses(outcome, *write, 422),
            }
        },
    )
    spec.path(
        "/defects/extend",
        operations={
            "post": {
                "summary": "Give defects being rectified more days, with the reason on each one's timeline",
                "requestBody": body("BulkExtendBody"),
                "responses": responses(outcome, *write, 422),
            }
        },
    )
    spec.path(
        "/contractor/defects",
        operations={
            "get": {
                "summary": "The caller's contractor company's open defects, the earliest deadline first",
                "responses": responses(
                    {"200": {"description": "the defects", **json("DefectLoopList")}}, *read
                ),
            }
        },
    )
    form = {
        "type": "object",
        "required": ["note", "evidence"],
        "properties": {
            "note": {"type": "string", "minLength": 1, "maxLength": 2000},
            "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
    }
    spec.path(
        "/contractor/defects/{defect_id}/close",
        operations={
            "post": {
                "summary": "Close one of the company's defects with what was done and photos of it",
                "parameters": ident("defect_id"),
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}},
                "responses": responses(
                    {"200": {"description": "the defect", **json("DefectLoop")}}, *write, 404, 422
                ),
            }
        },
    )
