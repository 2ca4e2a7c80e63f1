"""The OpenAPI document, generated from the marshmallow schemas the endpoints use."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from webapp.access import public
from webapp.api import api, schemas


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "error", **_json("Error")} for c in codes}


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="Lintel API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Complaints, tasks and process definitions of the customer-relations centre."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in (
        "ComplaintCreate",
        "ComplaintCreated",
        "ComplaintDetail",
        "TaskRow",
        "TaskDetail",
        "AssignBody",
        "CompleteBody",
        "HoldBody",
        "DeployedVersion",
        "DeployResult",
        "Error",
    ):
        spec.components.schema(name, schema=getattr(schemas, name))
    task_id = [{"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    spec.path(
        "/complaints",
        operations={
            "post": {
                "summary": "Register a complaint and start its workflow",
                "requestBody": _json("ComplaintCreate"),
                "responses": {
                    "201": {"description": "created", **_json("ComplaintCreated")},
                    **_errors(400, 401, 403, 422),
                },
            }
        },
    )
    spec.path(
        "/complaints/{complaint_id}",
        operations={
            "get": {
                "summary": "A complaint with its current tasks and timeline",
                "parameters": [
                    {"name": "complaint_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {"description": "the complaint", **_json("ComplaintDetail")},
                    **_errors(401, 404),
                },
            }
        },
    )
    spec.path(
        "/tasks",
        operations={
            "get": {
                "summary": "Inbox rows visible to the caller",
                "parameters": [
                    {"name": n, "in": "query", "schema": {"type": t}}
                    for n, t in (
                        ("department", "string"),
                        ("assignee", "string"),
                        ("state", "string"),
                        ("process", "string"),
                        ("instance_id", "integer"),
                        ("limit", "integer"),
                        ("after", "integer"),
                    )
                ],
                "responses": {
                    "200": {
                        "description": "tasks",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "tasks": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/TaskRow"},
                                        },
                                        "next_after": {"type": "integer", "nullable": True},
                                    },
                                }
                            }
                        },
                    },
                    **_errors(401, 403, 422),
                },
            }
        },
    )
    spec.path(
        "/tasks/{task_id}",
        operations={
            "get": {
                "summary": "A task with its form as JSON Schema",
                "parameters": task_id,
                "responses": {
                    "200": {"description": "the task", **_json("TaskDetail")},
                    **_errors(401, 403, 404),
                },
            }
        },
    )
    for action, body, summary in (
        ("claim", None, "Take the task"),
        ("unclaim", None, "Give the task back to the department queue"),
        ("assign", "AssignBody", "Give the task to a member of its department"),
        ("reassign", "AssignBody", "Reassign (改派) the task whoever holds it: supervisors and managers"),
        ("complete", "CompleteBody", "Complete the task with its form data"),
        ("wait-for-owner", "HoldBody", "Wait for the owner: the deadline clock stands still"),
        ("owner-answered", "HoldBody", "The owner answered: the deadline clock runs again"),
    ):
        operation: dict[str, Any] = {
            "summary": summary,
            "parameters": task_id,
            "responses": {
                "200": {"description": "the task", **_json("TaskRow")},
                **_errors(401, 403, 404, 409, 422),
            },
        }
        if body:
            operation["requestBody"] = _json(body)
        spec.path(f"/tasks/{{task_id}}/{action}", operations={"post": operation})
    spec.path(
        "/process-definitions",
        operations={
            "get": {
                "summary": "Deployed versions",
                "responses": {"200": {"description": "versions"}, **_errors(401, 403)},
            },
            "post": {
                "summary": "Deploy a BPMN file (multipart field 'file', or the raw body with ?filename=)",
                "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                            }
                        },
                        "application/xml": {"schema": {"type": "string"}},
                    }
                },
                "responses": {
                    "201": {"description": "new version", **_json("DeployResult")},
                    "200": {"description": "unchanged or dry run", **_json("DeployResult")},
                    **_errors(400, 401, 403, 413, 422),
                },
            },
        },
    )
    document: dict[str, Any] = spec.to_dict()
    document["servers"] = [{"url": "/api/v1"}]
    document["security"] = [{"bearer": []}]
    return document


@api.get("/openapi.json")
@public
def openapi() -> Any:
    return build_spec()
