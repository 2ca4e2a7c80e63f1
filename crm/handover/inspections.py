"""Inspection sessions (验房批次): a project's self-inspection, its owners' open day, its handover
walk-throughs — their dates, the buildings they cover and the inspection engineers who walk them — and what
a session found: its walks and its defects by unit and status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Project, Unit
from crm.handover.models import SESSION_KINDS, Defect, InspectionSession, UnitWalk
from crm.models import User, UserDepartment
from engine.actors import Actor
from engine.errors import InvalidData, NotFound
from lintel.clock import SHANGHAI, Clock

INSPECTOR_ROLE = "inspector"
ENGINEERING = "engineering"  # its members walk units as well as the inspection engineers
MAX_TITLE = 200
# An open day lasts a few days; a handover period a few months: more than a year is a typing mistake.
MAX_DAYS = 366


@dataclass
class UnitFindings:
    """One unit of a session: its walks and its defects counted by status."""

    unit: Unit
    walks: list[UnitWalk] = field(default_factory=list)
    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def defects(self) -> int:
        return sum(self.by_status.values())

    @property
    def signed(self) -> bool:
        return any(w.signed_at is not None for w in self.walks)


@dataclass
class SessionFindings:
    units: list[UnitFindings]
    by_status: Counter[str]
    walks: int
    signed: int


class Inspections:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, session_id: int) -> InspectionSession:
        found = self.session.get(InspectionSession, session_id)
        if found is None:
            raise NotFound(f"inspection {session_id} does not exist")
        return found

    def of_project(self, project_id: int) -> list[InspectionSession]:
        """A project's sessions, the latest first."""
        return list(
            self.session.scalars(
                select(InspectionSession)
                .where(InspectionSession.project_id == project_id)
                .order_by(InspectionSession.starts_on.desc(), InspectionSession.id.desc())
            )
        )

    def current(self, today: date | None = None) -> list[InspectionSession]:
        """Sessions running today or starting later (what an inspector picks on the tablet), soonest first;
        then the last few that ended."""
        today = today or self.clock.now().astimezone(SHANGHAI).date()
        rows = list(
            self.session.scalars(select(InspectionSession).order_by(InspectionSession.starts_on.desc()))
        )
        coming = sorted((s for s in rows if s.ends_on >= today), key=lambda s: (s.starts_on, s.id))
        return coming + [s for s in rows if s.ends_on < today][:10]

    def buildings(self, inspection: InspectionSession) -> list[Building]:
        if not inspection.building_ids:
            return []
        return list(
            self.session.scalars(
                select(Building).where(Building.id.in_(inspection.building_ids)).order_by(Building.name)
            )
        )

    def units(self, inspection: InspectionSession) -> list[Unit]:
        """The units of the session's buildings, by building, floor and number."""
        if not inspection.building_ids:
            return []
        units = self.session.scalars(select(Unit).where(Unit.building_id.in_(inspection.building_ids)))
        return sorted(units, key=lambda u: (u.building.name, u.floor or 0, u.number))

    def inspector_choices(self) -> list[tuple[str, str]]:
        """Active inspection engineers and engineering's people, by name: who may walk units."""
        engineering = set(
            self.session.scalars(
                select(UserDepartment.user_id).where(UserDepartment.department_code == ENGINEERING)
            )
        )
        users = self.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.display_name, User.username)
        )
        return [
            (u.username, u.display_name) for u in users if INSPECTOR_ROLE in u.role_set or u.id in engineering
        ]

    def findings(self, inspection: InspectionSession) -> SessionFindings:
        """Its walks and defects by unit (units without either are left out), and the totals."""
        walks = list(
            self.session.scalars(
                select(UnitWalk).where(UnitWalk.session_id == inspection.id).order_by(UnitWalk.started_at)
            )
        )
        counts = self.session.execute(
            select(Defect.unit_id, Defect.status, func.count())
            .where(Defect.session_id == inspection.id)
            .group_by(Defect.unit_id, Defect.status)
        ).all()
        rows: dict[int, UnitFindings] = {}
        for walk in walks:
            rows.setdefault(walk.unit_id, UnitFindings(walk.unit)).walks.append(walk)
        missing = {unit_id for unit_id, _status, _n in counts if unit_id is not None} - rows.keys()
        for unit in self.session.scalars(select(Unit).where(Unit.id.in_(missing))) if missing else ():
            rows[unit.id] = UnitFindings(unit)
        total: Counter[str] = Counter()
        for unit_id, status, number in counts:
            total[status] += number
            if unit_id is not None:
                rows[unit_id].by_status[status] += number
        units = sorted(rows.values(), key=lambda r: (r.unit.building.name, r.unit.floor or 0, r.unit.number))
        return SessionFindings(
            units=units,
            by_status=total,
            walks=len(walks),
            signed=sum(1 for w in walks if w.signed_at is not None),
        )

    # -- planning ---------------------------------------------------------------------------------------

    def save(
        self, actor: Actor, values: Mapping[str, Any], existing: InspectionSession | None = None
    ) -> InspectionSession:
        """Create a session (values name its project) or change one; every problem reported at once."""
        problems: dict[str, str] = {}
        if existing is not None:
            project: Project | None = existing.project
        else:
            project = _project(self.session, values.get("project_id"), problems)
        kind = values.get("kind")
        if kind not in SESSION_KINDS:
            problems["kind"] = "must be one of: " + ", ".join(SESSION_KINDS)
        title = values.get("title")
        if not isinstance(title, str) or not title.strip():
            problems["title"] = "required"
        elif len(title.strip()) > MAX_TITLE:
            problems["title"] = f"must be at most {MAX_TITLE} characters"
        starts = _date(values.get("starts_on"), "starts_on", problems)
        ends = _date(values.get("ends_on"), "ends_on", problems)
        if starts is not None and ends is not None:
            if ends < starts:
                problems["ends_on"] = "must not be before the first day"
            elif (ends - starts).days >= MAX_DAYS:
                problems["ends_on"] = f"a session lasts at most {MAX_DAYS} days"
        buildings = self._buildings(project, values.get("building_ids"), problems)
        inspectors = self._inspectors(values.get("inspectors"), problems)
        if problems:
            raise InvalidData("the inspection has errors", problems)
        assert project is not None and starts is not None and ends is not None
        inspection = existing or InspectionSession(
            project_id=project.id, created_at=self.clock.now(), created_by=actor.username
        )
        inspection.kind = str(kind)
        inspection.title = str(title).strip()
        inspection.starts_on = starts
        inspection.ends_on = ends
        inspection.building_ids = buildings
        inspection.inspectors = inspectors
        if existing is None:
            self.session.add(inspection)
        self.session.flush()
        return inspection

    def _buildings(self, project: Project | None, raw: Any, problems: dict[str, str]) -> list[int]:
        ids = _ids(raw)
        if ids is None:
            problems["building_ids"] = "must be a list of building ids"
            return []
        if not ids:
            problems["building_ids"] = "choose at least one building"
            return []
        if project is None:
            return []
        known = set(self.session.scalars(select(Building.id).where(Building.project_id == project.id)))
        if set(ids) - known:
            problems["building_ids"] = "not a building of this project"
        return sorted(set(ids))

    def _inspectors(self, raw: Any, problems: dict[str, str]) -> list[str]:
        if raw in (None, ""):
            return []
        if isinstance(raw, str) or not isinstance(raw, Sequence):
            problems["inspectors"] = "must be a list of usernames"
            return []
        names = [n.strip() for n in raw if isinstance(n, str) and n.strip()]
        allowed = dict(self.inspector_choices())
        unknown = [n for n in names if n not in allowed]
        if len(names) != len(raw) or unknown:
            problems["inspectors"] = "not an inspector: " + ", ".join(unknown or ["?"])
        return list(dict.fromkeys(names))


def _project(session: Session, raw: Any, problems: dict[str, str]) -> Project | None:
    found = None
    if isinstance(raw, int | str) and not isinstance(raw, bool) and str(raw).isdigit():
        number = int(raw)
        found = session.get(Project, number) if 0 < number < 2**31 else None
    if found is None:
        problems["project_id"] = "not found"
    return found


def _date(raw: Any, name: str, problems: dict[str, str]) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    problems[name] = "must be a date (YYYY-MM-DD)"
    return None


def _ids(raw: Any) -> list[int] | None:
    if raw in (None, ""):
        return []
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        return None
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            return None
        number = int(str(value).strip())
        if not 0 < number < 2**31:
            return None
        ids.append(number)
    return ids
