"""A unit's readiness for handover: ready when none of its defects is open. One query answers it for a
whole building (or a list of units), counting on the index of defects by building and status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from crm.handover.models import OPEN_DEFECT_STATUSES, Defect

# What the building board colours a unit by; `handed_over` wins over the rest (its keys are with the owner).
READINESS = ("ready", "open", "overdue", "handed_over")
# A deadline runs while a defect waits to be assigned or to be rectified; past it the defect is overdue.
DEADLINE_STATUSES = ("assigning", "rectifying")


@dataclass(frozen=True)
class UnitDefects:
    """A unit's open defects, how many of them are past their deadline, and the most rework rounds."""

    open: int = 0
    overdue: int = 0

    @property
    def ready(self) -> bool:
        return self.open == 0


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    return and_(Defect.status.in_(DEADLINE_STATUSES), Defect.due_at.is_not(None), Defect.due_at < now)


def readiness_of(unit_defects: UnitDefects | None, handed_over: bool) -> str:
    if handed_over:
        return "handed_over"
    if unit_defects is None or unit_defects.ready:
        return "ready"
    return "overdue" if unit_defects.overdue else "open"


class Readiness:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_building(self, building_id: int, now: datetime) -> dict[int, UnitDefects]:
        """The open defects of each unit of the building that has any (units missing are ready)."""
        overdue = func.sum(case((overdue_condition(now), 1), else_=0))
        rows = self.session.execute(
            select(Defect.unit_id, func.count(), overdue)
            .where(
                Defect.building_id == building_id,
                Defect.status.in_(OPEN_DEFECT_STATUSES),
                Defect.unit_id.is_not(None),
            )
            .group_by(Defect.unit_id)
        ).all()
        return {unit_id: UnitDefects(int(count), int(late or 0)) for unit_id, count, late in rows}

    def of_units(self, unit_ids: Sequence[int], now: datetime) -> dict[int, UnitDefects]:
        """The same for a list of units (those missing have no open defect)."""
        if not unit_ids:
            return {}
        overdue = func.sum(case((overdue_condition(now), 1), else_=0))
        rows = self.session.execute(
            select(Defect.unit_id, func.count(), overdue)
            .where(Defect.unit_id.in_(list(unit_ids)), Defect.status.in_(OPEN_DEFECT_STATUSES))
            .group_by(Defect.unit_id)
        ).all()
        return {unit_id: UnitDefects(int(count), int(late or 0)) for unit_id, count, late in rows}

    def is_ready(self, unit_id: int) -> bool:
        return not self.open_defects(unit_id)

    def open_defects(self, unit_id: int) -> list[Defect]:
        """The unit's open defects, oldest first: what an owner taking the keys now would have to accept."""
        return list(
            self.session.scalars(
                select(Defect)
                .where(Defect.unit_id == unit_id, Defect.status.in_(OPEN_DEFECT_STATUSES))
                .order_by(Defect.created_at, Defect.id)
            )
        )
