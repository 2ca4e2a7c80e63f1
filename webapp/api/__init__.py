"""REST API under /api/v1: bearer tokens, JSON errors of one shape, marshmallow schemas."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, HTTPException

from crm.directory import actor_for
from engine.errors import Conflict, DeployRefused, EngineError, Forbidden, InvalidData, NotFound
from webapp import begin_reading, db_session, platform

api = Blueprint("api", __name__, url_prefix="/api/v1")

_STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidData: 422, DeployRefused: 422}


def error(status: int, code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> Any:
    body = {"error": code, "message": message, "fields": fields or {}, **extra}
    return jsonify(body), status


@api.errorhandler(EngineError)
def _engine_error(exc: EngineError) -> Any:
    status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)
    extra: dict[str, Any] = {}
    if isinstance(exc, DeployRefused):
        extra["problems"] = [p.as_dict() for p in exc.problems]
    fields = exc.fields if isinstance(exc, InvalidData) else {}
    if exc.keep_changes:
        db_session().commit()
    return error(status, exc.code, str(exc), fields, **extra)


@api.errorhandler(ValidationError)
def _schema_error(exc: ValidationError) -> Any:
    problems = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
    fields = {k: "; ".join(v) if isinstance(v, list) else str(v) for k, v in problems.items()}
    return error(422, "invalid_request", "the request has invalid fields", fields)


@api.errorhandler(StaleDataError)
def _stale(_exc: StaleDataError) -> Any:
    return error(
        409, "conflict", "the request was changed by someone else at the same time; reload and retry"
    )


@api.errorhandler(OperationalError)
def _database_busy(exc: OperationalError) -> Any:
    # SQLite only: a writer waited its whole busy timeout for another. Anything else is a real fault.
    if "database is locked" not in str(exc.orig):
        raise exc
    return error(503, "busy", "the database is busy; retry in a moment")


@api.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Any:
    """Any HTTP error under /api/v1 (routing ones too) in the JSON shape, keeping `Allow` on a 405."""
    code = (exc.name or "error").lower().replace(" ", "_")
    body, status = error(exc.code or 500, code, exc.description or exc.name)
    allowed = getattr(exc, "valid_methods", None)
    if allowed:
        body.headers["Allow"] = ", ".join(allowed)
    return body, status


@api.before_request
def _authenticate() -> Any:
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error(
            401, "unauthorized", "send 'Authorization: Bearer <token>' (get one with `lintel token USER`)"
        )
    user = platform().directory.user_for_token(token.strip())
    if user is None:
        return error(
            401, "unauthorized", "the token is unknown, expired or revoked, or its user is deactivated"
        )
    _note_token_use()
    g.user = user
    g.actor = actor_for(user)
    return None


def _note_token_use() -> None:
    """Commit the token's last use (shown on its owner's page) when it changed. It is a hint: on SQLite a
    read runs alongside a writer and cannot write itself, and it carries on without the note."""
    unit_of_work = db_session()
    if not unit_of_work.dirty:
        return
    try:
        unit_of_work.commit()
    except OperationalError as exc:
        if "database is locked" not in str(exc.orig):
            raise
        unit_of_work.rollback()
    begin_reading(unit_of_work)


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object (parsed within the limits of webapp.request_limits); an empty object when
    `optional` and no body was sent."""
    if optional and not request.content_length and not request.data:
        return {}
    if not request.is_json:
        raise BadRequest("send a JSON object with Content-Type: application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body is not a JSON object")
    return body


from webapp.api import (  # noqa: E402,F401
    bulletin_owners,
    bulletin_progress,
    bulletins,
    campaigns,
    complaints,
    defects,
    definitions,
    incidents,
    kpis,
    messages,
    migrations,
    openapi,
    owners,
    rectification,
    requests,
    tasks,
    visit_results,
    visits,
)
