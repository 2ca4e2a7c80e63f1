"""Registering defects: each one recorded and its rectification workflow started in the same transaction.

Every way a defect arrives — the tablet capture page, the API (one or in bulk, replayed from an offline
device), a handover walk-through, the command line — comes through `Defects.register`, so the checks and the
offline de-duplication hold everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Ownership, Unit
from crm.handover.models import SEVERITIES, SOURCES, CatalogueItem, Defect, InspectionSession, UnitWalk
from engine.actors import Actor
from engine.errors import InvalidData
from engine.runtime import Runtime
from lintel.clock import Clock

PROCESS_KEY = "rectification"
# What a defect is registered with (the API's and the capture page's fields).
FIELDS = (
    "client_id",
    "unit_id",
    "building_id",
    "session_id",
    "walk_id",
    "source",
    "room",
    "catalogue_id",
    "category",
    "part",
    "item",
    "description",
    "severity",
    "rectify_days",
    "spot_x",
    "spot_y",
)
MAX_ID = 2**31 - 1
MAX_CLIENT_ID = 64
DEFAULT_RECTIFY_DAYS = 7


class Defects:
    def __init__(self, session: Session, runtime: Runtime, clock: Clock) -> None:
        self.session = session
        self.runtime = runtime
        self.clock = clock

    def register(self, actor: Actor, values: Mapping[str, Any]) -> tuple[Defect, bool]:
        """Record one defect and start its rectification; returns it and whether it is new. A `client_id`
        already on file returns that defect unchanged (an offline device sending again). Raises
        InvalidData with every problem at once."""
        if not isinstance(values, Mapping):
            raise InvalidData("a defect must be an object of field values", {})
        client_id = values.get("client_id")
        if client_id not in (None, ""):
            if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID:
                message = f"must be text of at most {MAX_CLIENT_ID} characters"
                raise InvalidData("the defect has errors", {"client_id": message})
            known = self.session.scalars(select(Defect).where(Defect.client_id == client_id)).first()
            if known is not None:
                return known, False
        cleaned = self._clean(values)
        rectify_days = cleaned.pop("_rectify_days")
        defect = Defect(**cleaned, status="assigning", created_at=self.clock.now(), created_by=actor.username)
        self.session.add(defect)
        self.session.flush()
        owner_id = self._contact_owner(defect.unit_id)
        building = defect.building
        where = defect.unit.label if defect.unit else f"{building.project.name} {building.name} 公共部位"
        data = {
            "defect_id": defect.id,
            "unit_id": defect.unit_id,
            "owner_id": owner_id,
            "title": f"{where} {defect.part}/{defect.item}",
            "severity": defect.severity,
            "rectify_days": rectify_days,
        }
        instance = self.runtime.start(PROCESS_KEY, data, actor)
        defect.instance_id = instance.id
        defect.number = instance.business_key
        self.session.flush()
        return defect, True

    def start(self, data: Mapping[str, Any], actor: Actor) -> int:
        """The rectification started as any process is: the same registration; returns the instance id."""
        unknown = {str(k): "unknown field" for k in data if k not in FIELDS}
        if unknown:
            raise InvalidData("the defect has errors", unknown)
        defect, _ = self.register(actor, data)
        assert defect.instance_id is not None
        return defect.instance_id

    def _clean(self, values: Mapping[str, Any]) -> dict[str, Any]:
        problems: dict[str, str] = {}
        unknown = [str(k) for k in values if k not in FIELDS]
        for name in unknown:
            problems[name] = "unknown field"
        unit = self._get(Unit, values.get("unit_id"), "unit_id", problems)
        building = self._get(Building, values.get("building_id"), "building_id", problems)
        if unit is not None:
            if building is not None and building.id != unit.building_id:
                problems["building_id"] = "the unit is not in this building"
            building = unit.building
        elif building is None and "unit_id" not in problems and "building_id" not in problems:
            problems["unit_id"] = "give the unit (or the building, for its common parts)"
        inspection = self._get(InspectionSession, values.get("session_id"), "session_id", problems)
        walk = self._get(UnitWalk, values.get("walk_id"), "walk_id", problems)
        if walk is not None and unit is not None and walk.unit_id != unit.id:
            problems["walk_id"] = "this walk is of another unit"
        if walk is not None and inspection is None and walk.session_id is not None:
            inspection = self.session.get(InspectionSession, walk.session_id)
        if inspection is not None and building is not None and inspection.project_id != building.project_id:
            problems["session_id"] = "this inspection is of another project"
        source = values.get("source") or (inspection.kind if inspection is not None else "other")
        if source not in SOURCES:
            problems["source"] = "must be one of: " + ", ".join(SOURCES)
        item = self._get(CatalogueItem, values.get("catalogue_id"), "catalogue_id", problems)
        what: dict[str, str] = {}
        for name, limit in (("category", 50), ("part", 50), ("item", 100)):
            given = values.get(name)
            if given in (None, "") and item is not None:
                what[name] = getattr(item, name)
            elif isinstance(given, str) and given.strip() and len(given.strip()) <= limit:
                what[name] = given.strip()
            else:
                problems[name] = f"required (up to {limit} characters), or a catalogue item"
        severity = values.get("severity") or (item.severity if item is not None else None)
        if severity not in SEVERITIES:
            problems["severity"] = "must be one of: " + ", ".join(SEVERITIES)
        days = values.get("rectify_days")
        if days in (None, ""):
            days = item.rectify_days if item is not None else DEFAULT_RECTIFY_DAYS
        elif isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            problems["rectify_days"] = "must be a whole number of days from 1 to 365"
        spot = {}
        for name in ("spot_x", "spot_y"):
            raw = values.get(name)
            if raw in (None, ""):
                spot[name] = None
            elif isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 1:
                problems[name] = "must be a fraction of the floor plan from 0 to 1"
            else:
                spot[name] = float(raw)
        if (spot.get("spot_x") is None) != (spot.get("spot_y") is None) and not problems.keys() & spot.keys():
            problems["spot_y" if spot.get("spot_x") is not None else "spot_x"] = "give both coordinates"
        room = _text(values.get("room"), 30, "room", problems)
        description = _text(values.get("description"), 2000, "description", problems)
        if problems:
            raise InvalidData("the defect has errors", problems)
        assert building is not None
        return {
            "client_id": values.get("client_id") or None,
            "project_id": building.project_id,
            "building_id": building.id,
            "unit_id": unit.id if unit is not None else None,
            "session_id": inspection.id if inspection is not None else None,
            "walk_id": walk.id if walk is not None else None,
            "source": source,
            "room": room,
            "catalogue_id": item.id if item is not None else None,
            **what,
            "description": description,
            "severity": severity,
            **spot,
            "_rectify_days": days,
        }

    def _get(self, model: type[Any], raw: Any, field: str, problems: dict[str, str]) -> Any:
        if raw in (None, ""):
            return None
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            problems[field] = "must be an id"
            return None
        try:
            wanted = int(raw)
        except ValueError:
            problems[field] = "must be an id"
            return None
        found = self.session.get(model, wanted) if 0 < wanted <= MAX_ID else None
        if found is None:
            problems[field] = "not found"
        return found

    def _contact_owner(self, unit_id: int | None) -> int | None:
        """The unit's contact owner now, whom the request index and the portal show it to."""
        if unit_id is None:
            return None
        rows = self.session.execute(
            select(Ownership.owner_id, Ownership.is_contact).where(
                Ownership.unit_id == unit_id, Ownership.ended_on.is_(None)
            )
        ).all()
        contact = next((row.owner_id for row in rows if row.is_contact), None)
        return contact if contact is not None else (rows[0].owner_id if rows else None)


def _text(raw: Any, limit: int, field: str, problems: dict[str, str]) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw.strip()) > limit:
        problems[field] = f"must be text of at most {limit} characters"
        return None
    return raw.strip() or None
