"""The capture page for tablets (现场验房): standing in a unit, the inspector records its defects one after
another. The page carries what it needs (the session's units and owners, the layouts' rooms and floor plans,
the catalogue) and keeps each defect on the device (IndexedDB, photos as blobs) until the server has it, so
it works on without a connection; a service worker (`/capture/sw.js`, scope `/capture/`) keeps the page
itself and its scripts for the next visit offline. The device sends each defect here with its own id, and
its photos with theirs: a second send is recognised, never recorded twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from crm.attachments import UploadRefused
from crm.estate.models import Layout
from crm.handover.capture import Capture
from crm.handover.catalogue_edit import CatalogueEditor
from crm.handover.models import InspectionSession
from crm.handover.photos import DefectPhotos
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow, public
from webapp.i18n import N_
from webapp.pages.common import actor, attachments
from webapp.pages.handover_texts import translate, translate_fields
from webapp.pages.inspections import defect_list, inspections, walks

bp = Blueprint("capture", __name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
# Rooms offered when the unit's layout names none (or for a building's common parts).
COMMON_ROOMS = (
    N_("入户门厅"),
    N_("客厅"),
    N_("餐厅"),
    N_("主卧"),
    N_("次卧"),
    N_("书房"),
    N_("厨房"),
    N_("卫生间"),
    N_("阳台"),
    N_("走道"),
    N_("其他"),
)


@bp.get("/capture")
@allow(Permission.CAPTURE_DEFECTS)
def index() -> Any:
    return render_template("handover/capture_sessions.html", sessions=inspections().current())


@bp.get("/capture/sw.js")
@public
def service_worker() -> Any:
    """The capture page's service worker, served under /capture/ so that its scope covers the page."""
    response = send_from_directory(STATIC, "capture-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _page_data(inspection: InspectionSession) -> dict[str, Any]:
    service = inspections()
    units = service.units(inspection)
    owners = walks().owners_of([u.id for u in units])
    layouts: dict[int, Layout] = {u.layout.id: u.layout for u in units if u.layout is not None}
    buildings = []
    for building in service.buildings(inspection):
        rows = [u for u in units if u.building_id == building.id]
        buildings.append(
            {
                "id": building.id,
                "name": building.name,
                "units": [
                    {
                        "id": u.id,
                        "number": u.number,
                        "floor": u.floor,
                        "layout": u.layout_id,
                        "owners": [{"id": o.id, "name": o.name} for o in owners.get(u.id, [])],
                    }
                    for u in rows
                ],
            }
        )
    return {
        "session": {
            "id": inspection.id,
            "title": inspection.title,
            "project": inspection.project.name,
        },
        "buildings": buildings,
        "layouts": {
            str(layout.id): {
                "name": layout.name,
                "rooms": list(layout.rooms or []),
                "plan": url_for("records.floor_plan", layout_id=layout.id) if layout.floor_plan else None,
            }
            for layout in layouts.values()
        },
        "common_rooms": [_(room) for room in COMMON_ROOMS],
        "catalogue": CatalogueEditor(db_session()).tree(),
        "urls": {
            "defects": url_for("capture.record", session_id=inspection.id),
            "walks": url_for("capture.start_walk", session_id=inspection.id),
            "sign": url_for("inspections.sign_form", walk_id=0).replace("/0/", "/{walk}/"),
            "worker": url_for("capture.service_worker"),
            "scope": url_for("capture.index") + "/",
            "shell": [
                url_for("static", filename="lintel.css"),
                url_for("static", filename="capture.css"),
                url_for("static", filename="capture.js"),
                url_for("static", filename="lintel.js"),
                url_for("static", filename="favicon.svg"),
                url_for("assets.vendor", name="htmx.org/dist/htmx.min.js"),
            ],
        },
        "texts": _texts(),
    }


def _texts() -> dict[str, str]:
    return {
        "pending": _("待上传 %(n)s 条"),
        "all_sent": _("已全部上传"),
        "online": _("在线"),
        "offline": _("离线：记录保存在本机，联网后自动上传"),
        "sent": _("已上传"),
        "waiting": _("待上传"),
        "failed": _("未能保存"),
        "discard": _("删除此条"),
        "discard_confirm": _("删除这条未保存的记录？"),
        "choose_unit": _("请先选择房号"),
        "choose_item": _("请选择类别、部位和问题，或手写问题"),
        "choose_severity": _("请选择严重程度"),
        "companion_needed": _("请选择陪同业主，或填写陪同人姓名"),
        "no_plan": _("此户型没有户型图，可在描述中写明位置"),
        "spot_set": _("已标记位置"),
        "sign_offline": _("签字需要联网：网络恢复、记录上传后再请业主签字"),
        "sign_wait": _("正在上传本户的记录，完成后进入签字页……"),
        "no_units": _("没有符合的房号"),
        "photos": _("%(n)s 张照片"),
        "recorded": _("已记录，可继续记录下一条"),
        "sign_in_again": _("登录已过期：请重新登录后回到此页，记录会自动上传"),
        "common_parts": _("公共部位"),
        "floor": _("%(n)s 层"),
    }


@bp.get("/capture/<int:session_id>")
@allow(Permission.CAPTURE_DEFECTS)
def page(session_id: int) -> Any:
    inspection = inspections().get(session_id)
    data = json.dumps(_page_data(inspection), ensure_ascii=False).replace("</", "<\\/")
    return render_template("handover/capture.html", inspection=inspection, data=data)


def _json_error(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Any:
    return jsonify({"error": code, "message": message, "fields": fields or {}}), status


@bp.post("/capture/<int:session_id>/walks")
@allow(Permission.CAPTURE_DEFECTS)
def start_walk(session_id: int) -> Any:
    inspection = inspections().get(session_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json_error(400, "bad_request", _("提交的内容无效"))
    try:
        walk, created = walks().start(
            actor(),
            inspection,
            body.get("unit_id"),
            owner_id=body.get("owner_id"),
            companion=body.get("companion"),
        )
    except InvalidData as invalid:
        db_session().rollback()
        return _json_error(422, "invalid_data", translate(str(invalid)), translate_fields(invalid.fields))
    db_session().commit()
    sign = url_for("inspections.sign_form", walk_id=walk.id)
    return jsonify({"walk_id": walk.id, "sign_url": sign}), 201 if created else 200


@bp.post("/capture/<int:session_id>/defects")
@allow(Permission.CAPTURE_DEFECTS)
def record(session_id: int) -> Any:
    """One defect from the device (multipart: `defect` as JSON, `photo` files with their `photo_id`s)."""
    inspection = inspections().get(session_id)
    try:
        values = json.loads(request.form.get("defect", ""))
    except ValueError:
        values = None
    if not isinstance(values, dict):
        return _json_error(400, "bad_request", _("提交的内容无效"))
    files = request.files.getlist("photo")
    ids = request.form.getlist("photo_id")
    if len(ids) != len(files):
        raise BadRequest("send one photo_id per photo")
    capture = Capture(platform().defects, walks(), defect_list())
    store = attachments()
    try:
        defect, created, walk = capture.record(actor(), inspection, values)
        kept = (
            DefectPhotos(store).add(
                actor(),
                defect,
                [(f.filename or "photo.jpg", f.stream, i or None) for f, i in zip(files, ids, strict=True)],
            )
            if files
            else []
        )
        db_session().commit()
    except InvalidData as invalid:
        db_session().rollback()
        store.discard_written()
        return _json_error(422, "invalid_data", translate(str(invalid)), translate_fields(invalid.fields))
    except UploadRefused as refused:
        db_session().rollback()
        store.discard_written()
        return _json_error(422, "invalid_data", translate(str(refused)), {"photos": translate(str(refused))})
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    body = {
        "id": defect.id,
        "number": defect.number,
        "client_id": defect.client_id,
        "created": created,
        "walk_id": walk.id if walk is not None else None,
        "sign_url": url_for("inspections.sign_form", walk_id=walk.id) if walk is not None else None,
        "photos": len(kept),
    }
    return jsonify(body), 201 if created else 200
