"""Writing a batch of checked rows: projects, units (with their buildings, phases and layouts) and
contractors. The records a batch names are looked up at once (a project's buildings, layouts and units are
read once per import), and new and changed rows are written with one statement per table.
Owners and contracts are in crm.estate.import_owners and crm.estate.import_contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.estate.import_sql import insert_all, read, update_all
from crm.estate.imports import Row
from crm.estate.models import Building, Contractor, Layout, Project, ProjectPhase, Unit
from lintel.clock import Clock


@dataclass
class UnitRecord:
    id: int | None
    floor: int | None
    layout_id: int | None
    area_m2: Decimal | None


@dataclass
class ProjectRecords:
    """What an import needs to know of one project: its phases, buildings, layouts and units by name."""

    id: int
    phases: dict[str, int] = field(default_factory=dict)
    buildings: dict[str, list[int | None]] = field(default_factory=dict)  # name -> [id, phase_id]
    layouts: dict[str, list[Any]] = field(default_factory=dict)  # name -> [id, rooms]
    units: dict[tuple[int, str], UnitRecord] = field(default_factory=dict)  # (building id, number)


class Catalogue:
    """Projects by code, and each project's records, read once per import."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.codes: dict[str, int | None] = {}
        self.projects: dict[int, ProjectRecords] = {}

    def project_ids(self, codes: set[str]) -> dict[str, int | None]:
        wanted = [c for c in codes if c not in self.codes]
        if wanted:
            found = dict(
                self.session.execute(select(Project.code, Project.id).where(Project.code.in_(wanted))).all()
            )
            for code in wanted:
                self.codes[code] = found.get(code)
        return {c: self.codes[c] for c in codes}

    def project(self, project_id: int) -> ProjectRecords:
        found = self.projects.get(project_id)
        if found is not None:
            return found
        records = ProjectRecords(project_id)
        s = self.session
        records.phases = dict(
            s.execute(
                select(ProjectPhase.name, ProjectPhase.id).where(ProjectPhase.project_id == project_id)
            ).all()
        )
        for building_id, name, phase_id in s.execute(
            select(Building.id, Building.name, Building.phase_id).where(Building.project_id == project_id)
        ):
            records.buildings[name] = [building_id, phase_id]
        for layout_id, name, rooms in s.execute(
            select(Layout.id, Layout.name, Layout.rooms).where(Layout.project_id == project_id)
        ):
            records.layouts[name] = [layout_id, list(rooms or [])]
        for unit_id, building_id, number, floor, layout_id, area in read(
            s,
            select(Unit.id, Unit.building_id, Unit.number, Unit.floor, Unit.layout_id, Unit.area_m2)
            .join(Building, Building.id == Unit.building_id)
            .where(Building.project_id == project_id),
        ):
            records.units[(building_id, number)] = UnitRecord(unit_id, floor, layout_id, area)
        self.projects[project_id] = records
        return records

    def resolve_units(self, rows: list[Row]) -> dict[int, int]:
        """Each row's unit id (by the row's line); rows naming a project or unit not on file fail."""
        ids = self.project_ids({row.values["project_code"] for row in rows})
        found: dict[int, int] = {}
        for row in rows:
            code = row.values["project_code"]
            project_id = ids.get(code)
            if project_id is None:
                row.fail(*unknown_project(code))
                continue
            records = self.project(project_id)
            building = records.buildings.get(row.values["building"])
            unit = records.units.get((building[0], row.values["unit_number"])) if building else None
            if unit is None or unit.id is None:
                v = row.values
                row.fail(
                    "unknown_unit",
                    f"unit {v['building']} {v['unit_number']} of project {code} is not on file "
                    "(import the units first)",
                    "unit_number",
                    building=v["building"],
                    unit=v["unit_number"],
                    project=code,
                )
                continue
            found[row.line] = unit.id
        return found


def unknown_project(code: str) -> tuple[str, str, str]:
    return "unknown_project", f"project {code} is not on file (import the projects first)", "project_code"


class ProjectsWriter:
    what = "project"

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session

    def key(self, row: Row) -> Any:
        return row.values["project_code"]

    def write(self, rows: list[Row]) -> None:
        codes = [row.values["project_code"] for row in rows]
        existing = {p.code: p for p in self.session.scalars(select(Project).where(Project.code.in_(codes)))}
        for row in rows:
            v = row.values
            project = existing.get(v["project_code"])
            created = project is None
            if project is None:
                project = Project(code=v["project_code"], name=v["project_name"], city=v["city"])
                self.session.add(project)
                self.session.flush()
            changed = False
            if project.name != v["project_name"]:
                project.name, changed = v["project_name"], True
            if v["city"] is not None and project.city != v["city"]:
                project.city, changed = v["city"], True
            known = {p.name for p in project.phases} if not created else set()
            for phase in v["phases"] or []:
                if phase not in known:
                    self.session.add(ProjectPhase(project_id=project.id, name=phase))
                    known.add(phase)
                    changed = True
            row.done(changed, created)


