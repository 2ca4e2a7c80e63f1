"""Moving a process's running requests to another of its versions over the API (engine.migration).

The API moves them synchronously, one instance per savepoint, and answers when all are done; the process
page (流程 → 迁移运行中的工单) queues the same move for the background workers and shows its progress.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g
from marshmallow import EXCLUDE, Schema, fields, validate

from crm.policy import Permission
from engine.migration import Migrations
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body

MAX_VERSION = 2**31 - 1
MAX_MAPPING = 200


class MigrationBody(Schema):
    class Meta:
        unknown = EXCLUDE

    from_version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(1, MAX_VERSION),
        metadata={"description": "the version the requests run on now"},
    )
    to_version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(1, MAX_VERSION),
        metadata={"description": "the version to move them to"},
    )
    dry_run = fields.Boolean(
        load_default=True,
        metadata={"description": "true (the default): only say which can move; false: move them"},
    )
    mapping = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 200)),
        values=fields.String(validate=validate.Length(1, 200)),
        load_default=dict,
        validate=validate.Length(max=MAX_MAPPING),
        metadata={
            "description": "element ids of the old version mapped by hand to element ids of the new one, "
            "for steps the new version no longer has"
        },
    )


class BlockedRequest(Schema):
    instance_id = fields.Integer(required=True)
    reason = fields.String(required=True, metadata={"description": "why it cannot move, in Chinese"})


class MigrationPreview(Schema):
    movable = fields.List(fields.Integer(), required=True, metadata={"description": "instance ids"})
    blocked = fields.List(fields.Nested(BlockedRequest), required=True)


class MigrationDone(Schema):
    moved = fields.List(fields.Integer(), required=True, metadata={"description": "instance ids"})
    blocked = fields.List(fields.Nested(BlockedRequest), required=True)


SCHEMAS = (MigrationBody, BlockedRequest, MigrationPreview, MigrationDone)


@api.post("/process-definitions/<key>/migrations")
@allow(Permission.DEPLOY_DEFINITION)
def migrate_instances(key: str) -> Any:
    """Preview (dry_run, the default) or move the running requests of `from_version` to `to_version`."""
    body = MigrationBody().load(json_body())
    p = platform()
    migrations = Migrations(p.session, p.runtime)
    plan = migrations.plan(key, body["from_version"], body["to_version"], body["mapping"])
    if body["dry_run"]:
        preview = migrations.preview(plan)
        return MigrationPreview().dump(
            {"movable": preview.movable, "blocked": [b.as_dict() for b in preview.blocked]}
        )
    outcome = migrations.run(plan, g.actor)
    db_session().commit()
    return MigrationDone().dump({"moved": outcome.moved, "blocked": [b.as_dict() for b in outcome.blocked]})


def paths(
    spec: APISpec,
    responses: Any,
    body: Any,
    json: Any,
    ident: Any,
    read: tuple[int, ...],
    write: tuple[int, ...],
) -> None:
    """This module's operation in the OpenAPI document (webapp.api.openapi)."""
    for schema in SCHEMAS:
        spec.components.schema(schema.__name__, schema=schema)
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}
    spec.path(
        "/process-definitions/{key}/migrations",
        operations={
            "post": {
                "summary": "Move the running requests of one version of a process to another. With "
                "dry_run (the default) only say which can move and why the others cannot; with "
                "dry_run false move them now, synchronously, each in its own transaction (the process "
                "page runs large moves in the background with progress)",
                "parameters": [key],
                "requestBody": body("MigrationBody"),
                "responses": responses(
                    {
                        "200": {
                            "description": "a preview (MigrationPreview) or what was moved (MigrationDone)",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/MigrationPreview"},
                                            {"$ref": "#/components/schemas/MigrationDone"},
                                        ]
                                    }
                                }
                            },
                        }
                    },
                    *write,
                    404,
                    422,
                ),
            }
        },
    )
