"""我的回访: the open visits of a visitor (or of everyone, for those who run campaigns), those to call now
first by their deadline, then those waiting for another day by when they come back. One query serves the
page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Owner, Unit
from crm.visits.models import Campaign, Visit
from crm.visits.visits import CALL_STEP
from engine.models import HumanTask, ProcessInstance

MAX_ROWS = 500


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    campaign: str
    owner: str
    phone: str
    unit: str
    task_id: int | None  # the open call step: to be called now
    due_at: datetime | None  # the step's deadline
    next_call_at: datetime | None  # waiting for another day: when the call comes back

    @property
    def attempt(self) -> int:
        """The attempt to be made next (第 N 次回访)."""
        return self.visit.attempts + 1


def visit_rows(
    session: Session,
    *,
    visitor: str | None = None,
    status: str | None = "open",
    campaign_id: int | None = None,
    limit: int = MAX_ROWS,
) -> tuple[list[VisitRow], int]:
    """The visits matching, and how many there are in all."""
    conditions = []
    if visitor is not None:
        conditions.append(Visit.visitor == visitor)
    if status is not None:
        conditions.append(Visit.status == status)
    if campaign_id is not None:
        conditions.append(Visit.campaign_id == campaign_id)
    step = (
        select(HumanTask.id, HumanTask.instance_id, HumanTask.due_at)
        .where(HumanTask.element_id == CALL_STEP, HumanTask.kind == "task", HumanTask.state == "open")
        .subquery()
    )
    waiting = case((step.c.id.is_(None), 1), else_=0)
    query = (
        select(
            Visit,
            Campaign.name,
            Owner.name,
            Owner.phone,
            Building.name,
            Unit.number,
            step.c.id,
            step.c.due_at,
            ProcessInstance.next_timer_at,
        )
        .join(Campaign, Campaign.id == Visit.campaign_id)
        .join(Owner, Owner.id == Visit.owner_id)
        .join(Unit, Unit.id == Visit.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .outerjoin(step, step.c.instance_id == Visit.instance_id)
        .outerjoin(ProcessInstance, ProcessInstance.id == Visit.instance_id)
        .where(*conditions)
        .order_by(
            waiting,
            func.coalesce(step.c.due_at, ProcessInstance.next_timer_at),
            Visit.id,
        )
        .limit(limit)
    )
    rows = [
        VisitRow(
            visit=visit,
            campaign=campaign,
            owner=owner,
            phone=phone,
            unit=f"{building}{number}",
            task_id=task_id,
            due_at=due_at,
            next_call_at=None if task_id is not None or visit.status != "open" else next_at,
        )
        for visit, campaign, owner, phone, building, number, task_id, due_at, next_at in session.execute(
            query
        )
    ]
    total = session.scalar(select(func.count()).select_from(Visit).where(*conditions)) or 0
    return rows, total


def visitors(session: Session) -> list[str]:
    """Everyone who holds visits, for the filter."""
    return list(
        session.scalars(
            select(Visit.visitor).where(Visit.visitor.is_not(None)).distinct().order_by(Visit.visitor)
        )
    )
