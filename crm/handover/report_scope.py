"""What a defect report covers: a project, a building, a contractor, a status, the period the defects were
found in. Read from a page's query string (ids) or the command line (a project's code, a building's name, a
contractor's name), checked all at once, and turned into the conditions every report's queries share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Contractor, Project
from crm.handover.models import DEFECT_STATUSES, Defect
from engine.errors import InvalidData
from lintel.clock import SHANGHAI

T = TypeVar("T", Project, Building, Contractor)
# Besides each status: every defect not yet closed, and those past their rectification deadline.
STATUS_CHOICES = (*DEFECT_STATUSES, "open", "overdue")
RECTIFIED = ("verifying", "confirming", "closed")  # rectified and not sent back (待复验, 待业主确认, 已销号)
FILTERS = ("project", "building", "contractor", "status", "found_from", "found_to", "month")
MAX_ID = 2**31 - 1
# Why a filter was refused, by field: a code the pages turn into their words, and the English message.
MESSAGES = {
    "not_an_id": "must be the number of one",
    "unknown": "not found",
    "not_in_project": "the building is not in this project",
    "bad_date": "must be a date like 2026-11-20",
    "bad_month": "must be a month like 2026-11",
    "month_and_dates": "give either a month or the dates found, not both",
    "ambiguous": "several projects have a building of this name: give the project too",
    "reversed": "the period ends before it starts",
    "bad_status": "must be one of: " + ", ".join(STATUS_CHOICES),
}


class BadScope(InvalidData):
    """Filters that cannot be used; `codes` says per field why (see MESSAGES)."""

    def __init__(self, codes: Mapping[str, str]) -> None:
        super().__init__("the report's filters have errors", {f: MESSAGES[c] for f, c in codes.items()})
        self.codes = dict(codes)


@dataclass(frozen=True)
class ReportScope:
    project: Project | None = None
    building: Building | None = None
    contractor: Contractor | None = None
    status: str = ""
    found_from: date | None = None
    found_to: date | None = None
    month: date | None = None  # its first day: the period is that month, its trend against the one before

    def conditions(self, now: datetime, *, with_cancelled: bool = False) -> list[ColumnElement[bool]]:
        """Conditions on `defects` for this scope. Withdrawn defects (已撤销) count in no total; only a list
        asked for them shows them."""
        found: list[ColumnElement[bool]] = []
        if self.project is not None:
            found.append(Defect.project_id == self.project.id)
        if self.building is not None:
            found.append(Defect.building_id == self.building.id)
        if self.contractor is not None:
            found.append(Defect.contractor_id == self.contractor.id)
        start, end = self.bounds()
        if start is not None:
            found.append(Defect.created_at >= start)
        if end is not None:
            found.append(Defect.created_at < end)
        if self.status == "open":
            found.append(Defect.status.in_(("assigning", "rectifying", "verifying", "confirming")))
        elif self.status == "overdue":
            found.append(overdue(now))
        elif self.status:
            found.append(Defect.status == self.status)
        if self.status != "cancelled" and not with_cancelled:
            found.append(Defect.status != "cancelled")
        return found

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as instants: the first day's midnight to the midnight after the last (Shanghai)."""
        start = datetime.combine(self.found_from, time(), SHANGHAI) if self.found_from else None
        end = datetime.combine(self.found_to + timedelta(days=1), time(), SHANGHAI) if self.found_to else None
        return start, end

    def describe(self) -> str:
        """The scope in the words of the report's second line."""
        parts = [f"项目：{self.project.name if self.project else '全部'}"]
        if self.building is not None:
            parts.append(f"楼栋：{self.building.name}")
        if self.contractor is not None:
            parts.append(f"整改单位：{self.contractor.name}")
        if self.month is not None:
            parts.append(f"发现月份：{self.month.year}年{self.month.month}月")
        elif self.found_from or self.found_to:
            since = self.found_from.isoformat() if self.found_from else "最早"
            until = self.found_to.isoformat() if self.found_to else "至今"
            parts.append(f"发现日期：{since} 至 {until}")
        return "；".join(parts)


