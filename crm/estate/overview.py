"""Reading the records for the pages: projects with their counts, a building's units floor by floor with
the state of each (未售, 已签约, 已交付, 已解约), and a unit with its owners, contracts, callers and
requests."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crm.estate.models import (
    Building,
    Caller,
    Contract,
    Contractor,
    Layout,
    Owner,
    Ownership,
    Project,
    Unit,
)
from crm.models import RequestIndex
from engine.errors import NotFound

T = TypeVar("T")
# A unit's state on the grid: its current contract's status, else `cancelled` once a contract was
# cancelled (已解约, for sale again), else `unsold`.
UNIT_STATES = ("unsold", "signed", "handed_over", "cancelled")


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    buildings: int
    units: int
    signed: int
    handed_over: int


@dataclass(frozen=True)
class GridCell:
    unit: Unit
    state: str


@dataclass
class GridFloor:
    floor: int | None
    cells: dict[str, GridCell] = field(default_factory=dict)  # by column (the door: 01, 02 …)


@dataclass(frozen=True)
class UnitGrid:
    """A building's units as its sales table shows them: floors top down, one column per door."""

    building: Building
    columns: list[str]
    floors: list[GridFloor]
    counts: dict[str, int]


def _current_contracts() -> Select[tuple[int, str]]:
    """Each unit's current contract status (its latest that is not cancelled)."""
    ranked = (
        select(
            Contract.unit_id.label("unit_id"),
            Contract.status.label("status"),
            func.row_number()
            .over(partition_by=Contract.unit_id, order_by=(Contract.signed_on.desc(), Contract.id.desc()))
            .label("rank"),
        )
        .where(Contract.status != "cancelled")
        .subquery()
    )
    return select(ranked.c.unit_id, ranked.c.status).where(ranked.c.rank == 1)


def door_of(unit: Unit) -> str:
    """The column a unit stands in: its number without the floor (`1201` on floor 12 is door `01`)."""
    number = unit.number
    if unit.floor is not None and unit.floor > 0:
        match = re.fullmatch(rf"0*{unit.floor}(\d{{2}})", number)
        if match is not None:
            return match.group(1)
    return number


def _door_key(door: str) -> tuple[int, int | str]:
    return (0, int(door)) if door.isdigit() else (1, door)


