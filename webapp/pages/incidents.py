"""Administrators and process owners: failed instances (incidents), retried — on their version, with a data
patch, or on a newer version of their process — or cancelled with a reason."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.incidents import IncidentDesk
from crm.policy import Permission
from engine.errors import EngineError
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import translate
from webapp.pages.common import actor, commit, ok, problem

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


@bp.get("")
@allow(Permission.HANDLE_INCIDENTS)
def index() -> Any:
    p = platform()
    return render_template("incidents.html", incidents=IncidentDesk(p.session, p.incidents).list())


def _back() -> Any:
    return redirect(url_for("incidents.index"))


def _refused(exc: EngineError) -> Any:
    db_session().rollback()
    fields = getattr(exc, "fields", None) or {}
    details = "；".join(translate(message) for message in fields.values())
    problem(translate(str(exc)) + (f"（{details}）" if details else ""))
    return _back()


@bp.post("/<int:instance_id>/retry")
@allow(Permission.HANDLE_INCIDENTS)
def retry(instance_id: int) -> Any:
    version = "latest" if request.form.get("version") == "latest" else None
    data = None
    text = (request.form.get("data") or "").strip()
    if text:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            problem(_('要合并的数据必须是一个 JSON 对象，例如 {"department": "engineering"}。'))
            return _back()
    try:
        instance = platform().incidents.retry(instance_id, actor(), version=version, data=data)
    except EngineError as exc:
        return _refused(exc)
    commit()
    if instance.status == "error":
        problem(_("已重试，但流程再次出错：%(error)s", error=translate(instance.error or "")))
    elif instance.status == "completed":
        ok(_("已重试，流程已运行到结束。"))
    else:
        ok(_("已重试，流程继续运行（第 %(version)d 版）。", version=instance.definition.version))
    return _back()


@bp.post("/<int:instance_id>/cancel")
@allow(Permission.HANDLE_INCIDENTS)
def cancel(instance_id: int) -> Any:
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        problem(_("请填写取消原因。"))
        return _back()
    try:
        platform().incidents.cancel(instance_id, actor(), reason)
    except EngineError as exc:
        return _refused(exc)
    commit()
    ok(_("已取消请求 %(id)d。", id=instance_id))
    return _back()
