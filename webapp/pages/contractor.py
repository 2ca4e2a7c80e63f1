"""The contractor's view, made for a phone on site: the company's open defects, the earliest deadline first
(the overdue in red), each with its unit, room, what is wrong, the photos and the spot on the floor plan,
the rounds it went back and the inspector's last note; closed with photos from the phone's camera and a
note. Only the company's own defects exist here: another company's is not found."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from crm.attachments import UploadRefused
from crm.handover.models import Defect
from crm.handover.rectifications import company_of
from crm.policy import Permission
from engine.errors import Conflict, InvalidData, NotFound
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import translate, translate_fields
from webapp.pages.common import actor, attachments, commit, ok, problem
from webapp.pages.handover_labels import DEFECT_STATUS, SEVERITY

bp = Blueprint("contractor", __name__, url_prefix="/contractor")
EVIDENCE = "evidence"
NOTE_LIMIT = 2000
MESSAGES = 5


def _company() -> int:
    found = company_of(actor(), db_session())
    if found is None:
        abort(403, description=_("您的账号还没有加入承建商单位，请联系系统管理员。"))
    return found


def _defect(defect_id: int) -> Defect:
    try:
        return platform().rectifications.company_defect(_company(), defect_id)
    except NotFound:
        abort(404)


@bp.get("")
@allow(Permission.CONTRACTOR_WORK)
def index() -> Any:
    p = platform()
    company = _company()
    rows = p.rectifications.of_company(company)
    history = p.rectifications.history(rows)
    return render_template(
        "handover/contractor.html",
        rows=rows,
        notes={d.id: p.rectifications.last_failure(history[d.id]) for d in rows},
        # What the company's people were told lately (new work, a defect sent back), with its link.
        messages=p.inapp.latest(f"user:{actor().username}", limit=MESSAGES),
        status_label=DEFECT_STATUS,
        severity_label=SEVERITY,
    )


def _page(defect: Defect, errors: dict[str, str], note: str = "", status: int = 200) -> Any:
    p = platform()
    history = p.rectifications.history([defect])[defect.id]
    step = p.rectifications.open_step(defect)
    page = render_template(
        "handover/contractor_defect.html",
        d=defect,
        photos=p.rectifications.photos(defect),
        last_failure=p.rectifications.last_failure(history),
        can_close=step is not None and step.element_id == "rectify",
        errors=errors,
        note=note,
        status_label=DEFECT_STATUS,
        severity_label=SEVERITY,
    )
    return page, status


@bp.get("/defects/<int:defect_id>")
@allow(Permission.CONTRACTOR_WORK)
def show(defect_id: int) -> Any:
    return _page(_defect(defect_id), {})


@bp.post("/defects/<int:defect_id>/close")
@allow(Permission.CONTRACTOR_WORK)
def close(defect_id: int) -> Any:
    defect = _defect(defect_id)
    note = (request.form.get("note") or "").strip()
    errors: dict[str, str] = {}
    if not note:
        errors["note"] = _("请填写整改说明")
    elif len(note) > NOTE_LIMIT:
        errors["note"] = _("整改说明最多 %(n)d 字", n=NOTE_LIMIT)
    uploads = [u for u in request.files.getlist(EVIDENCE) if u.filename]
    if not uploads:
        errors[EVIDENCE] = _("请拍摄或选择整改后的照片")
    if errors:
        return _page(defect, errors, note, 422)
    assert defect.instance_id is not None
    store, who = attachments(), actor()
    step = platform().rectifications.open_step(defect)
    tokens = []
    try:
        for upload in uploads:
            stored = store.store(
                defect.instance_id,
                who.username,
                upload.filename or "photo.jpg",
                upload.stream,
                task_id=step.id if step is not None else None,
                field=EVIDENCE,
                accept=(".jpg", ".jpeg", ".png", ".webp"),
            )
            tokens.append(stored.token)
        platform().rectifications.close(who, defect, note=note, evidence=tokens)
    except UploadRefused as refused:
        db_session().rollback()
        store.discard_written()
        return _page(defect, {EVIDENCE: translate(str(refused))}, note, 422)
    except InvalidData as invalid:
        db_session().rollback()
        store.discard_written()
        return _page(defect, translate_fields(invalid.fields), note, 422)
    except Conflict as conflict:
        db_session().rollback()
        store.discard_written()
        problem(translate(str(conflict)))
        return redirect(url_for("contractor.show", defect_id=defect_id))
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    commit()
    ok(_("已提交整改，等待复验：%(n)s", n=defect.number))
    return redirect(url_for("contractor.index"))


@bp.get("/defects/<int:defect_id>/photos/<token>")
@allow(Permission.CONTRACTOR_WORK)
def photo(defect_id: int, token: str) -> Any:
    defect = _defect(defect_id)
    store = attachments()
    known = store.by_tokens(defect.instance_id, [token]) if defect.instance_id and token.isalnum() else {}
    found = known.get(token)
    if found is None or not store.is_image(found):
        abort(404)
    return send_file(store.path(found), mimetype=found.content_type, max_age=3600)
