"""People in the records: the owner's page (客户360) with its edit form, and the contractors (承建商/供方)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from crm.estate.models import Contractor, Owner
from crm.estate.services import TIERS
from crm.messaging.preferences import Choice, NoticePreferences
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import platform
from webapp.access import allow
from webapp.i18n import local_time
from webapp.pages import notice_choices
from webapp.pages.common import actor, commit, current_user, ok
from webapp.pages.records import bp, form_values, records, refused, split_list

# -- the owner's page (客户360) -------------------------------------------------------------------------


@bp.get("/owners/<int:owner_id>")
@allow(Permission.VIEW_RECORDS)
def owner(owner_id: int) -> Any:
    return _owner_page(owner_id)


def _owner_page(
    owner_id: int, values: dict[str, tuple[str, ...]] | None = None, errors: dict[str, str] | None = None
) -> Any:
    p = platform()
    found = p.estate.owner(owner_id)
    profile = p.owner_profiles.profile(found, actor())
    contacts = [h.ownership.unit_id for h in profile.current]
    choices = preferences().of_owner(found.id)
    changers = {c.changed_by for c in choices if c.changed_by and c.changed_by != "owner"}
    names = p.staff.display_names(sorted(changers)) if changers else {}
    page = render_template(
        "records/owner.html",
        owner=found,
        profile=profile,
        register_unit=contacts[0] if len(contacts) == 1 else None,
        choices=choices,
        choice_values=values or {},
        choice_errors=errors or {},
        changed_by=lambda c: _changed_by(c, names),
    )
    return page, 422 if errors else 200


def preferences() -> NoticePreferences:
    return platform().notice_preferences


def _changed_by(choice: Choice, names: dict[str, str]) -> str:
    when = local_time(choice.changed_at)
    if choice.changed_by == "owner":
        return _("业主于 %(when)s 在服务平台选择", when=when)
    name = names.get(choice.changed_by or "", choice.changed_by or "")
    return _("%(name)s 于 %(when)s 按业主要求修改", name=name, when=when)


@bp.post("/owners/<int:owner_id>/notices")
@allow(Permission.CHOOSE_OWNER_NOTICES)
def change_notices(owner_id: int) -> Any:
    """The owner asked (on the phone, at the desk) to hear about a kind of message another way."""
    found = platform().estate.owner(owner_id)
    user = current_user()
    assert user is not None
    service = preferences()
    choices = service.of_owner(found.id)
    changed, errors = notice_choices.save(
        platform().session,
        choices,
        lambda kind, channels: service.choose(found.id, kind, channels, by=user.username),
    )
    if errors:
        return _owner_page(owner_id, notice_choices.posted(choices), errors)
    commit()
    ok(_("已保存 %(name)s 的通知方式。", name=found.name) if changed else _("通知方式没有变化。"))
    return redirect(url_for("records.owner", owner_id=found.id, _anchor="notices"))


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
