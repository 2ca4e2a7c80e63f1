from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g, request
from marshmallow import EXCLUDE, Schema, fields, validate
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from crm.kpis.heatmap import DAYS_DEFAULT, DAYS_LONGEST, Heatmap, Step
from crm.policy import Permission
from engine.bundle_files import MAX_BUNDLE_BYTES, MAX_FILE_BYTES
from engine.bundle_groups import BadOption, deploy_options
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api
from webapp.api.schemas import DeployedVersion, DeployResult

MAX_REQUEST_BYTES = MAX_BUNDLE_BYTES + 1024 * 1024  # the files and the multipart framing around them


@api.get("/process-definitions")
@allow(Permission.VIEW_DEFINITIONS)
def list_definitions() -> Any:
    return {"definitions": DeployedVersion(many=True).dump(platform().definitions.all())}


@api.post("/process-definitions")
@allow(Permission.DEPLOY_DEFINITION)
def deploy_definition() -> Any:
    """Deploy a BPMN diagram with its companions: multipart, one `file` field per file (the main diagram,
    BPMN files its call activities call, DMN tables, forms), with optional fields `default_department` and
    `lane` ("Name=code", repeatable); or one BPMN file as the raw body with ?filename=NAME.bpmn."""
    if request.content_length and request.content_length > MAX_REQUEST_BYTES:
        raise RequestEntityTooLarge(f"a deploy may be at most {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB")
    uploads = request.files.getlist("file")
    if uploads:
        files = []
        for upload in uploads:
            content = upload.read(MAX_FILE_BYTES + 1)
            if len(content) > MAX_FILE_BYTES:
                raise RequestEntityTooLarge(
                    f"{upload.filename}: a file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MiB"
                )
            files.append((upload.filename or "upload.bpmn", content))
    elif request.files or set(request.form) - {"default_department", "lane"}:
        raise BadRequest("send each file as a multipart field 'file'")
    elif request.form:
        raise InvalidData("no file: send the diagram as the multipart field 'file'", {"file": "required"})
    else:
        content = request.get_data()
        if len(content) > MAX_FILE_BYTES:
            raise RequestEntityTooLarge(f"a diagram may be at most {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        files = [(request.args.get("filename", "upload.bpmn"), content)]
    try:
        options = deploy_options(request.form.get("default_department"), request.form.getlist("lane"))
    except BadOption as exc:
        raise InvalidData(str(exc), {"lane": str(exc)}) from None
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    result = platform().definitions.deploy(files, options=options, actor=g.actor.username, dry_run=dry_run)
    if not dry_run:
        db_session().commit()
    body = DeployResult().dump(
        {
            "key": result.key,
            "version": result.version,
            "created": result.created,
            "dry_run": dry_run,
            "notices": [notice.as_dict() for notice in result.notices],
        }
    )
    return body, 201 if result.created and not dry_run else 200


# -- the process heatmap -----------------------------------------------------------------------------------


class HeatmapQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    days = fields.Integer(
        load_default=DAYS_DEFAULT,
        validate=validate.Range(min=1, max=DAYS_LONGEST),
        metadata={"description": "the period: the last N days (Shanghai), today included"},
    )
    version = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "one deployed version; every version when left out"},
    )


class RatioSchema(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "numerator ÷ denominator; null: none"})
    numerator = fields.Integer(required=True)
    denominator = fields.Integer(required=True)


class HeatmapStepSchema(Schema):
    element_id = fields.String(required=True, metadata={"description": "the BPMN element id"})
    name = fields.String(required=True)
    in_diagram = fields.Boolean(
        required=True, metadata={"description": "a step of the diagram drawn (every version: the latest)"}
    )
    waiting = fields.Integer(required=True, metadata={"description": "open tasks at the step now"})
    overdue = fields.Integer(required=True, metadata={"description": "of those, past their due time"})
    overdue_share = fields.Nested(RatioSchema, required=True, metadata={"description": "overdue ÷ waiting"})
    completed = fields.Integer(required=True, metadata={"description": "steps completed in the period"})
    spent_avg_s = fields.Integer(allow_none=True, metadata={"description": "average time spent, seconds"})
    spent_p90_s = fields.Integer(
        allow_none=True, metadata={"description": "90th percentile (nearest rank), seconds"}
    )
    spent_work_avg_s = fields.Integer(allow_none=True, metadata={"description": "the same in working time"})
    spent_work_p90_s = fields.Integer(allow_none=True)
    late_share = fields.Nested(
        RatioSchema,
        required=True,
        metadata={"description": "completed late ÷ completed with a deadline, in the period"},
    )


class HeatmapSchema(Schema):
    process_key = fields.String(required=True)
    version = fields.Integer(allow_none=True, metadata={"description": "null: every version"})
    drawn_version = fields.Integer(required=True, metadata={"description": "the diagram the steps are on"})
    days = fields.Integer(required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    at = fields.AwareDateTime(
        required=True, metadata={"description": "when waiting and overdue were counted"}
    )
    steps = fields.List(fields.Nested(HeatmapStepSchema), required=True)


def _step(step: Step) -> dict[str, Any]:
    return {
        "element_id": step.element_id,
        "name": step.name,
        "in_diagram": step.in_diagram,
        "waiting": step.waiting,
        "overdue": step.overdue,
        "overdue_share": step.overdue_share.as_dict(),
        "completed": step.done,
        "spent_avg_s": step.spent_avg,
        "spent_p90_s": step.spent_p90,
        "spent_work_avg_s": step.spent_work_avg,
        "spent_work_p90_s": step.spent_work_p90,
        "late_share": step.late_share.as_dict(),
    }


def heatmap_body(found: Heatmap) -> dict[str, Any]:
    return HeatmapSchema().dump(
        {
            "process_key": found.process_key,
            "version": found.version,
            "drawn_version": found.drawn.version,
            "days": found.days,
            "start": found.start,
            "end": found.end,
            "at": found.at,
            "steps": [_step(s) for s in found.steps],
        }
    )


@api.get("/process-definitions/<key>/heatmap")
@allow(Permission.VIEW_KPIS)
def definition_heatmap(key: str) -> Any:
    """Per step of the process: what waits there now, and the steps completed there in the last N days."""
    query = HeatmapQuery().load(request.args)
    return heatmap_body(platform().heatmaps.of(key, version=query["version"], days=query["days"]))


SCHEMAS: dict[str, type[Schema]] = {
    "Ratio": RatioSchema,
    "HeatmapStep": HeatmapStepSchema,
    "Heatmap": HeatmapSchema,
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
    """This module's read-only figures in the OpenAPI document (webapp.api.openapi)."""
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    spec.path(
        "/process-definitions/{key}/heatmap",
        operations={
            "get": {
                "summary": "The process heatmap: per step (BPMN element id), the open tasks waiting there "
                "now and how many are overdue; over the steps completed there in the last `days` days, "
                "their count, average and 90th-percentile time spent and the share completed late — each "
                "share with its numerator and denominator",
                "parameters": [
                    {
                        "name": "key",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 200},
                    },
                    {"in": "query", "schema": HeatmapQuery},
                ],
                "responses": responses(
                    {"200": {"description": "the heatmap", **json("Heatmap")}}, *read, 404, 422
                ),
            }
        },
    )
