"""People in the records: the owner's page (客户360) with its edit form, and the contractors (承建商/供方)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from crm.estate.models import Contractor, Owner
from crm.estate.services import TIERS
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import platform
from webapp.access import allow
from webapp.pages.common import actor, commit, ok
from webapp.pages.records import bp, form_values, records, refused, split_list

# -- the owner's page (客户360) -------------------------------------------------------------------------


@bp.get("/owners/<int:owner_id>")
@allow(Permission.VIEW_RECORDS)
def owner(owner_id: int) -> Any:
    p = platform()
    found = p.estate.owner(owner_id)
    profile = p.owner_profiles.profile(found, actor())
    contacts = [h.ownership.unit_id for h in profile.current]
    return render_template(
        "records/owner.html",
        owner=found,
        profile=profile,
        register_unit=contacts[0] if len(contacts) == 1 else None,
    )


def _owner_form(found: Owner, values: dict[str, str], errors: dict[str, str], status: int) -> Any:
    return (
        render_template("records/owner_form.html", owner=found, values=values, errors=errors, tiers=TIERS),
        status,
    )


@bp.get("/owners/<int:owner_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def edit_owner(owner_id: int) -> Any:
    found = platform().estate.owner(owner_id)
    # The phone and ID number are not filled in: the form is not a way round the audited reveal.
    values = {"name": found.name, "email": found.email or "", "tier": found.tier}
    return _owner_form(found, values, {}, 200)


@bp.post("/owners/<int:owner_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def update_owner(owner_id: int) -> Any:
    found = platform().estate.owner(owner_id)
    values = form_values("name", "phone", "id_number", "email", "tier", "clear_id_number")
    id_number: str | None = values["id_number"] or found.id_number
    if values["clear_id_number"] and not values["id_number"]:
        id_number = None
    try:
        records().save_owner(
            found,
            name=values["name"],
            phone=values["phone"] or found.phone,
            id_number=id_number,
            email=values["email"],
            tier=values["tier"],
        )
    except InvalidData as invalid:
        return _owner_form(found, values, refused({}, invalid), 422)
    commit()
    ok(_("已保存业主 %(name)s 的资料。", name=found.name))
    return redirect(url_for("records.owner", owner_id=found.id))


# -- contractors (承建商/供方) ------------------------------------------------------------------------------


@bp.get("/records/contractors")
@allow(Permission.VIEW_RECORDS)
def contractors() -> Any:
    return render_template("records/contractors.html", contractors=platform().estate.contractors())


def _contractor_form(
    found: Contractor | None, values: dict[str, str], errors: dict[str, str], status: int
) -> Any:
    return render_template(
        "records/contractor_form.html", contractor=found, values=values, errors=errors
    ), status


@bp.get("/records/contractors/new")
@allow(Permission.MANAGE_RECORDS)
def new_contractor() -> Any:
    return _contractor_form(None, {}, {}, 200)


@bp.post("/records/contractors/new")
@allow(Permission.MANAGE_RECORDS)
def create_contractor() -> Any:
    return _save_contractor(None)


@bp.get("/records/contractors/<int:contractor_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def edit_contractor(contractor_id: int) -> Any:
    found = platform().estate.contractor(contractor_id)
    values = {
        "name": found.name,
        "contact_name": found.contact_name or "",
        "phone": found.phone or "",
        "trades": "、".join(found.trades or []),
    }
    return _contractor_form(found, values, {}, 200)


@bp.post("/records/contractors/<int:contractor_id>/edit")
@allow(Permission.MANAGE_RECORDS)
def update_contractor(contractor_id: int) -> Any:
    return _save_contractor(platform().estate.contractor(contractor_id))


def _save_contractor(found: Contractor | None) -> Any:
    values = form_values("name", "contact_name", "phone", "trades")
    try:
        saved = records().save_contractor(
            found,
            name=values["name"],
            contact_name=values["contact_name"],
            phone=values["phone"],
            trades=split_list(values["trades"]),
            active=found.active if found is not None else True,
        )
    except InvalidData as invalid:
        return _contractor_form(found, values, refused({}, invalid), 422)
    commit()
    ok(_("已保存承建商 %(name)s。", name=saved.name))
    return redirect(url_for("records.contractors"))


@bp.post("/records/contractors/<int:contractor_id>/active")
@allow(Permission.MANAGE_RECORDS)
def set_contractor_active(contractor_id: int) -> Any:
    found = platform().estate.contractor(contractor_id)
    active = form_values("active")["active"] == "1"
    records().set_contractor_active(found, active)
    commit()
    ok(_("已启用 %(name)s。", name=found.name) if active else _("已停用 %(name)s。", name=found.name))
    return redirect(url_for("records.contractors"))
