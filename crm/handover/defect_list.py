"""Defects as lists read them (the API, an inspection's page): filtered by project, building, unit,
session, status and contractor, newest first, a page at a time. A contractor's people never reach these
lists (crm.policy grants them only their own company's work, crm.handover.rectifications)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.handover.models import Defect
from engine.errors import NotFound


@dataclass(frozen=True)
class DefectFilter:
    project_id: int | None = None
    building_id: int | None = None
    unit_id: int | None = None
    session_id: int | None = None
    walk_id: int | None = None
    status: str | None = None
    contractor_id: int | None = None


class DefectList:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(
        self,
        wanted: DefectFilter,
        *,
        limit: int = 50,
        after: int | None = None,
    ) -> tuple[list[Defect], int | None]:
        """A page of defects, newest first; the id to pass as `after` for the next page, or None."""
        query = select(Defect).order_by(Defect.id.desc()).limit(limit + 1)
        for column, value in (
            (Defect.project_id, wanted.project_id),
            (Defect.building_id, wanted.building_id),
            (Defect.unit_id, wanted.unit_id),
            (Defect.session_id, wanted.session_id),
            (Defect.walk_id, wanted.walk_id),
            (Defect.status, wanted.status),
            (Defect.contractor_id, wanted.contractor_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if after is not None:
            query = query.where(Defect.id < after)
        rows = list(self.session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].id if more and rows else None)

    def get(self, defect_id: int) -> Defect:
        """The defect, or NotFound."""
        found = self.session.get(Defect, defect_id) if 0 < defect_id < 2**63 else None
        if found is None:
            raise NotFound(f"defect {defect_id} does not exist")
        return found

    def by_client_id(self, client_id: str) -> Defect | None:
        return self.session.scalars(select(Defect).where(Defect.client_id == client_id)).first()
