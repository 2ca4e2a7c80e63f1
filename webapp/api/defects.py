"""Defects over the API: register one or many (an offline device replaying its queue: a defect it sends
again by its client_id is answered with the one on file, never recorded twice), their photos (idempotent per
photo id), and the centre's lists (a contractor's people have their own, webapp.api.rectification)."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from sqlalchemy.exc import IntegrityError

from crm.attachments import UploadRefused
from crm.handover.defect_list import DefectFilter, DefectList
from crm.handover.models import Defect
from crm.handover.photos import FIELD, DefectPhotos
from crm.models import Attachment
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, error, json_body
from webapp.api.defect_schemas import (
    MAX_BULK,
    BulkResults,
    DefectCreated,
    DefectDetail,
    DefectQuery,
    PhotosAdded,
)
from webapp.api.defect_schemas import DefectList as DefectListSchema
from webapp.pages.common import attachments


def _listing() -> DefectList:
    return DefectList(db_session())


def _row(defect: Defect) -> dict[str, Any]:
    row = {c.key: getattr(defect, c.key) for c in Defect.__table__.columns}
    row["unit"] = defect.unit.label if defect.unit is not None else None
    return row


def _photo(attachment: Attachment) -> dict[str, Any]:
    return {
        "token": attachment.token,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": url_for("requests.download", token=attachment.token),
    }


def _register_once(values: Any) -> tuple[Defect, bool]:
    """Register within a savepoint: a problem leaves nothing behind, and a device that sent the same
    defect at the same moment through another request finds the one that won."""
    session = db_session()
    try:
        with session.begin_nested():
            return platform().defects.register(g.actor, values)
    except IntegrityError:
        client_id = values.get("client_id") if isinstance(values, dict) else None
        known = _listing().by_client_id(client_id) if isinstance(client_id, str) and client_id else None
        if known is None:
            raise
        return known, False


@api.post("/defects")
@allow(Permission.CAPTURE_DEFECTS)
def create_defect() -> Any:
    defect, created = _register_once(json_body())
    db_session().commit()
    return DefectCreated().dump({**_row(defect), "created": created}), 201 if created else 200


@api.post("/defects/bulk")
@allow(Permission.CAPTURE_DEFECTS)
def create_defects() -> Any:
    body = json_body()
    items = body.get("defects")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BULK:
        raise InvalidData("the request has invalid fields", {"defects": f"a list of 1 to {MAX_BULK} defects"})
    unknown = {str(k): "unknown field" for k in body if k != "defects"}
    # An item that is not even an object is a malformed request, not a defect with errors.
    unknown.update(
        {f"defects.{i}": "must be an object" for i, v in enumerate(items) if not isinstance(v, dict)}
    )
    if unknown:
        raise InvalidData("the request has invalid fields", unknown)
    results: list[dict[str, Any]] = []
    for index, values in enumerate(items):
        client_id = values.get("client_id")
        try:
            defect, created = _register_once(values)
        except InvalidData as invalid:
            shown_id = client_id if isinstance(client_id, str) else None
            results.append(
                {
                    "index": index,
                    "status": "invalid",
                    "client_id": shown_id,
                    "message": str(invalid),
                    "fields_": invalid.fields,
                }
            )
            continue
        results.append(
            {
                "index": index,
                "status": "created" if created else "known",
                "id": defect.id,
                "number": defect.number,
                "client_id": defect.client_id,
                "fields_": {},
            }
        )
    db_session().commit()
    totals = {s: sum(1 for r in results if r["status"] == s) for s in ("created", "known", "invalid")}
    return BulkResults().dump({**totals, "results": results})


@api.post("/defects/<int:defect_id>/photos")
@allow(Permission.CAPTURE_DEFECTS)
def add_photos(defect_id: int) -> Any:
    defect = _listing().get(defect_id)
    files = request.files.getlist(FIELD)
    ids = request.form.getlist("photo_id")
    if ids and len(ids) != len(files):
        raise InvalidData("the request has invalid fields", {"photo_id": "give one photo_id per photo"})
    store = attachments()
    try:
        kept = DefectPhotos(store).add(
            g.actor,
            defect,
            [
                (f.filename or "photo.jpg", f.stream, (ids[i] if ids else None) or None)
                for i, f in enumerate(files)
            ],
        )
        db_session().commit()
    except UploadRefused as refused:
        db_session().rollback()
        store.discard_written()
        return error(422, "invalid_data", str(refused), {FIELD: str(refused)})
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    body = PhotosAdded().dump({"photos": [{**_photo(a), "created": new} for a, new in kept]})
    return body, 201 if any(new for _a, new in kept) else 200


@api.get("/defects")
@allow(Permission.VIEW_DEFECTS)
def list_defects() -> Any:
    query = DefectQuery().load(request.args)
    listing = _listing()
    wanted = DefectFilter(
        project_id=query["project"],
        building_id=query["building"],
        unit_id=query["unit"],
        session_id=query["session"],
        status=query["status"],
        contractor_id=query["contractor"],
    )
    rows, after = listing.page(wanted, limit=query["limit"], after=query["after"])
    return DefectListSchema().dump({"defects": [_row(d) for d in rows], "next_after": after})


@api.get("/defects/<int:defect_id>")
@allow(Permission.VIEW_DEFECTS)
def get_defect(defect_id: int) -> Any:
    defect = _listing().get(defect_id)
    photos = DefectPhotos(attachments()).of(defect)
    return DefectDetail().dump({**_row(defect), "photos": [_photo(a) for a in photos]})
