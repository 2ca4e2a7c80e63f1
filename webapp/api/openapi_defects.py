"""The defects part of the OpenAPI document (webapp.api.openapi builds the whole)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from webapp.api import defect_schemas
from webapp.api.openapi import BODY, READ, WRITE, _body, _id, _json, _responses

SCHEMAS = (  # nested ones first: apispec names them as it meets them
    "Photo",
    "PhotoResult",
    "PhotosAdded",
    "DefectCreate",
    "DefectRow",
    "DefectCreated",
    "DefectDetail",
    "DefectList",
    "BulkBody",
    "BulkResult",
    "BulkResults",
)


def defect_paths(spec: APISpec) -> None:
    for name in SCHEMAS:
        spec.components.schema(name, schema=getattr(defect_schemas, name))
    created = {
        "201": {"description": "recorded, its rectification started", **_json("DefectCreated")},
        "200": {
            "description": "its client_id was already on file: that defect, unchanged",
            **_json("DefectCreated"),
        },
    }
    spec.path(
        "/defects",
        operations={
            "post": {
                "summary": "Register a defect and start its rectification (ZG number); a defect sent again "
                "with the same client_id is answered with the one on file (200), never recorded twice",
                "requestBody": _body("DefectCreate"),
                "responses": _responses(created, *WRITE, *BODY),
            },
            "get": {
                "summary": "Defects, newest first, a page at a time (a contractor's people have their own "
                "list, /contractor/defects)",
                "parameters": [{"in": "query", "schema": defect_schemas.DefectQuery}],
                "responses": _responses(
                    {"200": {"description": "a page of defects", **_json("DefectList")}}, *READ, 422
                ),
            },
        },
    )
    spec.path(
        "/defects/bulk",
        operations={
            "post": {
                "summary": "Register many defects (an offline device's queue): each item is answered on its "
                "own — created, known (its client_id was on file) or invalid with its fields — and a bad "
                "item does not stop the good ones",
                "requestBody": _body("BulkBody"),
                "responses": _responses(
                    {"200": {"description": "one result per item, in order", **_json("BulkResults")}},
                    *WRITE,
                    *BODY,
                ),
            }
        },
    )
    photos_body: dict[str, Any] = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "photos": {
                            "description": "jpg, png or webp photos, one field per file",
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "format": "binary"},
                        },
                        "photo_id": {
                            "description": "the device's id of each photo, in the same order (1 to 64 "
                            "letters, digits, - or _): a photo sent again with its id is stored once",
                            "anyOf": [
                                {"type": "string", "maxLength": 64},
                                {"type": "array", "items": {"type": "string", "maxLength": 64}},
                            ],
                        },
                    },
                    "required": ["photos"],
                }
            }
        },
    }
    spec.path(
        "/defects/{defect_id}/photos",
        operations={
            "post": {
                "summary": "Attach photos to a defect (kept on its rectification request, field 'photos')",
                "parameters": _id("defect_id"),
                "requestBody": photos_body,
                "responses": _responses(
                    {
                        "201": {"description": "at least one photo is new", **_json("PhotosAdded")},
                        "200": {"description": "every photo was already stored", **_json("PhotosAdded")},
                    },
                    *WRITE,
                    404,
                    *BODY,
                ),
            }
        },
    )
    spec.path(
        "/defects/{defect_id}",
        operations={
            "get": {
                "summary": "A defect with its status, assignee, deadline, rounds and photos",
                "parameters": _id("defect_id"),
                "responses": _responses(
                    {"200": {"description": "the defect", **_json("DefectDetail")}}, *READ, 404
                ),
            }
        },
    )
