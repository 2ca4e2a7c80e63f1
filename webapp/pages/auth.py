"""Signing in and out, and choosing the language."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from crm.policy import Permission
from crm.throttle import Throttled
from webapp import db_session, platform
from webapp.access import policy, public
from webapp.i18n import LANGUAGES
from webapp.pages import throttled_message
from webapp.pages.common import back, client_key, credentials, current_user, safe_next, throttle

bp = Blueprint("auth", __name__)
SCOPE = "login"
# A browser that signed in to an account keeps a signed note of it, so that failures of others at the same
# address (an office behind one NAT, a guesser) never slow that account's owner down on it.
DEVICE_COOKIE = "lintel_device"
DEVICE_LIFETIME = timedelta(days=180)
MAX_DEVICE_ACCOUNTS = 10


def _landing(user: Any, target: str) -> str:
    """Where a sign-in lands: a contractor's people (no inbox of the centre) on their company's work."""
    if target == url_for("home.index") and not policy().may(user, Permission.USE_INBOX):
        if policy().may(user, Permission.CONTRACTOR_WORK):
            return url_for("contractor.index")
        return url_for("account.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    target = safe_next(request.values.get("next"), url_for("home.index"))
    if current_user() is not None and request.method == "GET":
        return redirect(_landing(current_user(), target))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip().lower()[:100]
        password = request.form.get("password", "")
        subject, client = f"user:{username}", client_key()
        device = _known_device()
        trusted = device["id"] if device and _account_tag(username) in device["accounts"] else None
        limiter = throttle()
        try:
            limiter.check(SCOPE, subject, client, trusted)
        except Throttled as exc:
            page = render_template(
                "auth/login.html", error=throttled_message(exc), username=username, next=target
            )
            return page, 429, {"Retry-After": str(exc.retry_after)}
        user = platform().directory.authenticate(username, password) if username and password else None
        if user is None:
            limiter.fail(SCOPE, subject, client, trusted)
            db_session().commit()
            error = _("用户名或密码不正确，或账号已停用。")
        else:
            limiter.succeed(SCOPE, subject, client, trusted)
            sessions = credentials()
            sessions.close_session(session.get("sid"))
            key = sessions.open_session(user)
            db_session().commit()
            language = session.get("lang")
            session.clear()
            session.permanent = True
            session["sid"] = key
            if language:
                session["lang"] = language
            response = redirect(_landing(user, target))
            _remember_device(response, device, username)
            return response
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username, next=target), status


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="lintel.device")


def _account_tag(username: str) -> str:
    return hashlib.sha256(username.encode()).hexdigest()[:16]


def _known_device() -> dict[str, Any] | None:
    """This browser's signed record of the accounts that signed in from it (as tags, not names)."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    try:
        found = _device_serializer().loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadData:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        return None
    accounts = found.get("accounts")
    return {"id": found["id"], "accounts": accounts if isinstance(accounts, list) else []}


def _remember_device(response: Response, device: dict[str, Any] | None, username: str) -> None:
    tag = _account_tag(username)
    device = device or {"id": secrets.token_urlsafe(16), "accounts": []}
    accounts = [tag] + [a for a in device["accounts"] if a != tag][: MAX_DEVICE_ACCOUNTS - 1]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps({"id": device["id"], "accounts": accounts}),
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )


@bp.post("/logout")
@public
def logout() -> Any:
    """Ends the session on the server too: a copy of the cookie kept elsewhere no longer signs anyone in."""
    credentials().close_session(session.get("sid"))
    db_session().commit()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("auth.login"))


@bp.post("/lang")
@public
def choose_language() -> Any:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return back(url_for("home.index"))
