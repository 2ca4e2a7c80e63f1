"""The pages: one blueprint per area, server-rendered with Jinja2 and a little htmx, CSRF on every form,
Chinese first. `init_pages` wires them into the app."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, make_response, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from crm.credentials import SESSION_LIFETIME
from crm.throttle import Throttled
from engine.errors import Conflict, EngineError, Forbidden, InvalidData, NotFound
from webapp import db_session, i18n, platform
from webapp.access import declare_static_public, may
from webapp.pages.common import credentials, current_user

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
_ENGINE_STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidData: 422}


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the page was served over HTTPS (directly, or behind a
    trusted proxy that says so), so it is never sent back over plain HTTP."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_pages(app: Flask) -> None:
    from webapp.api import api
    from webapp.pages import (
        account,
        admin,
        assets,
        auth,
        bulletin_progress,
        bulletins,
        campaign_results,
        campaigns,
        capture,
        catalogue,
        contractor,
        defect_reports,
        defects,
        handover,
        home,
        imports,
        inbox,
        incidents,
        inspections,
        kpi_dashboards,
        kpi_reports,
        kpis,
        lookup,
        message_templates,
        messages,
        migrations,
        outbox,
        owners,
        portal,
        portal_defects,
        portal_handover,
        present,
        process_heatmap,
        processes,
        questionnaires,
        records,
        register,
        requests,
        satisfaction,
        start,
        studio,
        tasks,
        visits,
    )

    config = app.config
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a page left open all day must still submit
    config["SESSION_COOKIE_SAMESITE"] = config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME  # the server-side row expires with it
    app.session_interface = _SessionInterface()
    # Files are checked one by one against LINTEL_UPLOAD_MAX_BYTES; this only stops absurd bodies early.
    if config.get("MAX_CONTENT_LENGTH") is None:
        largest = max(int(config["LINTEL_UPLOAD_MAX_BYTES"]) * 8, int(config["LINTEL_IMPORT_MAX_BYTES"]))
        config["MAX_CONTENT_LENGTH"] = largest + 1024 * 1024
    csrf = CSRFProtect(app)
    csrf.exempt(api)  # the API authenticates with bearer tokens, not cookies
    i18n.init_app(app)

    pages = (
        auth,
        account,
        home,
        inbox,
        lookup,
        owners,
        tasks,
        requests,
        start,
        register,
        records,
        handover,
        defects,
        contractor,
        portal,
        portal_handover,
        portal_defects,
        processes,
        process_heatmap,
        studio,
        migrations,
        incidents,
        admin,
        message_templates,
        messages,
        imports,
        outbox,
        inspections,
        capture,
        catalogue,
        defect_reports,
        bulletins,
        bulletin_progress,
        campaign_results,
        questionnaires,
        satisfaction,
        kpis,
        kpi_dashboards,
        kpi_reports,
        campaigns,
        visits,
        assets,
    )
    for module in pages:
        app.register_blueprint(module.bp)
    declare_static_public(app)

    app.jinja_env.globals["kind_name"] = present.kind_name
    app.before_request(_load_user)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(Throttled, _throttled)
    app.register_error_handler(StaleDataError, _stale)


def _load_user() -> None:
    """The signed-in user: the cookie's session key must name a live session row of an active user."""
    g.user = None
    key = session.get("sid")
    if key is None or request.path.startswith(("/api/", "/static/", "/vendor/")):
        return
    user = credentials().user_for_session(key)
    if user is None:
        session.pop("sid", None)
        return
    g.user = user


def _security_headers(response: Any) -> Any:
    if not request.path.startswith("/api/"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _template_globals() -> dict[str, Any]:
    return {
        "current_user": current_user(),
        "may": may,
        "now": platform().clock.now(),
    }


def error_page(status: int, message: str, title: str | None = None) -> Response:
    if request.path.startswith("/api/"):
        body = {"error": title or "error", "message": message, "fields": {}}
        return make_response(jsonify(body), status)
    if request.blueprint == "studio" and request.method == "POST":  # the studio's page reads JSON answers
        return make_response(jsonify({"message": message, "problems": []}), status)
    titles = {
        400: _("请求无效"),
        401: _("请先登录"),
        403: _("无权访问"),
        404: _("找不到页面"),
        405: _("不支持的操作"),
        409: _("操作冲突"),
        413: _("上传内容过大"),
        422: _("内容有误"),
        429: _("尝试次数过多"),
    }
    heading = titles.get(status, _("出错了"))
    return make_response(
        render_template("error.html", status=status, heading=heading, message=message), status
    )


def _http_error(exc: HTTPException) -> Any:
    from webapp.api import http_error as api_http_error

    status = exc.code or 500
    if status >= 500:
        db_session().rollback()  # the failed request's transaction must not break the error page too
    if request.path.startswith("/api/"):  # routing errors (404, 405) bypass the API blueprint's handler
        return api_http_error(exc)
    messages = {
        403: _("您没有权限查看此页面。"),
        404: _("您要找的页面不存在，可能已被删除或链接有误。"),
        405: _("此地址不支持这种操作。"),
        413: _("上传的内容太大。单个文件不能超过 %(size)s。", size=_size()),
        500: _("系统出了问题，已记录下来。请稍后再试；如果一直这样，请联系系统管理员。"),
    }
    description = exc.description or ""
    if description == "page_needs_role":
        message = _("此页面只对具有相应角色的用户开放。")
    elif status in messages and (not description or description == type(exc).description):
        message = messages[status]
    else:
        message = i18n.translate(description)
    response = error_page(status, message)
    if getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return response


def _size() -> str:
    from flask import current_app

    from crm.attachments import megabytes

    return megabytes(int(current_app.config["LINTEL_UPLOAD_MAX_BYTES"]))


def _csrf_error(_exc: CSRFError) -> Any:
    return error_page(400, _("表单已过期或来源无效。请返回上一页，刷新后重新提交。"))


def _engine_error(exc: EngineError) -> Any:
    status = next((s for cls, s in _ENGINE_STATUS.items() if isinstance(exc, cls)), 400)
    return error_page(status, i18n.translate(str(exc)), exc.code)


def throttled_message(exc: Throttled) -> str:
    if exc.retry_after < 60:
        return _("尝试次数过多，请 %(seconds)d 秒后再试。", seconds=exc.retry_after)
    minutes = (exc.retry_after + 59) // 60
    return _("尝试次数过多，请 %(minutes)d 分钟后再试。", minutes=minutes)


def _throttled(exc: Throttled) -> Any:
    response = error_page(429, throttled_message(exc))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _stale(_exc: StaleDataError) -> Any:
    return error_page(409, _("此记录刚被他人修改，请刷新后重试。"), "conflict")
