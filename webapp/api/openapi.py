"""The OpenAPI document, generated from the marshmallow schemas the endpoints use.

It is a contract, checked against the running app by schemathesis in the test suite
(tests/webapp/test_api_contract.py): every status an operation can answer is listed, bodies are described
by the schemas the views load them with, and every response matches its schema.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from crm.complaints import INTAKE_FORM
from webapp.access import public
from webapp.api import (
    api,
    bulletin_owners,
    bulletin_progress,
    bulletins,
    campaigns,
    definitions,
    kpis,
    migrations,
    rectification,
    schemas,
    visit_results,
    visits,
)
from webapp.api.schemas import MAX_ID

# What each error status means here; the body is always the Error schema.
ERRORS = {
    400: "malformed: a NUL character anywhere, or a body that is not a JSON object or is nested too deeply",
    401: "no token, or a token that is unknown, expired or revoked",
    403: "the caller may not do this",
    404: "no such record (or one the caller may not know of)",
    409: "the task or request changed meanwhile, or is not in a state that allows this",
    413: "the body is too large",
    422: "invalid fields: `fields` has a message per field",
    503: "the database is busy; retry in a moment",
}
READ = (400, 401, 403)
WRITE = (400, 401, 403, 409, 413, 503)
BODY = (422,)

COMPONENTS = (
    "ComplaintCreate",
    "ComplaintCreated",
    "ComplaintDetail",
    "TaskRow",
    "TaskList",
    "TaskDetail",
    "AssignBody",
    "CompleteBody",
    "HoldBody",
    "DeployedVersion",
    "DefinitionList",
    "DeployResult",
    "StartBody",
    "RequestCreated",
    "RequestDetail",
    "Error",
)


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    errors = {str(c): {"description": ERRORS[c], **_json("Error")} for c in sorted(set(codes))}
    return {**ok, **errors}


def _id(name: str) -> list[dict[str, Any]]:
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return [{"name": name, "in": "path", "required": True, "schema": schema}]


def _body(schema: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, **_json(schema)}


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="Lintel API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Requests of every process, complaints, tasks and process definitions of the "
            "customer-relations centre."
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in COMPONENTS:
        spec.components.schema(name, schema=getattr(schemas, name))
    spec.path(
        "/complaints",
        operations={
            "post": {
                "summary": "Register a complaint and start its workflow",
                "requestBody": _body("ComplaintCreate"),
                "responses": _responses(
                    {"201": {"description": "created", **_json("ComplaintCreated")}}, *WRITE, *BODY
                ),
            }
        },
    )
    spec.path(
        "/complaints/{complaint_id}",
        operations={
            "get": {
                "summary": "A complaint with its current tasks and timeline",
                "parameters": _id("complaint_id"),
                "responses": _responses(
                    {"200": {"description": "the complaint", **_json("ComplaintDetail")}}, *READ, 404
                ),
            }
        },
    )
    spec.path(
        "/tasks",
        operations={
            "get": {
                "summary": "Inbox rows visible to the caller, most urgent first, a page at a time",
                "parameters": [{"in": "query", "schema": schemas.TaskQuery}],
                "responses": _responses(
                    {"200": {"description": "a page of tasks", **_json("TaskList")}}, *READ, 422
                ),
            }
        },
    )
    spec.path(
        "/tasks/{task_id}",
        operations={
            "get": {
                "summary": "A task with its form as JSON Schema",
                "parameters": _id("task_id"),
                "responses": _responses(
                    {"200": {"description": "the task", **_json("TaskDetail")}}, *READ, 404
                ),
            }
        },
    )
    for action, body, required, summary in (
        ("claim", None, False, "Take the task"),
        ("unclaim", None, False, "Give the task back to the department queue"),
        ("assign", "AssignBody", True, "Give the task to a member of its department"),
        (
            "reassign",
            "AssignBody",
            True,
            "Reassign (改派) the task, whoever holds it: supervisors and managers",
        ),
        (
            "complete",
            "CompleteBody",
            False,
            "Complete the task with its form data (a step without a form: no body, or a comment)",
        ),
        ("wait-for-owner", "HoldBody", False, "Wait for the owner: the deadline clock stands still"),
        ("owner-answered", "HoldBody", False, "The owner answered: the deadline clock runs again"),
    ):
        codes: tuple[int, ...] = (*WRITE, 404, *(BODY if body else ()))
        operation: dict[str, Any] = {
            "summary": summary,
            "parameters": _id("task_id"),
            "responses": _responses({"200": {"description": "the task", **_json("TaskRow")}}, *codes),
        }
        if body:
            operation["requestBody"] = _body(body, required=required)
        spec.path(f"/tasks/{{task_id}}/{action}", operations={"post": operation})
    spec.path(
        "/process-definitions",
        operations={
            "get": {
                "summary": "Deployed versions",
                "responses": _responses(
                    {"200": {"description": "every deployed version", **_json("DefinitionList")}}, *READ
                ),
            },
            "post": {
                "summary": "Deploy a BPMN file with its companions (multipart fields 'file', "
                "'default_department', 'lane'; or one file as the raw body with ?filename=)",
                "parameters": [
                    {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "filename", "in": "query", "schema": {"type": "string", "maxLength": 255}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {
                                        "description": "the main BPMN diagram and its companions (BPMN files "
                                        "its call activities call, .dmn tables, .form and .json forms), one "
                                        "field per file",
                                        "type": "array",
                                        "minItems": 1,
                                        "items": {"type": "string", "format": "binary"},
                                    },
                                    "default_department": {"type": "string", "maxLength": 64},
                                    "lane": {
                                        "description": "lane to department, Name=code (repeatable)",
                                        "type": "array",
                                        "items": {"type": "string", "maxLength": 300},
                                    },
                                },
                                "required": ["file"],
                            }
                        },
                        "application/xml": {"schema": {"type": "string"}},
                    },
                },
                "responses": _responses(
                    {
                        "201": {"description": "new version", **_json("DeployResult")},
                        "200": {"description": "unchanged, or a dry run", **_json("DeployResult")},
                    },
                    *WRITE,
                    *BODY,
                ),
            },
        },
    )
    spec.path(
        "/process-definitions/{key}/instances",
        operations={
            "post": {
                "summary": "Start the latest version of a process as a new request",
                "parameters": [
                    {
                        "name": "key",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 200},
                    }
                ],
                "requestBody": _body("StartBody"),
                "responses": _responses(
                    {"201": {"description": "started", **_json("RequestCreated")}}, *WRITE, 404, *BODY
                ),
            }
        },
    )
    spec.path(
        "/requests/{instance_id}",
        operations={
            "get": {
                "summary": "A request of any process: status, current tasks, timeline and data",
                "parameters": _id("instance_id"),
                "responses": _responses(
                    {"200": {"description": "the request", **_json("RequestDetail")}}, *READ, 404
                ),
            }
        },
    )
    _incidents(spec)
    _owners(spec)
    _messages(spec)
    from webapp.api.openapi_defects import defect_paths  # its helpers come from here

    defect_paths(spec)
    rectification.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    bulletins.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    bulletin_progress.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    bulletin_owners.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    visit_results.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    campaigns.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    visits.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    definitions.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    kpis.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    migrations.paths(spec, _responses, _body, _json, _id, READ, WRITE)
    document: dict[str, Any] = spec.to_dict()
    # The intake form is the one list of channels and categories; the document repeats it, not the code.
    intake = current_app.extensions["lintel.foundation"].forms.get(INTAKE_FORM)
    complaint = document["components"]["schemas"]["ComplaintCreate"]["properties"]
    complaint["channel"]["enum"] = [c.value for c in intake.field("channel").choices]
    complaint["category"]["enum"] = [c.value for c in intake.field("category").choices] + [None]
    document["servers"] = [{"url": "/api/v1"}]
    document["security"] = [{"bearer": []}]
    return document


def _owners(spec: APISpec) -> None:
    for name in ("OwnedUnit", "OwnerContract", "OwnerFound", "CallerFound", "OwnerList"):
        spec.components.schema(name, schema=getattr(schemas, name))
    spec.path(
        "/owners",
        operations={
            "get": {
                "summary": "Owners (and callers who are not owners) found as a coordinator hears them, the "
                "most exact match first, with their current units and contracts",
                "parameters": [{"in": "query", "schema": schemas.OwnerQuery}],
                "responses": _responses(
                    {"200": {"description": "who was found", **_json("OwnerList")}}, *READ, 422
                ),
            }
        },
    )


def _messages(spec: APISpec) -> None:
    from webapp.api import messages

    for name in ("MessageRow", "MessageList", "ReadBody", "ReadResult"):
        spec.components.schema(name, schema=getattr(messages, name))
    spec.path(
        "/messages",
        operations={
            "get": {
                "summary": "The caller's in-app messages (the bell, 我的消息), newest first, a page at a "
                "time, with the unread count",
                "parameters": [{"in": "query", "schema": messages.MessageQuery}],
                "responses": _responses(
                    {"200": {"description": "a page of messages", **_json("MessageList")}}, *READ, 422
                ),
            }
        },
    )
    spec.path(
        "/messages/read",
        operations={
            "post": {
                "summary": "Mark one of the caller's messages read (`id`), or all of them (`all: true`)",
                "requestBody": _body("ReadBody"),
                "responses": _responses(
                    {"200": {"description": "how many were unread", **_json("ReadResult")}},
                    *WRITE,
                    404,
                    *BODY,
                ),
            }
        },
    )


def _incidents(spec: APISpec) -> None:
    for name in ("IncidentRow", "IncidentList", "RetryBody", "CancelBody", "InstanceOutcome"):
        spec.components.schema(name, schema=getattr(schemas, name))
    spec.path(
        "/incidents",
        operations={
            "get": {
                "summary": "Failed instances, latest failure first (administrators, process owners)",
                "parameters": [
                    {"name": "process", "in": "query", "schema": {"type": "string", "maxLength": 200}}
                ],
                "responses": _responses(
                    {"200": {"description": "the incidents", **_json("IncidentList")}}, *READ, 422
                ),
            }
        },
    )
    outcome = {"200": {"description": "the instance afterwards", **_json("InstanceOutcome")}}
    spec.path(
        "/incidents/{instance_id}/retry",
        operations={
            "post": {
                "summary": "Run a failed instance again from the task that failed, optionally with a data "
                "patch and moved to another version of its process; failing again answers status error",
                "parameters": _id("instance_id"),
                "requestBody": _body("RetryBody", required=False),
                "responses": _responses(outcome, *WRITE, 404, *BODY),
            }
        },
    )
    spec.path(
        "/incidents/{instance_id}/cancel",
        operations={
            "post": {
                "summary": "Cancel a failed instance, with a reason",
                "parameters": _id("instance_id"),
                "requestBody": _body("CancelBody"),
                "responses": _responses(outcome, *WRITE, 404, *BODY),
            }
        },
    )


@api.get("/openapi.json")
@public
def openapi() -> Any:
    return build_spec()
