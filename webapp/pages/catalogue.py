"""The defect catalogue (缺陷库) for administrators and process owners (defects.catalogue): items added and
changed with their default severity and days to rectify, moved up and down the order inspectors see them in
on the tablet, retired and brought back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.handover.catalogue_edit import CatalogueEditor
from crm.handover.models import SEVERITIES, CatalogueItem
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session
from webapp.access import allow
from webapp.pages.common import commit, ok, problem
from webapp.pages.handover_texts import translate_fields

bp = Blueprint("catalogue", __name__)
FIELDS = ("category", "part", "item", "severity", "rectify_days")


def editor() -> CatalogueEditor:
    return CatalogueEditor(db_session())


def _page(values: dict[str, str], errors: dict[str, str], editing: CatalogueItem | None, status: int) -> Any:
    items = editor().items()
    return (
        render_template(
            "handover/catalogue.html",
            items=items,
            categories=sorted({i.category for i in items}),
            parts=sorted({i.part for i in items}),
            severities=SEVERITIES,
            values=values,
            errors=errors,
            editing=editing,
        ),
        status,
    )


@bp.get("/admin/catalogue")
@allow(Permission.EDIT_CATALOGUE)
def index() -> Any:
    return _page({"severity": "normal", "rectify_days": "7"}, {}, None, 200)


@bp.get("/admin/catalogue/<int:item_id>/edit")
@allow(Permission.EDIT_CATALOGUE)
def edit(item_id: int) -> Any:
    item = editor().get(item_id)
    values = {name: str(getattr(item, name)) for name in FIELDS}
    return _page(values, {}, item, 200)


def _save(existing_id: int | None) -> Any:
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    service = editor()
    existing = service.get(existing_id) if existing_id is not None else None
    try:
        saved = service.save(values, existing)
    except InvalidData as invalid:
        db_session().rollback()
        editing = editor().get(existing_id) if existing_id is not None else None
        return _page(values, translate_fields(invalid.fields), editing, 422)
    commit()
    ok(_("已保存缺陷库条目：%(what)s。", what=f"{saved.category} / {saved.part} / {saved.item}"))
    return redirect(url_for("catalogue.index") + f"#item-{saved.id}")


@bp.post("/admin/catalogue")
@allow(Permission.EDIT_CATALOGUE)
def create() -> Any:
    return _save(None)


@bp.post("/admin/catalogue/<int:item_id>/edit")
@allow(Permission.EDIT_CATALOGUE)
def update(item_id: int) -> Any:
    return _save(item_id)


@bp.post("/admin/catalogue/<int:item_id>/move")
@allow(Permission.EDIT_CATALOGUE)
def move(item_id: int) -> Any:
    service = editor()
    item = service.get(item_id)
    direction = request.form.get("direction", "")
    try:
        moved = service.move(item, direction)
    except InvalidData:
        db_session().rollback()
        problem(_("无法移动此条目。"))
        return redirect(url_for("catalogue.index"))
    commit()
    if not moved:
        problem(_("此条目已在最前面。") if direction == "up" else _("此条目已在最后面。"))
    return redirect(url_for("catalogue.index") + f"#item-{item_id}")


@bp.post("/admin/catalogue/<int:item_id>/active")
@allow(Permission.EDIT_CATALOGUE)
def set_active(item_id: int) -> Any:
    service = editor()
    item = service.get(item_id)
    active = request.form.get("active") == "1"
    service.set_active(item, active)
    commit()
    what = f"{item.category} / {item.part} / {item.item}"
    ok(_("已启用：%(what)s。", what=what) if active else _("已停用：%(what)s，验房时不再显示。", what=what))
    return redirect(url_for("catalogue.index") + f"#item-{item_id}")