class RecordsOverview:
    """What the records pages read; every write goes through crm.estate.services.Records."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- one record by id (404 when unknown) -------------------------------------------------------------

    def _get(self, model: type[T], record_id: int, what: str) -> T:
        found = self.session.get(model, record_id) if 0 < record_id <= 2**63 - 1 else None
        if found is None:
            raise NotFound(f"{what} {record_id} does not exist")
        return found

    def project(self, project_id: int) -> Project:
        return self._get(Project, project_id, "project")

    def building(self, building_id: int) -> Building:
        return self._get(Building, building_id, "building")

    def layout(self, layout_id: int) -> Layout:
        return self._get(Layout, layout_id, "layout")

    def unit(self, unit_id: int) -> Unit:
        return self._get(Unit, unit_id, "unit")

    def owner(self, owner_id: int) -> Owner:
        return self._get(Owner, owner_id, "owner")

    def contract(self, contract_id: int) -> Contract:
        return self._get(Contract, contract_id, "contract")

    def contractor(self, contractor_id: int) -> Contractor:
        return self._get(Contractor, contractor_id, "contractor")

    # -- projects ---------------------------------------------------------------------------------------

    def projects(self) -> list[ProjectSummary]:
        projects = list(self.session.scalars(select(Project).order_by(Project.code)))
        buildings = dict(
            self.session.execute(
                select(Building.project_id, func.count()).group_by(Building.project_id)
            ).all()
        )
        units = dict(
            self.session.execute(
                select(Building.project_id, func.count())
                .select_from(Unit)
                .join(Building, Building.id == Unit.building_id)
                .group_by(Building.project_id)
            ).all()
        )
        current = _current_contracts().subquery()
        states: Counter[tuple[int, str]] = Counter()
        for project_id, status, count in self.session.execute(
            select(Building.project_id, current.c.status, func.count())
            .select_from(current)
            .join(Unit, Unit.id == current.c.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .group_by(Building.project_id, current.c.status)
        ):
            states[(project_id, status)] = count
        return [
            ProjectSummary(
                project=p,
                buildings=buildings.get(p.id, 0),
                units=units.get(p.id, 0),
                signed=states[(p.id, "signed")],
                handed_over=states[(p.id, "handed_over")],
            )
            for p in projects
        ]

    def buildings(self, project: Project) -> list[Building]:
        return list(
            self.session.scalars(
                select(Building).where(Building.project_id == project.id).order_by(Building.name)
            )
        )

    def layouts(self, project: Project) -> list[Layout]:
        return list(
            self.session.scalars(select(Layout).where(Layout.project_id == project.id).order_by(Layout.name))
        )

    def grid(self, building: Building) -> UnitGrid:
        units = list(self.session.scalars(select(Unit).where(Unit.building_id == building.id)))
        ids = [u.id for u in units]
        status: dict[int, str] = {}
        cancelled: set[int] = set()
        if ids:
            current = _current_contracts().subquery()
            status = dict(
                self.session.execute(
                    select(current.c.unit_id, current.c.status).where(current.c.unit_id.in_(ids))
                ).all()
            )
            cancelled = set(
                self.session.scalars(
                    select(Contract.unit_id).where(Contract.unit_id.in_(ids), Contract.status == "cancelled")
                )
            )
        floors: dict[int | None, GridFloor] = {}
        columns: set[str] = set()
        counts: Counter[str] = Counter()
        for unit in units:
            state = status.get(unit.id) or ("cancelled" if unit.id in cancelled else "unsold")
            counts[state] += 1
            door = door_of(unit)
            columns.add(door)
            row = floors.setdefault(unit.floor, GridFloor(unit.floor))
            if door in row.cells:  # two numbers read as one door: keep both, the second by its number
                door = unit.number
                columns.add(door)
            row.cells[door] = GridCell(unit, state)
        ordered = sorted(floors.values(), key=lambda f: (f.floor is None, -(f.floor or 0)))
        return UnitGrid(building, sorted(columns, key=_door_key), ordered, dict(counts))

    # -- one unit -------------------------------------------------------------------------------------

    def unit_state(self, unit: Unit) -> str:
        contracts = self.contracts(unit)
        current = next((c for c in contracts if c.status != "cancelled"), None)
        if current is not None:
            return current.status
        return "cancelled" if contracts else "unsold"

    def contracts(self, unit: Unit) -> list[Contract]:
        """The unit's contracts, newest first."""
        return list(
            self.session.scalars(
                select(Contract)
                .where(Contract.unit_id == unit.id)
                .order_by(Contract.signed_on.desc(), Contract.id.desc())
            )
        )

    def past_owners(self, unit: Unit) -> list[Ownership]:
        """Ownerships of the unit that ended (a transfer, a cancelled contract), the latest first."""
        return list(
            self.session.scalars(
                select(Ownership)
                .where(Ownership.unit_id == unit.id, Ownership.ended_on.is_not(None))
                .order_by(Ownership.ended_on.desc(), Ownership.owner_id)
            )
        )

    def callers(self, unit_ids: Sequence[int]) -> list[Caller]:
        """People who called about these units without owning them, the latest first."""
        if not unit_ids:
            return []
        return list(
            self.session.scalars(
                select(Caller)
                .where(Caller.unit_id.in_(list(unit_ids)))
                .order_by(Caller.created_at.desc(), Caller.id.desc())
            )
        )

    def unit_requests(self, unit: Unit, limit: int = 200) -> list[RequestIndex]:
        """Every request about the unit, of any process: open ones first, then the newest."""
        return list(
            self.session.scalars(
                select(RequestIndex)
                .where(RequestIndex.unit_id == unit.id)
                .order_by((RequestIndex.status == "open").desc(), RequestIndex.created_at.desc())
                .limit(limit)
            )
        )

    # -- contractors ----------------------------------------------------------------------------------

    def contractors(self) -> list[Contractor]:
        return list(
            self.session.scalars(select(Contractor).order_by(Contractor.active.desc(), Contractor.name))
        )
