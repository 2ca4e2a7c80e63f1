"""The slices a request is counted under: project, department, category, channel, severity.

Every request has its project and category in the request index; the records behind some processes know more:
a complaint its channel, severity and responsible department (chosen at triage); a defect its severity, where
it was found (its channel: self-check, open day, handover) and the department of its contractor. A request
whose record names no department is counted under the department of its latest workflow step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.handover.models import Defect
from crm.models import Complaint, Department, RequestIndex


@dataclass(frozen=True)
class Dims:
    number: str | None = None
    project: str | None = None
    department: str | None = None
    category: str | None = None
    channel: str | None = None
    severity: str | None = None


def dims_of(session: Session, ids: Sequence[int]) -> dict[int, Dims]:
    found: dict[int, Dims] = {}
    for row in session.execute(
        select(
            RequestIndex.instance_id, RequestIndex.number, RequestIndex.project, RequestIndex.category
        ).where(RequestIndex.instance_id.in_(ids))
    ):
        found[row.instance_id] = Dims(number=row.number, project=row.project, category=row.category)
    complaints = select(
        Complaint.instance_id,
        Complaint.channel,
        Complaint.severity,
        Complaint.category,
        Complaint.department,
    ).where(Complaint.instance_id.in_(ids))
    defects = (
        select(Defect.instance_id, Defect.source, Defect.severity, Defect.category, Department.code)
        .outerjoin(Department, Department.contractor_id == Defect.contractor_id)
        .where(Defect.instance_id.in_(ids))
    )
    # The record behind a request (a complaint, a defect) knows more than the index: its slices win.
    for query in (complaints, defects):
        for instance_id, channel, severity, category, department in session.execute(query):
            known = found.get(instance_id, Dims())
            found[instance_id] = replace(
                known,
                channel=channel,
                severity=severity,
                category=category or known.category,
                department=department or known.department,
            )
    return found
