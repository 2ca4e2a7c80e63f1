"""Registering a complaint: find the owner (phone, name or unit), then channel, category, description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.owners import find_owners
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import label, translate_fields
from webapp.pages.common import actor, commit, ok

bp = Blueprint("register", __name__)


def _choices(field_name: str) -> list[tuple[str, str]]:
    form = platform().foundation.forms.get("complaint_intake")
    return [(c.value, label(c)) for c in form.field(field_name).choices]


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    query = values.get("q", "")
    matches = find_owners(db_session(), query) if query else []
    return (
        render_template(
            "register.html",
            values=values,
            errors=errors,
            matches=matches,
            channels=_choices("channel"),
            categories=_choices("category"),
        ),
        status,
    )


@bp.get("/complaints/new")
@allow(Permission.REGISTER_COMPLAINT)
def new() -> Any:
    # Without JavaScript the search button sends the whole form here: keep what was typed.
    values = {
        name: request.args.get(name, "").strip()[:4000]
        for name in ("q", "channel", "category", "description")
    }
    values["q"] = values["q"][:100]
    values["channel"] = values["channel"] or "hotline"
    return _page(values, {})


@bp.get("/complaints/owners")
@allow(Permission.REGISTER_COMPLAINT)
def owners() -> Any:
    """The owner matches alone: what htmx swaps in while the coordinator types."""
    query = request.args.get("q", "").strip()[:100]
    return render_template(
        "register_owners.html", matches=find_owners(db_session(), query), q=query, selected=""
    )


@bp.post("/complaints/new")
@allow(Permission.REGISTER_COMPLAINT)
def create() -> Any:
    form = request.form
    values = {
        name: form.get(name, "").strip() for name in ("q", "owner", "channel", "category", "description")
    }
    owner_id, _sep, unit_id = values["owner"].partition(":")
    errors: dict[str, str] = {}
    if not owner_id:
        errors["owner"] = _("请先查找并选择业主")
    elif not owner_id.isdigit() or (unit_id and not unit_id.isdigit()):
        errors["owner"] = _("请选择列表中的业主")
    if not errors:
        try:
            complaint = platform().complaints.register(
                actor(),
                channel=values["channel"],
                description=values["description"],
                category=values["category"] or None,
                owner_id=int(owner_id),
                unit_id=int(unit_id) if unit_id else None,
            )
        except InvalidData as invalid:
            fields = translate_fields(invalid.fields)
            for key in ("owner_id", "owner_phone", "unit_id"):
                if key in fields:
                    errors["owner"] = fields.pop(key)
            errors.update(fields)
        else:
            commit()
            ok(_("已登记投诉 %(number)s。", number=complaint.number))
            return redirect(url_for("requests.show", instance_id=complaint.instance_id))
    return _page(values, errors, status=422)
