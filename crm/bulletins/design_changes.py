"""Choosing who a design change goes to: a project's buildings, and its units as the centre types them
(`1栋1201, 2-0302`: the forms crm.estate.search reads), with how many owners that reaches — the same
question `audience.design_change_owners` answers when the notice is approved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.bulletins import audience
from crm.bulletins.models import natural_order
from crm.estate.models import Building, Project, Unit
from crm.estate.search import unit_ids

MAX_UNITS = 500
_SEPARATORS = re.compile(r"[\s,，;；、]+")


@dataclass(frozen=True)
class TypedUnits:
    ids: list[int] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # the numbers no unit of the project answers
    too_many: bool = False


def units_of(session: Session, project_id: int, text: str) -> TypedUnits:
    """The project's units named in `text`, in the order written, each once."""
    words = [w for w in _SEPARATORS.split(text or "") if w]
    if len(words) > MAX_UNITS:
        return TypedUnits(too_many=True)
    ids: list[int] = []
    unknown: list[str] = []
    for word in words:
        named = unit_ids(word[:100])
        found = (
            list(
                session.scalars(
                    select(Unit.id)
                    .join(Building, Building.id == Unit.building_id)
                    .where(Unit.id.in_(named), Building.project_id == project_id)
                    .order_by(Unit.id)
                )
            )
            if named is not None
            else []
        )
        if not found:
            unknown.append(word)
        ids.extend(i for i in found if i not in ids)
    return TypedUnits(ids, unknown)


def buildings_of(session: Session, project_id: int) -> list[Building]:
    found = session.scalars(select(Building).where(Building.project_id == project_id))
    return sorted(found, key=lambda b: (natural_order(b.name), b.id))


def projects(session: Session) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.name, Project.id)))


def reach(session: Session, project_id: int, building_ids: Sequence[int], unit_ids: Sequence[int]) -> int:
    """How many owners a design change to these buildings and units of the project reaches."""
    return audience.count(session, audience.design_change_owners(project_id, building_ids, unit_ids))
