"""A unit's page: building, floor, layout with its rooms and floor plan; its owners now (the contact owner
marked), its contracts newest first, its owners before, callers who do not own it, and every request about
it. The centre adds and ends ownerships, chooses the contact owner, records contracts, hands over, cancels
and transfers (转让/换签) here — each through crm.estate.services.Records."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.estate.models import Contract, Owner, Unit
from crm.estate.search import PeopleSearch
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import translate_fields
from webapp.pages.common import commit, ok
from webapp.pages.records import bp, form_values, parse_date, records, refused

OWNER_FIELDS = ("owner_id", "name", "phone", "id_number", "email", "tier", "contact")
CONTRACT_FIELDS = ("number", "signed_on", "planned_handover_on", "handed_over_on")
NEW_OWNER_FIELDS = ("name", "phone", "id_number")


def unit_page(
    unit: Unit,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> Any:
    p = platform()
    estate, rules = p.estate, p.records
    contracts = estate.contracts(unit)
    current = next((c for c in contracts if c.status != "cancelled"), None)
    return (
        render_template(
            "records/unit.html",
            unit=unit,
            building=unit.building,
            project=unit.building.project,
            state=estate.unit_state(unit),
            owners=rules.current_owners(unit),
            contracts=contracts,
            current_contract=current,
            past=estate.past_owners(unit),
            callers=estate.callers([unit.id]),
            requests=estate.unit_requests(unit),
            errors=errors or {},
            values=values or {},
            today=rules.today().isoformat(),
        ),
        status,
    )


def _unit(unit_id: int) -> Unit:
    return platform().estate.unit(unit_id)


def _owner_of(value: str) -> Owner | None:
    owner_id = int(value) if value.isdigit() else 0
    return db_session().get(Owner, owner_id) if 0 < owner_id < 2**63 else None


@bp.get("/records/units/<int:unit_id>")
@allow(Permission.VIEW_RECORDS)
def unit(unit_id: int) -> Any:
    return unit_page(_unit(unit_id))


@bp.get("/records/units/<int:unit_id>/owner-search")
@allow(Permission.MANAGE_RECORDS)
def owner_search(unit_id: int) -> Any:
    """Owners matching what is typed, to choose from (htmx swaps them into the form)."""
    _unit(unit_id)
    query = request.args.get("q", "").strip()[:100]
    multiple = request.args.get("multiple") == "1"
    return render_template(
        "records/owner_matches.html",
        matches=PeopleSearch(db_session()).find(query, callers=False) if query else [],
        q=query,
        field="owner_ids" if multiple else "owner_id",
        multiple=multiple,
        chosen=[],
    )


@bp.post("/records/units/<int:unit_id>/owners")
@allow(Permission.MANAGE_RECORDS)
def add_owner(unit_id: int) -> Any:
    """An owner or co-owner of the unit: one found by the search, or a new one entered here."""
    found = _unit(unit_id)
    values = form_values(*OWNER_FIELDS, "q")
    errors: dict[str, str] = {}
    owner: Owner | None = None
    if values["owner_id"]:
        owner = _owner_of(values["owner_id"])
        if owner is None:
            errors["owner_id"] = _("请从查找结果中选择业主")
        elif any(o.owner_id == owner.id for o in records().current_owners(found)):
            errors["owner_id"] = _("%(name)s 已是该房号的业主", name=owner.name)
    elif not any(values[name] for name in ("name", "phone", "id_number", "email")):
        errors["owner_id"] = _("请查找并选择已有业主，或填写新业主的信息")
    if errors:
        return unit_page(found, {"owner": refused(errors)}, {"owner": values}, 422)
    try:
        if owner is None:
            owner = records().save_owner(
                None,
                name=values["name"],
                phone=values["phone"],
                id_number=values["id_number"],
                email=values["email"],
                tier=values["tier"] or "regular",
            )
        records().add_owner_to_unit(owner, found, contact=bool(values["contact"]))
    except InvalidData as invalid:
        return unit_page(found, {"owner": refused({}, invalid)}, {"owner": values}, 422)
    commit()
    ok(_("%(name)s 已登记为 %(unit)s 的业主。", name=owner.name, unit=found.label))
    return redirect(url_for("records.unit", unit_id=found.id) + "#owners")


@bp.post("/records/units/<int:unit_id>/owners/<int:owner_id>/contact")
@allow(Permission.MANAGE_RECORDS)
def make_contact(unit_id: int, owner_id: int) -> Any:
    found, owner = _unit(unit_id), platform().estate.owner(owner_id)
    try:
        records().set_contact(found, owner)
    except InvalidData as invalid:
        return unit_page(found, {"owners": refused({}, invalid)}, None, 422)
    commit()
    ok(_("%(name)s 现在是联系业主。", name=owner.name))
    return redirect(url_for("records.unit", unit_id=found.id) + "#owners")


@bp.post("/records/units/<int:unit_id>/owners/<int:owner_id>/end")
@allow(Permission.MANAGE_RECORDS)
def end_ownership(unit_id: int, owner_id: int) -> Any:
    found, owner = _unit(unit_id), platform().estate.owner(owner_id)
    values = form_values("ended_on")
    errors: dict[str, str] = {}
    ended_on = parse_date(values, "ended_on", errors)
    try:
        if errors:
            raise InvalidData("the date is not a date", {})
        records().end_ownership(owner, found, ended_on)
    except InvalidData as invalid:
        problems = refused(errors, invalid)
        return unit_page(found, {"owners": {"owner_id": " ".join(problems.values())}}, None, 422)
    commit()
    ok(_("%(name)s 不再是该房号的业主，其诉求和记录保留。", name=owner.name))
    return redirect(url_for("records.unit", unit_id=found.id) + "#owners")


def _dates(values: dict[str, str], errors: dict[str, str]) -> dict[str, date | None]:
    return {
        name: parse_date(values, name, errors)
        for name in ("signed_on", "planned_handover_on", "handed_over_on", "cancelled_on")
    }


@bp.post("/records/units/<int:unit_id>/contracts")
@allow(Permission.MANAGE_RECORDS)
def record_contract(unit_id: int) -> Any:
    found = _unit(unit_id)
    values = form_values(*CONTRACT_FIELDS)
    errors: dict[str, str] = {}
    dates = _dates(values, errors)
    try:
        contract = records().record_contract(
            None,
            unit=found,
            number=values["number"],
            signed_on=dates["signed_on"],
            planned_handover_on=dates["planned_handover_on"],
            handed_over_on=dates["handed_over_on"],
        )
        if errors:
            raise InvalidData("dates that are not dates", {})
    except InvalidData as invalid:
        return unit_page(found, {"contract": refused(errors, invalid)}, {"contract": values}, 422)
    commit()
    ok(_("已登记合同 %(number)s。", number=contract.number))
    return redirect(url_for("records.unit", unit_id=found.id) + "#contracts")


@bp.post("/records/units/<int:unit_id>/transfer")
@allow(Permission.MANAGE_RECORDS)
def transfer(unit_id: int) -> Any:
    """转让/换签: a new contract with its new owners; the owners before keep their history."""
    found = _unit(unit_id)
    values: dict[str, Any] = form_values("number", "signed_on", "planned_handover_on", *NEW_OWNER_FIELDS)
    chosen = [v for v in request.form.getlist("owner_ids") if v.strip()]
    values["owner_ids"] = chosen
    errors: dict[str, str] = {}
    dates = _dates(values, errors)
    owners = [o for o in (_owner_of(v) for v in chosen) if o is not None]
    if len(owners) < len(chosen):
        errors["owners"] = _("请从查找结果中选择业主")
    new_owner = any(values[name] for name in NEW_OWNER_FIELDS)
    if not owners and not new_owner and "owners" not in errors:
        errors["owners"] = _("请选择新业主，或填写新业主的信息")
    problems = dict(errors)
    if new_owner:
        try:
            owners.append(
                records().save_owner(
                    None, name=values["name"], phone=values["phone"], id_number=values["id_number"]
                )
            )
        except InvalidData as invalid:
            problems = translate_fields(invalid.fields) | problems
    if problems:
        # The contract's own problems are shown with the owners' at once: tried, then undone.
        trial = db_session().begin_nested()
        try:
            records().record_contract(None, unit=found, number=values["number"], signed_on=dates["signed_on"])
        except InvalidData as invalid:
            problems = translate_fields(invalid.fields) | problems
        finally:
            trial.rollback()
        return unit_page(found, {"transfer": refused(problems)}, {"transfer": values}, 422)
    try:
        contract = records().transfer(
            found,
            number=values["number"],
            signed_on=dates["signed_on"],
            planned_handover_on=dates["planned_handover_on"],
            owners=owners,
        )
    except InvalidData as invalid:
        return unit_page(found, {"transfer": refused({}, invalid)}, {"transfer": values}, 422)
    commit()
    ok(_("已办理转让，合同 %(number)s；原业主的记录保留。", number=contract.number))
    return redirect(url_for("records.unit", unit_id=found.id) + "#contracts")


def _contract_step(contract_id: int, field: str, message: str) -> Any:
    """Handing over or cancelling a contract: the one date changes, its other dates stay."""
    contract: Contract = platform().estate.contract(contract_id)
    found = _unit(contract.unit_id)
    values = form_values(field)
    errors: dict[str, str] = {}
    when = parse_date(values, field, errors)
    if when is None and field not in errors:
        errors[field] = _("请填写日期")
    changed = {
        "handed_over_on": contract.handed_over_on,
        "cancelled_on": contract.cancelled_on,
        field: when,
    }
    key = f"contract-{contract.id}"
    try:
        if errors:
            raise InvalidData("no date", {})
        records().record_contract(
            contract,
            unit=found,
            number=contract.number,
            signed_on=contract.signed_on,
            planned_handover_on=contract.planned_handover_on,
            **changed,
        )
    except InvalidData as invalid:
        return unit_page(found, {key: refused(errors, invalid)}, {key: values}, 422)
    commit()
    ok(message % {"number": contract.number})
    return redirect(url_for("records.unit", unit_id=found.id) + "#contracts")


@bp.post("/records/contracts/<int:contract_id>/handover")
@allow(Permission.MANAGE_RECORDS)
def hand_over(contract_id: int) -> Any:
    return _contract_step(contract_id, "handed_over_on", _("合同 %(number)s 已交付。"))


@bp.post("/records/contracts/<int:contract_id>/cancel")
@allow(Permission.MANAGE_RECORDS)
def cancel_contract(contract_id: int) -> Any:
    return _contract_step(
        contract_id, "cancelled_on", _("合同 %(number)s 已解约，其业主不再是该房号的业主。")
    )
