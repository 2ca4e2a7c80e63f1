"""Finding owners when a complaint comes in: by phone, by name, or by the unit they own."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from crm.estate.models import Building, Owner, Ownership, Unit

_UNIT = re.compile(r"^(\d+)\s*(?:栋|幢|号楼|#|-)\s*(\w+)$")
MIN_QUERY = 2


@dataclass(frozen=True)
class OwnerMatch:
    owner: Owner
    units: list[Unit]


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def find_owners(session: Session, text: str, limit: int = 20) -> list[OwnerMatch]:
    """Owners whose phone or name starts with `text`, or who own the unit `text` names ("1201",
    "1栋1201", "1-1201"); nothing for fewer than two characters."""
    query = text.strip()
    compact = re.sub(r"\s+", "", query)
    if len(compact) < MIN_QUERY:
        return []
    unit_match: list[ColumnElement[bool]] = [
        Unit.number == compact,
        (Building.name + Unit.number) == compact,
    ]
    parts = _UNIT.match(compact)
    if parts is not None:
        unit_match.append((Building.name == f"{parts.group(1)}栋") & (Unit.number == parts.group(2)))
    by_unit = (
        select(Ownership.owner_id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(or_(*unit_match))
    )
    owners = session.scalars(
        select(Owner)
        .where(
            or_(
                Owner.phone.like(_prefix(compact), escape="\\"),
                Owner.name.like(_prefix(query), escape="\\"),
                Owner.id.in_(by_unit),
            )
        )
        .options(selectinload(Owner.units))
        .order_by(Owner.name, Owner.id)
        .limit(limit)
    )
    return [OwnerMatch(owner, sorted(owner.units, key=lambda u: u.label)) for owner in owners]
