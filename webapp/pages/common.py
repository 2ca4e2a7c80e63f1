"""What every page blueprint shares: who is signed in, access checks, flashing, services built from the
app's settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request
from werkzeug.wrappers import Response

from crm.attachments import Attachments
from crm.credentials import Credentials
from crm.directory import actor_for
from crm.models import User
from crm.portal import Portal
from crm.throttle import Throttle
from engine.actors import Actor
from webapp import db_session, platform


def current_user() -> User | None:
    return g.get("user")


def actor() -> Actor:
    if "actor" not in g:
        user = current_user()
        if user is None:
            abort(401)
        g.actor = actor_for(user)
    found: Actor = g.actor
    return found


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: a sign-in link must not bounce anyone to another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def back(default: str) -> Response:
    return redirect(safe_next(request.form.get("next") or request.args.get("next"), default))


def ok(message: str) -> None:
    flash(message, "ok")


def problem(message: str) -> None:
    flash(message, "error")


def commit() -> None:
    db_session().commit()


def attachments() -> Attachments:
    if "attachments" not in g:
        config = current_app.config
        g.attachments = Attachments(
            db_session(),
            platform().clock,
            Path(config["LINTEL_INSTANCE_PATH"]) / "uploads",
            int(config["LINTEL_UPLOAD_MAX_BYTES"]),
            request_max_bytes=int(config["LINTEL_UPLOAD_REQUEST_MAX_BYTES"]),
            unpacked_max_bytes=int(config["LINTEL_UPLOAD_UNPACKED_MAX_BYTES"]),
        )
    found: Attachments = g.attachments
    return found


def throttle() -> Throttle:
    config = current_app.config
    return Throttle(
        db_session(),
        platform().clock,
        free=int(config["LINTEL_THROTTLE_ATTEMPTS"]),
        client_free=int(config["LINTEL_THROTTLE_CLIENT_ATTEMPTS"]),
        window=timedelta(seconds=int(config["LINTEL_THROTTLE_WINDOW"])),
    )


def credentials() -> Credentials:
    """Sessions and API tokens, with the token lifetime from the settings."""
    days = int(current_app.config["LINTEL_TOKEN_DAYS"])
    return Credentials(db_session(), platform().clock, token_lifetime=timedelta(days=days))


def portal() -> Portal:
    return Portal(db_session(), platform().clock, throttle(), platform().foundation.events)


def client_key() -> str:
    """The client's address: the peer's, or with LINTEL_TRUSTED_PROXIES the one the proxies saw."""
    return request.remote_addr or "unknown"


def form_int(name: str) -> int:
    value = request.form.get(name, "")
    if not value.strip().isdigit():
        abort(400, description=f"the form field '{name}' must be a whole number")
    return int(value)
