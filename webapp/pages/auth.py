"""Signing in and out, and choosing the language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from webapp import db_session, platform
from webapp.access import public
from webapp.i18n import LANGUAGES
from webapp.pages import password_fingerprint
from webapp.pages.common import back, client_key, current_user, safe_next, throttle

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
        keys = (f"client:{client_key()}", f"user:{username}")
        limiter = throttle()
        limiter.check(SCOPE, *keys)
        user = platform().directory.authenticate(username, password) if username and password else None
        if user is None:
            limiter.fail(SCOPE, *keys)
            db_session().commit()
            error = _("用户名或密码不正确，或账号已停用。")
        else:
            limiter.clear(SCOPE, f"user:{username}")
            db_session().commit()
            language = session.get("lang")
            session.clear()
            session.permanent = True
            session["user_id"] = user.id
            session["pw"] = password_fingerprint(user)
            if language:
                session["lang"] = language
            return redirect(target)
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username, next=target), status


@bp.post("/logout")
@public
def logout() -> Any:
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
