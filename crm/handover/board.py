"""The building board (交付看板): a building's units floor by floor coloured by readiness, and its defects
counted by status, category and contractor, the overdue ones and the rework rounds — plus a project's
overview listing its buildings with their counts.

Everything is counted by the database (grouped queries on the defects' indexes by building and status):
no defect row is loaded, so the board answers as fast at 100,000 defects as at 100.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Contractor, Project, Unit
from crm.estate.overview import RecordsOverview, UnitGrid, _current_contracts
from crm.handover.models import DEFECT_STATUSES, OPEN_DEFECT_STATUSES, Defect
from crm.handover.readiness import READINESS, UnitDefects, overdue_condition, readiness_of


@dataclass(frozen=True)
class BoardCell:
    unit: Unit
    readiness: str  # READINESS
    open: int
    overdue: int


@dataclass
class BoardFloor:
    floor: int | None
    cells: dict[str, BoardCell] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoryCount:
    category: str
    total: int
    open: int


@dataclass(frozen=True)
class ContractorCount:
    contractor: Contractor | None  # None: rectified by engineering's own engineers (or not assigned yet)
    total: int
    open: int
    overdue: int


@dataclass(frozen=True)
class Rework:
    """Defects sent back at least once (and twice or more), and the units they are in."""

    defects_once: int = 0
    defects_twice: int = 0
    units_once: int = 0
    units_twice: int = 0


@dataclass(frozen=True)
class BuildingBoard:
    building: Building
    columns: list[str]
    floors: list[BoardFloor]
    readiness: dict[str, int]  # units by READINESS
    statuses: dict[str, int]  # defects by DEFECT_STATUSES
    categories: list[CategoryCount]
    contractors: list[ContractorCount]
    overdue: int
    rework: Rework

    @property
    def defects(self) -> int:
        return sum(self.statuses.values())

    @property
    def open(self) -> int:
        return sum(self.statuses.get(s, 0) for s in OPEN_DEFECT_STATUSES)


@dataclass(frozen=True)
class BuildingSummary:
    building: Building
    units: int
    ready: int  # units with no open defect that are not handed over yet
    handed_over: int
    open_units: int
    defects: int
    open: int
    overdue: int


class Boards:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.records = RecordsOverview(session)

    def building(self, building: Building, now: datetime) -> BuildingBoard:
        """Two passes over the building's defects: one grouped by unit (readiness, rework per unit), one by
        status × category × contractor (every count of the side panels)."""
        grid = self.records.grid(building)
        where = Defect.building_id == building.id
        is_open = Defect.status.in_(OPEN_DEFECT_STATUSES)
        late = func.sum(case((overdue_condition(now), 1), else_=0))
        by_unit: dict[int, UnitDefects] = {}
        units_once = units_twice = 0
        for unit_id, opened, overdue, rounds in self.session.execute(
            select(Defect.unit_id, func.sum(case((is_open, 1), else_=0)), late, func.max(Defect.rounds))
            .where(where)
            .group_by(Defect.unit_id)
        ):
            if unit_id is None:
                continue  # the building's common parts: counted below, no unit to colour
            if opened:
                by_unit[unit_id] = UnitDefects(int(opened), int(overdue or 0))
            units_once += int((rounds or 0) >= 1)
            units_twice += int((rounds or 0) >= 2)
        floors, readiness = _colour(grid, by_unit)
        statuses = {status: 0 for status in DEFECT_STATUSES}
        categories: dict[str, list[int]] = {}
        contractors: dict[int | None, list[int]] = {}
        overdue_total = once = twice = 0
        for status, category, contractor_id, count, overdue, reworked, again in self.session.execute(
            select(
                Defect.status,
                Defect.category,
                Defect.contractor_id,
                func.count(),
                late,
                func.sum(case((Defect.rounds >= 1, 1), else_=0)),
                func.sum(case((Defect.rounds >= 2, 1), else_=0)),
            )
            .where(where)
            .group_by(Defect.status, Defect.category, Defect.contractor_id)
        ):
            count, overdue = int(count), int(overdue or 0)
            opened = count if status in OPEN_DEFECT_STATUSES else 0
            statuses[status] = statuses.get(status, 0) + count
            per_category = categories.setdefault(category, [0, 0])
            per_category[0] += count
            per_category[1] += opened
            per_contractor = contractors.setdefault(contractor_id, [0, 0, 0])
            per_contractor[0] += count
            per_contractor[1] += opened
            per_contractor[2] += overdue
            overdue_total += overdue
            once += int(reworked or 0)
            twice += int(again or 0)
        named = {
            c.id: c
            for c in self.session.scalars(
                select(Contractor).where(Contractor.id.in_([k for k in contractors if k is not None]))
            )
        }
        return BuildingBoard(
            building=building,
            columns=grid.columns,
            floors=floors,
            readiness=readiness,
            statuses=statuses,
            categories=sorted(
                (CategoryCount(name, total, opened) for name, (total, opened) in categories.items()),
                key=lambda c: (-c.total, c.category),
            ),
            contractors=sorted(
                (
                    ContractorCount(named.get(cid) if cid is not None else None, t, o, d)
                    for cid, (t, o, d) in contractors.items()
                ),
                key=lambda c: (c.contractor is None, -c.open, -c.total, _name(c)),
            ),
            overdue=overdue_total,
            rework=Rework(once, twice, units_once, units_twice),
        )

    def project(self, project: Project, now: datetime) -> list[BuildingSummary]:
        """Each building of the project with its units' readiness and its defects' counts."""
        buildings = self.records.buildings(project)
        ids = [b.id for b in buildings]
        if not ids:
            return []
        units = dict(
            self.session.execute(
                select(Unit.building_id, func.count())
                .where(Unit.building_id.in_(ids))
                .group_by(Unit.building_id)
            ).all()
        )
        is_open = Defect.status.in_(OPEN_DEFECT_STATUSES)
        counts = {
            building_id: (int(total), int(opened or 0), int(late or 0), int(open_units))
            for building_id, total, opened, late, open_units in self.session.execute(
                select(
                    Defect.building_id,
                    func.count(),
                    func.sum(case((is_open, 1), else_=0)),
                    func.sum(case((overdue_condition(now), 1), else_=0)),
                    func.count(distinct(case((is_open, Defect.unit_id), else_=None))),
                )
                .where(Defect.project_id == project.id)
                .group_by(Defect.building_id)
            )
        }
        handed = self._handed_over(ids)
        open_handed = self._open_units_handed_over(ids)
        summaries = []
        for b in buildings:
            total, opened, late, open_units = counts.get(b.id, (0, 0, 0, 0))
            handed_over = handed.get(b.id, 0)
            # A unit handed over with the owner's agreement may still have open defects: count it once.
            not_ready = open_units - open_handed.get(b.id, 0)
            ready = max(units.get(b.id, 0) - handed_over - not_ready, 0)
            summaries.append(
                BuildingSummary(b, units.get(b.id, 0), ready, handed_over, open_units, total, opened, late)
            )
        return summaries

    def _handed_over(self, building_ids: list[int]) -> dict[int, int]:
        grid_counts: dict[int, int] = {}
        current = _current_contracts().subquery()
        for building_id, count in self.session.execute(
            select(Unit.building_id, func.count())
            .select_from(current)
            .join(Unit, Unit.id == current.c.unit_id)
            .where(Unit.building_id.in_(building_ids), current.c.status == "handed_over")
            .group_by(Unit.building_id)
        ):
            grid_counts[building_id] = int(count)
        return grid_counts

    def _open_units_handed_over(self, building_ids: list[int]) -> dict[int, int]:
        current = _current_contracts().subquery()
        return {
            building_id: int(count)
            for building_id, count in self.session.execute(
                select(Unit.building_id, func.count(distinct(Unit.id)))
                .select_from(current)
                .join(Unit, Unit.id == current.c.unit_id)
                .join(Defect, Defect.unit_id == Unit.id)
                .where(
                    Unit.building_id.in_(building_ids),
                    current.c.status == "handed_over",
                    Defect.status.in_(OPEN_DEFECT_STATUSES),
                )
                .group_by(Unit.building_id)
            )
        }


def _colour(grid: UnitGrid, open_by_unit: dict[int, UnitDefects]) -> tuple[list[BoardFloor], dict[str, int]]:
    counts: Counter[str] = Counter({state: 0 for state in READINESS})
    floors = []
    for row in grid.floors:
        floor = BoardFloor(row.floor)
        for door, cell in row.cells.items():
            found = open_by_unit.get(cell.unit.id)
            readiness = readiness_of(found, cell.state == "handed_over")
            counts[readiness] += 1
            floor.cells[door] = BoardCell(
                cell.unit, readiness, found.open if found else 0, found.overdue if found else 0
            )
        floors.append(floor)
    return floors, dict(counts)


def _name(count: ContractorCount) -> str:
    return count.contractor.name if count.contractor is not None else ""
