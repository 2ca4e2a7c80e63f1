"""A progress notice's construction progress over the API (工程进度填报): each building of the project with
this month's milestone, percent, note and photos (and last month's figures), one building's progress saved,
photos added. The same checks as the page (crm.bulletins.progress); submitting is the notice's open step,
completed with `POST /tasks/{task_id}/complete`."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g, request, url_for
from marshmallow import RAISE, Schema, fields, validate

from crm.attachments import UploadRefused
from crm.bulletins.models import MILESTONES, Bulletin
from crm.bulletins.progress import MAX_PHOTOS, NOTE_MAX, BuildingReport
from crm.models import Attachment
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, error, json_body
from webapp.pages.common import attachments

PHOTOS = "photos"


class ProgressPhoto(Schema):
    token = fields.String(metadata={"description": "the attachment's id on the notice's request"})
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    url = fields.String(metadata={"description": "where staff who may see the request download it"})


class LastMonth(Schema):
    milestone = fields.String()
    percent = fields.Integer()


class BuildingProgressRow(Schema):
    building_id = fields.Integer()
    name = fields.String()
    waiting = fields.Boolean(
        metadata={"description": "it has units signed and not handed over: it must be reported"}
    )
    reported = fields.Boolean()
    milestone = fields.String(allow_none=True)
    percent = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    photos = fields.List(fields.Nested(ProgressPhoto))
    last_month = fields.Nested(
        LastMonth, allow_none=True, metadata={"description": "the project's previous progress notice's"}
    )


class ProgressDetail(Schema):
    bulletin_id = fields.Integer()
    status = fields.String(metadata={"description": "progress while engineering reports it"})
    period = fields.String(allow_none=True)
    project_id = fields.Integer()
    project_name = fields.String()
    task_id = fields.Integer(
        allow_none=True, metadata={"description": "the open progress step, completed to submit"}
    )
    due_at = fields.DateTime(allow_none=True)
    may_report = fields.Boolean(metadata={"description": "whether the caller may save progress now"})
    buildings = fields.List(fields.Nested(BuildingProgressRow))


class ProgressBody(Schema):
    class Meta:
        unknown = RAISE

    milestone = fields.String(required=True, validate=validate.OneOf(MILESTONES))
    percent = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))


class ProgressPhotosAdded(Schema):
    photos = fields.List(fields.Nested(ProgressPhoto))


SCHEMAS = (ProgressPhoto, LastMonth, BuildingProgressRow, ProgressDetail, ProgressBody, ProgressPhotosAdded)


def _photo(attachment: Attachment) -> dict[str, Any]:
    return {
        "token": attachment.token,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": url_for("requests.download", token=attachment.token),
    }


def _row(report: BuildingReport, photos: list[Attachment]) -> dict[str, Any]:
    row, before = report.progress, report.previous
    return {
        "building_id": report.building.id,
        "name": report.building.name,
        "waiting": report.waiting,
        "reported": row is not None,
        "milestone": row.milestone if row else None,
        "percent": row.percent if row else None,
        "note": row.note if row else None,
        "updated_by": row.updated_by if row else None,
        "updated_at": row.updated_at if row else None,
        "photos": [_photo(a) for a in photos],
        "last_month": {"milestone": before.milestone, "percent": before.percent} if before else None,
    }


def _detail(bulletin: Bulletin) -> dict[str, Any]:
    reports = platform().progress_reports
    step = reports.submit_step(bulletin) if bulletin.status == "progress" else None
    photos = reports.photos(bulletin, attachments())
    return {
        "bulletin_id": bulletin.id,
        "status": bulletin.status,
        "period": bulletin.period,
        "project_id": bulletin.project_id,
        "project_name": bulletin.project.name,
        "task_id": step.id if step else None,
        "due_at": step.due_at if step else None,
        "may_report": reports.may_report(bulletin, g.actor),
        "buildings": [_row(r, photos.get(r.building.id, [])) for r in reports.buildings(bulletin)],
    }


@api.get("/bulletins/<int:bulletin_id>/progress")
@allow(Permission.VIEW_BULLETINS)
def get_progress(bulletin_id: int) -> Any:
    return ProgressDetail().dump(_detail(platform().bulletins.get(bulletin_id)))


@api.put("/bulletins/<int:bulletin_id>/progress/<int:building_id>")
@allow(Permission.REPORT_PROGRESS)
def put_progress(bulletin_id: int, building_id: int) -> Any:
    values = ProgressBody().load(json_body())
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    p.progress_reports.save(bulletin, building_id, values, g.actor)
    db_session().commit()
    [report] = [r for r in p.progress_reports.buildings(bulletin) if r.building.id == building_id]
    photos = p.progress_reports.photos(bulletin, attachments()).get(building_id, [])
    return BuildingProgressRow().dump(_row(report, photos))


@api.post("/bulletins/<int:bulletin_id>/progress/<int:building_id>/photos")
@allow(Permission.REPORT_PROGRESS)
def add_progress_photos(bulletin_id: int, building_id: int) -> Any:
    files = [f for f in request.files.getlist(PHOTOS) if f.filename]
    if not files:
        raise InvalidData("send at least one photo", {PHOTOS: "send at least one photo"})
    p, store = platform(), attachments()
    bulletin = p.bulletins.get(bulletin_id)
    try:
        kept = p.progress_reports.add_photos(
            bulletin, building_id, [(f.filename or "photo.jpg", f.stream) for f in files], g.actor, store
        )
        db_session().commit()
    except UploadRefused as refused:
        db_session().rollback()
        store.discard_written()
        return error(422, "invalid_data", str(refused), {PHOTOS: str(refused)})
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    return ProgressPhotosAdded().dump({"photos": [_photo(a) for a in kept]}), 201


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
    spec.path(
        "/bulletins/{bulletin_id}/progress",
        operations={
            "get": {
                "summary": "A progress notice's construction progress: every building of its project (those "
                "with buyers waiting first) with this month's milestone, percent, note and photos, and last "
                "month's figures; the open progress step to complete when all is reported",
                "parameters": ident("bulletin_id"),
                "responses": responses(
                    {"200": {"description": "the progress", **json("ProgressDetail")}}, *read, 404
                ),
            }
        },
    )
    both = [*ident("bulletin_id"), *ident("building_id")]
    spec.path(
        "/bulletins/{bulletin_id}/progress/{building_id}",
        operations={
            "put": {
                "summary": "Save one building's progress for the month (replacing what was saved): while the "
                "notice waits for its progress, by a member of the step's department or an overseer",
                "parameters": both,
                "requestBody": body("ProgressBody"),
                "responses": responses(
                    {"200": {"description": "the building's progress", **json("BuildingProgressRow")}},
                    *write,
                    404,
                    422,
                ),
            }
        },
    )
    form = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        PHOTOS: {
                            "description": "jpg, png or webp photos, one field per file",
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_PHOTOS,
                            "items": {"type": "string", "format": "binary"},
                        }
                    },
                    "required": [PHOTOS],
                }
            }
        },
    }
    spec.path(
        "/bulletins/{bulletin_id}/progress/{building_id}/photos",
        operations={
            "post": {
                "summary": "Add site photos of one building to the month's progress (kept on the notice's "
                "request, field progress_<building_id>)",
                "parameters": both,
                "requestBody": form,
                "responses": responses(
                    {"201": {"description": "the photos kept", **json("ProgressPhotosAdded")}},
                    *write,
                    404,
                    422,
                ),
            }
        },
    )
