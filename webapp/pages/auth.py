"""Signing in and out, and choosing the language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from crm.throttle import Throttled
from webapp import db_session, platform
from webapp.access import public
from webapp.i18n import LANGUAGES
from webapp.pages import throttled_message
from webapp.pages.common import access, back, client_key, current_user, safe_next, throttle

bp = Blueprint("auth", __name__)
SCOPE = "login"


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    target = safe_next(request.values.get("next"), url_for("home.index"))
    if current_user() is not None and request.method == "GET":
        return redirect(target)
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip().lower()[:100]
        password = request.form.get("password", "")
        subject, client = f"user:{username}", client_key()
        limiter = throttle()
        try:
            limiter.check(SCOPE, subject, client)
        except Throttled as exc:
            page = render_template(
                "auth/login.html", error=throttled_message(exc), username=username, next=target
            )
            return page, 429, {"Retry-After": str(exc.retry_after)}
        user = platform().directory.authenticate(username, password) if username and password else None
        if user is None:
            limiter.fail(SCOPE, subject, client)
            db_session().commit()
            error = _("用户名或密码不正确，或账号已停用。")
        else:
            limiter.succeed(SCOPE, subject, client)
            sessions = access()
            sessions.close_session(session.get("sid"))
            key = sessions.open_session(user)
            db_session().commit()
            language = session.get("lang")
            session.clear()
            session.permanent = True
            session["sid"] = key
            if language:
                session["lang"] = language
            return redirect(target)
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username, next=target), status


@bp.post("/logout")
@public
def logout() -> Any:
    """Ends the session on the server too: a copy of the cookie kept elsewhere no longer signs anyone in."""
    access().close_session(session.get("sid"))
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