def overdue(now: datetime) -> ColumnElement[bool]:
    """Still waiting for its rectification after the deadline."""
    return and_(Defect.status == "rectifying", Defect.due_at < now)


class Scopes:
    """Report scopes from what a reader typed: every problem found at once (BadScope)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def from_ids(self, values: Mapping[str, str]) -> ReportScope:
        """The page's filters: ids of the project, building and contractor, a status, two dates."""
        codes: dict[str, str] = {}
        project = self._by_id(Project, values.get("project"), "project", codes)
        building = self._by_id(Building, values.get("building"), "building", codes)
        contractor = self._by_id(Contractor, values.get("contractor"), "contractor", codes)
        return self._finish(project, building, contractor, values, codes)

    def from_names(self, values: Mapping[str, str]) -> ReportScope:
        """The command line's filters: a project's code (or name), a building's name in that project, a
        contractor's name (or id), a status, two dates."""
        codes: dict[str, str] = {}
        project = None
        wanted = (values.get("project") or "").strip()
        if wanted:
            named = (Project.code == wanted) | (Project.name == wanted)
            project = self.session.scalars(select(Project).where(named).order_by(Project.id)).first()
            if project is None:
                codes["project"] = "unknown"
        building = None
        name = (values.get("building") or "").strip()
        if name:
            query = select(Building).where(Building.name == name).order_by(Building.id)
            if project is not None:
                query = query.where(Building.project_id == project.id)
            found = list(self.session.scalars(query))
            if len(found) == 1:
                building = found[0]
            elif "project" not in codes:
                # Two projects may both have a 1栋: without the project the name says nothing.
                codes["building"] = "unknown" if not found else "ambiguous"
        contractor = None
        name = (values.get("contractor") or "").strip()
        if name:
            by_name: ColumnElement[bool] = Contractor.name == name
            if name.isdigit() and int(name) <= MAX_ID:
                by_name = by_name | (Contractor.id == int(name))
            by_order = select(Contractor).where(by_name).order_by(Contractor.id)
            contractor = self.session.scalars(by_order).first()
            if contractor is None:
                codes["contractor"] = "unknown"
        return self._finish(project, building, contractor, values, codes)

    def _finish(
        self,
        project: Project | None,
        building: Building | None,
        contractor: Contractor | None,
        values: Mapping[str, str],
        codes: dict[str, str],
    ) -> ReportScope:
        if project is not None and building is not None and building.project_id != project.id:
            codes["building"] = "not_in_project"
        status = (values.get("status") or "").strip()
        if status and status not in STATUS_CHOICES:
            codes["status"] = "bad_status"
        since = _date(values.get("found_from"), "found_from", codes)
        until = _date(values.get("found_to"), "found_to", codes)
        if since is not None and until is not None and until < since:
            codes["found_to"] = "reversed"
        month = _month(values.get("month"), codes)
        if month is not None and (since is not None or until is not None):
            codes["month"] = "month_and_dates"
        elif month is not None:
            since, until = month, _next_month(month) - timedelta(days=1)
        if codes:
            raise BadScope(codes)
        if project is None and building is not None:
            project = building.project
        return ReportScope(project, building, contractor, status, since, until, month)

    def _by_id(self, model: type[T], raw: str | None, field: str, codes: dict[str, str]) -> T | None:
        text = (raw or "").strip()
        if not text:
            return None
        if not text.isdigit() or not 0 < int(text) <= MAX_ID:
            codes[field] = "not_an_id"
            return None
        found = self.session.get(model, int(text))
        if found is None:
            codes[field] = "unknown"
        return found


def _date(raw: str | None, field: str, codes: dict[str, str]) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        codes[field] = "bad_date"
        return None


def _month(raw: str | None, codes: dict[str, str]) -> date | None:
    """ "2026-11" → 2026-11-01."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(text)
        return date(int(year), int(month), 1)
    except ValueError:
        codes["month"] = "bad_month"
        return None


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
