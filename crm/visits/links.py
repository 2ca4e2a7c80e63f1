"""The link between a visit and the complaint its dissatisfied answer opened, as the request pages show it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Complaint, RequestIndex
from crm.visits.models import Visit
from crm.visits.visits import PROCESS_KEY, visit_of_instance


@dataclass(frozen=True)
class VisitLink:
    """What a request page shows of the other side of a visit and the complaint it opened."""

    visit_id: int
    campaign: str
    visit_number: str | None  # the visit's request (HF-…)
    complaint_number: str | None  # the complaint it opened (TS-…)


def visit_link(session: Session, instance_id: int, process_key: str) -> VisitLink | None:
    """For a visit's request: its visit and the complaint it opened; for a complaint opened by a visit: that
    visit. None for any other request."""
    if process_key == PROCESS_KEY:
        visit = visit_of_instance(session, instance_id)
    else:
        visit_id = session.scalar(
            select(Complaint.visit_id).where(
                Complaint.instance_id == instance_id, Complaint.visit_id.is_not(None)
            )
        )
        visit = session.get(Visit, visit_id) if visit_id is not None else None
    if visit is None:
        return None
    visit_number = (
        session.scalar(select(RequestIndex.number).where(RequestIndex.instance_id == visit.instance_id))
        if visit.instance_id
        else None
    )
    complaint_number = (
        session.scalar(select(Complaint.number).where(Complaint.id == visit.complaint_id))
        if visit.complaint_id
        else None
    )
    return VisitLink(visit.id, visit.campaign.name, visit_number, complaint_number)
