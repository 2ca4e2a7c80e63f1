"""Owners found as a coordinator hears them (the search of crm.estate.search), with their units and
contracts; phones and ID numbers masked, or in full for holders of personal.view who ask (`full=1`),
each owner so returned written to the personal-data log."""

from __future__ import annotations

from typing import Any

from flask import g, request

from crm.estate.people import mask_id_number, mask_phone
from crm.estate.privacy import record_access
from crm.estate.search import PeopleSearch, PersonMatch
from crm.estate.services import contract_status
from crm.policy import Permission
from engine.errors import Forbidden
from webapp import db_session, platform
from webapp.access import allow, policy
from webapp.api import api
from webapp.api.schemas import OwnerList, OwnerQuery


@api.get("/owners")
@allow(Permission.VIEW_RECORDS)
def find_owners() -> Any:
    query = OwnerQuery().load(request.args)
    full = bool(query["full"])
    if full and not policy().may(g.user, Permission.VIEW_PERSONAL_DATA):
        raise Forbidden("full phones and ID numbers need the personal.view permission")
    session = db_session()
    matches = PeopleSearch(session).find(query["q"], query["limit"])
    owners = [_owner(m, full) for m in matches if m.owner is not None]
    callers = [_caller(m, full) for m in matches if m.caller is not None]
    if full and matches:
        # One row per owner returned (and per caller, whose phone is personal data too).
        now, who, detail = platform().clock.now(), g.user.username, {"q": query["q"]}
        owner_ids = [m.owner.id for m in matches if m.owner is not None]
        record_access(session, now, who, owner_ids, "phone", "api", {**detail, "id_number": True})
        for m in matches:
            if m.caller is not None:
                record_access(session, now, who, [None], "phone", "api", {**detail, "caller_id": m.caller.id})
        session.commit()
    return OwnerList().dump({"owners": owners, "callers": callers})


def _owner(match: PersonMatch, full: bool) -> dict[str, Any]:
    owner = match.owner
    assert owner is not None
    return {
        "id": owner.id,
        "name": owner.name,
        "phone": owner.phone if full else mask_phone(owner.phone),
        "id_number": owner.id_number if full else (mask_id_number(owner.id_number) or None),
        "tier": owner.tier,
        "open_requests": match.open_requests,
        "units": [{**_unit(h.unit), "is_contact": h.is_contact, "since": h.since} for h in match.holdings],
        "contracts": [
            {
                "number": c.number,
                "unit_id": c.unit_id,
                "status": contract_status(c.handed_over_on, c.cancelled_on),
                "signed_on": c.signed_on,
                "planned_handover_on": c.planned_handover_on,
                "handed_over_on": c.handed_over_on,
                "cancelled_on": c.cancelled_on,
            }
            for c in match.contracts
        ],
    }


def _caller(match: PersonMatch, full: bool) -> dict[str, Any]:
    caller = match.caller
    assert caller is not None
    return {
        "id": caller.id,
        "name": caller.name,
        "phone": caller.phone if full else mask_phone(caller.phone),
        "relation": caller.relation,
        "unit": {**_unit(caller.unit), "is_contact": False, "since": None} if caller.unit else None,
    }


def _unit(unit: Any) -> dict[str, Any]:
    return {
        "id": unit.id,
        "project": unit.building.project.code,
        "project_name": unit.building.project.name,
        "building": unit.building.name,
        "number": unit.number,
        "label": unit.label,
    }
