from __future__ import annotations

from typing import Any

from flask import g, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

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
