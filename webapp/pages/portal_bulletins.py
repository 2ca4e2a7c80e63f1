"""The owner portal's 楼盘通报 (/portal/bulletins): the notices of the person holding the phone this browser
verified — each month's progress of their project, with engineering's photos, and the design changes sent
to them, which they acknowledge (我已知悉). The link in the owner's SMS opens one notice: a browser that has
not verified a phone yet is asked for the owner's phone there (checked against the notice's owners,
throttled like the portal's look-ups). A notice the person may not read is not found (404), exactly like a
missing one; so is a photo of it."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from crm.bulletins.portal import AlreadyAcknowledged, OwnerBulletins, OwnerNotice
from crm.throttle import Throttled
from engine.errors import Conflict, NotFound
from webapp import platform
from webapp.access import public
from webapp.i18n import local_time
from webapp.pages import throttled_message
from webapp.pages.bulletin_labels import KIND
from webapp.pages.common import attachments, client_key, commit, ok, problem, throttle
from webapp.pages.portal import bp, remember_phone, verified_phone


def owner_bulletins() -> OwnerBulletins:
    p = platform()
    return OwnerBulletins(p.session, p.clock)


def _notice(owner_ids: list[int], bulletin_id: int) -> OwnerNotice:
    try:
        return owner_bulletins().get(owner_ids, bulletin_id)
    except NotFound:
        abort(404)


def _ask_phone(bulletin_id: int, error: str | None = None, status: int = 200) -> Any:
    return render_template("portal/bulletin_phone.html", bulletin_id=bulletin_id, error=error), status


@bp.get("/bulletins")
@public
def bulletins() -> Any:
    phone = verified_phone()
    if not phone:
        problem(_("请先输入诉求编号和手机号查询一次，或打开通报短信中的链接验证手机号，即可查看楼盘通报。"))
        return redirect(url_for("portal.lookup"))
    service = owner_bulletins()
    owner_ids = service.owner_ids(phone)
    return render_template(
        "portal/bulletins.html",
        notices=service.archive(owner_ids),
        is_owner=bool(owner_ids),
        kind_label=KIND,
    )


@bp.get("/bulletins/<int:bulletin_id>")
@public
def bulletin(bulletin_id: int) -> Any:
    phone = verified_phone()
    if not phone:
        return _ask_phone(bulletin_id)
    service = owner_bulletins()
    owner_ids = service.owner_ids(phone)
    notice = _notice(owner_ids, bulletin_id)
    service.opened(owner_ids, notice)
    commit()
    return render_template(
        "portal/bulletin.html",
        notice=notice,
        b=notice.bulletin,
        reports=service.reports(notice.bulletin),
        kind_label=KIND,
    )


@bp.post("/bulletins/<int:bulletin_id>/verify")
@public
def verify_for_bulletin(bulletin_id: int) -> Any:
    try:
        phone = owner_bulletins().verify(throttle(), bulletin_id, request.form.get("phone"), client_key())
    except Throttled as exc:
        page, _status = _ask_phone(bulletin_id, throttled_message(exc))
        return page, 429, {"Retry-After": str(exc.retry_after)}
    commit()  # a miss counts even though nothing else changes
    if phone is None:
        return _ask_phone(bulletin_id, _("手机号与此通报的业主登记信息不符，请核对后再试。"), 401)
    remember_phone(phone)
    return redirect(url_for("portal.bulletin", bulletin_id=bulletin_id))


@bp.post("/bulletins/<int:bulletin_id>/acknowledge")
@public
def acknowledge(bulletin_id: int) -> Any:
    phone = verified_phone()
    if not phone:
        return redirect(url_for("portal.bulletin", bulletin_id=bulletin_id))
    service = owner_bulletins()
    owner_ids = service.owner_ids(phone)
    notice = _notice(owner_ids, bulletin_id)
    try:
        service.acknowledge(owner_ids, notice)
    except AlreadyAcknowledged as already:
        problem(_("您已于 %(t)s 确认知悉，无需再次确认。", t=local_time(already.at)))
        return redirect(url_for("portal.bulletin", bulletin_id=bulletin_id))
    except Conflict:
        problem(_("这份通报无需确认。"))
        return redirect(url_for("portal.bulletin", bulletin_id=bulletin_id))
    commit()
    ok(_("已确认知悉，谢谢您。"))
    return redirect(url_for("portal.bulletin", bulletin_id=bulletin_id))


@bp.get("/bulletins/<int:bulletin_id>/photos/<token>")
@public
def bulletin_photo(bulletin_id: int, token: str) -> Any:
    phone = verified_phone()
    if not phone:
        abort(404)
    service = owner_bulletins()
    notice = _notice(service.owner_ids(phone), bulletin_id)
    try:
        found = service.photo(notice, token)
    except NotFound:
        abort(404)
    store = attachments()
    response = send_file(store.path(found), mimetype=found.content_type, max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
