from __future__ import annotations

from typing import Any

from flask import g, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from crm.policy import Permission
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api
from webapp.api.schemas import DeployedVersion, DeployResult

MAX_DIAGRAM_BYTES = 5 * 1024 * 1024


@api.get("/process-definitions")
@allow(Permission.VIEW_DEFINITIONS)
def list_definitions() -> Any:
    return {"definitions": DeployedVersion(many=True).dump(platform().definitions.all())}


@api.post("/process-definitions")
@allow(Permission.DEPLOY_DEFINITION)
def deploy_definition() -> Any:
    """Upload a BPMN file as multipart field `file`, or as the raw body with ?filename=NAME.bpmn."""
    if request.content_length and request.content_length > MAX_DIAGRAM_BYTES:
        raise RequestEntityTooLarge(f"a diagram may be at most {MAX_DIAGRAM_BYTES // (1024 * 1024)} MiB")
    upload = request.files.get("file")
    if upload is not None:
        content, filename = upload.read(MAX_DIAGRAM_BYTES + 1), upload.filename or "upload.bpmn"
    elif request.files or request.form:
        raise BadRequest("send the diagram as the multipart field 'file'")
    else:
        content, filename = request.get_data(), request.args.get("filename", "upload.bpmn")
    if len(content) > MAX_DIAGRAM_BYTES:
        raise RequestEntityTooLarge(f"a diagram may be at most {MAX_DIAGRAM_BYTES // (1024 * 1024)} MiB")
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    result = platform().definitions.deploy(content, filename, actor=g.actor.username, dry_run=dry_run)
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