class UnitsWriter:
    what = "unit"

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.catalogue = Catalogue(session)
        self.rooms_given: dict[tuple[int, str], tuple[list[str], int]] = {}

    def key(self, row: Row) -> Any:
        v = row.values
        return v["project_code"], v["building"], v["unit_number"]

    def write(self, rows: list[Row]) -> None:
        ids = self.catalogue.project_ids({row.values["project_code"] for row in rows})
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for row in rows:
            v = row.values
            project_id = ids.get(v["project_code"])
            if project_id is None:
                row.fail(*unknown_project(v["project_code"]))
                continue
            if not self._check_rooms(row, project_id):
                continue
            records = self.catalogue.project(project_id)
            phase_id = self._phase(records, v["phase"])
            layout_id, layout_changed = self._layout(records, v["layout"], v["rooms"])
            building_id, building_changed = self._building(records, v["building"], phase_id)
            key = (building_id, v["unit_number"])
            unit = records.units.get(key)
            if unit is None:
                unit = UnitRecord(None, v["floor"], layout_id, v["area_m2"])
                records.units[key] = unit
                inserts.append(
                    {
                        "building_id": building_id,
                        "number": v["unit_number"],
                        "floor": unit.floor,
                        "layout_id": unit.layout_id,
                        "area_m2": unit.area_m2,
                    }
                )
                row.done(True, created=True)
                continue
            # A blank cell leaves what is on file.
            new = UnitRecord(
                unit.id,
                unit.floor if v["floor"] is None else v["floor"],
                unit.layout_id if layout_id is None else layout_id,
                unit.area_m2 if v["area_m2"] is None else v["area_m2"],
            )
            changed = (new.floor, new.layout_id, new.area_m2) != (unit.floor, unit.layout_id, unit.area_m2)
            if changed:
                records.units[key] = new
                updates.append(
                    {"id": unit.id, "floor": new.floor, "layout_id": new.layout_id, "area_m2": new.area_m2}
                )
            row.done(changed or layout_changed or building_changed)
        if inserts:
            insert_all(self.session, Unit.__table__, inserts)
        if updates:
            update_all(self.session, Unit.__table__, ("id",), updates)

    def _check_rooms(self, row: Row, project_id: int) -> bool:
        """A layout's rooms, when given on several rows, must agree."""
        layout, rooms = row.values["layout"], row.values["rooms"]
        if rooms and not layout:
            row.fail("rooms_without_layout", "rooms are given without a layout", "rooms")
            return False
        if not rooms:
            return True
        earlier = self.rooms_given.get((project_id, layout))
        if earlier is not None and earlier[0] != rooms:
            row.fail(
                "rooms_conflict",
                f"layout {layout} has other rooms on line {earlier[1]}",
                "rooms",
                layout=layout,
                line=earlier[1],
            )
            return False
        self.rooms_given.setdefault((project_id, layout), (rooms, row.line))
        return True

    def _phase(self, records: ProjectRecords, name: str | None) -> int | None:
        if not name:
            return None
        if name not in records.phases:
            phase = ProjectPhase(project_id=records.id, name=name)
            self.session.add(phase)
            self.session.flush()
            records.phases[name] = phase.id
        return records.phases[name]

    def _layout(self, records: ProjectRecords, name: str | None, rooms: list[str] | None) -> tuple[Any, bool]:
        if not name:
            return None, False
        found = records.layouts.get(name)
        if found is None:
            layout = Layout(project_id=records.id, name=name, rooms=rooms or [])
            self.session.add(layout)
            self.session.flush()
            records.layouts[name] = [layout.id, list(rooms or [])]
            return layout.id, True
        if rooms and found[1] != rooms:
            self.session.execute(update(Layout).where(Layout.id == found[0]).values(rooms=rooms))
            found[1] = list(rooms)
            return found[0], True
        return found[0], False

    def _building(self, records: ProjectRecords, name: str, phase_id: int | None) -> tuple[int, bool]:
        found = records.buildings.get(name)
        if found is None:
            building = Building(project_id=records.id, name=name, phase_id=phase_id)
            self.session.add(building)
            self.session.flush()
            records.buildings[name] = [building.id, phase_id]
            return building.id, True
        building_id = found[0]
        assert building_id is not None
        if phase_id is not None and found[1] != phase_id:
            self.session.execute(update(Building).where(Building.id == building_id).values(phase_id=phase_id))
            found[1] = phase_id
            return building_id, True
        return building_id, False


class ContractorsWriter:
    what = "contractor"

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session

    def key(self, row: Row) -> Any:
        return row.values["name"]

    def write(self, rows: list[Row]) -> None:
        names = [row.values["name"] for row in rows]
        existing = {
            c.name: c for c in self.session.scalars(select(Contractor).where(Contractor.name.in_(names)))
        }
        for row in rows:
            v = row.values
            contractor = existing.get(v["name"])
            if contractor is None:
                self.session.add(
                    Contractor(
                        name=v["name"],
                        contact_name=v["contact_name"],
                        phone=v["phone"],
                        trades=v["trades"] or [],
                    )
                )
                row.done(True, created=True)
                continue
            changed = False
            for attr in ("contact_name", "phone", "trades"):
                if v[attr] is not None and getattr(contractor, attr) != v[attr]:
                    setattr(contractor, attr, v[attr])
                    changed = True
            row.done(changed)


def writer_for(kind: str, session: Session, clock: Clock) -> Any:
    from crm.estate.import_contracts import ContractsWriter
    from crm.estate.import_owners import OwnersWriter

    writers: dict[str, Any] = {
        "projects": ProjectsWriter,
        "units": UnitsWriter,
        "owners": OwnersWriter,
        "contracts": ContractsWriter,
        "contractors": ContractorsWriter,
    }
    return writers[kind](session, clock)
