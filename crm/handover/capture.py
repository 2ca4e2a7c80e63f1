"""What the tablet sends for each defect it recorded in a unit: the defect, and who walks the unit with whom.

One send records the defect on the inspector's walk of the unit (started, or taken up again, on the way), so
a defect captured offline needs nothing from the server beforehand; a defect the device sends again (its
`client_id`) is answered with the one already recorded, and no walk is started for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.handover.defect_list import DefectList
from crm.handover.defects import FIELDS, Defects
from crm.handover.models import Defect, InspectionSession, UnitWalk
from crm.handover.walks import Walks
from engine.actors import Actor
from engine.errors import InvalidData

WALK_FIELDS = ("owner_id", "companion")


class Capture:
    def __init__(self, defects: Defects, walks: Walks, listing: DefectList) -> None:
        self.defects = defects
        self.walks = walks
        self.listing = listing

    def record(
        self, actor: Actor, inspection: InspectionSession, values: Mapping[str, Any]
    ) -> tuple[Defect, bool, UnitWalk | None]:
        """Record one defect captured in a unit of `inspection`; returns it, whether it is new, its walk."""
        if not isinstance(values, Mapping):
            raise InvalidData("a defect must be an object of field values", {})
        client_id = values.get("client_id")
        if isinstance(client_id, str) and client_id:
            known = self.listing.by_client_id(client_id)
            if known is not None:
                walk = self.walks.get(known.walk_id) if known.walk_id is not None else None
                return known, False, walk
        unknown = {
            str(k): "unknown field"
            for k in values
            if k not in FIELDS and k not in WALK_FIELDS or k in ("session_id", "walk_id")
        }
        if unknown:
            raise InvalidData("the defect has errors", unknown)
        walk, _ = self.walks.start(
            actor,
            inspection,
            values.get("unit_id"),
            owner_id=values.get("owner_id"),
            companion=values.get("companion"),
        )
        fields = {k: v for k, v in values.items() if k in FIELDS}
        fields.update(session_id=inspection.id, walk_id=walk.id, unit_id=walk.unit_id)
        defect, created = self.defects.register(actor, fields)
        return defect, created, walk
