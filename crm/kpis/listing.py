"""The rows behind a number, ready to list: the drill-down's kpi rows with what a reader needs beside them —
each request's number and title (the request index), each escalation's step — for the page and the export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.kpis.counters import DRILLS, ESCALATIONS, STEPS
from crm.kpis.figures import Kpis, Scope
from crm.kpis.models import KpiCase, KpiStep
from crm.models import RequestIndex

CHUNK = 1000


def kind_of(figure: str) -> str:
    """What a drill-down lists: cases, steps or escalations."""
    basis = DRILLS[figure][0]
    if basis is STEPS:
        return "steps"
    if basis is ESCALATIONS:
        return "escalations"
    return "cases"


@dataclass
class Listed:
    kind: str
    rows: list[Any]
    requests: dict[int, tuple[str, str]] = field(default_factory=dict)  # instance id: (number, title)
    steps: dict[int, str] = field(default_factory=dict)  # task id: step name

    def number(self, instance_id: int) -> str:
        return self.requests.get(instance_id, ("", ""))[0]

    def title(self, instance_id: int) -> str:
        return self.requests.get(instance_id, ("", ""))[1]


def describe(session: Session, kind: str, rows: Sequence[Any]) -> Listed:
    listed = Listed(kind, list(rows))
    ids = {row.instance_id for row in rows}
    if ids:
        for instance_id, number, title in session.execute(
            select(RequestIndex.instance_id, RequestIndex.number, RequestIndex.title).where(
                RequestIndex.instance_id.in_(ids)
            )
        ):
            listed.requests[instance_id] = (number, title)
        missing = ids - set(listed.requests)
        if missing:  # a request no longer indexed: the number the figures kept
            for instance_id, number in session.execute(
                select(KpiCase.instance_id, KpiCase.number).where(KpiCase.instance_id.in_(missing))
            ):
                listed.requests[instance_id] = (number or "", "")
    task_ids = {row.task_id for row in rows if kind == "escalations" and row.task_id is not None}
    if task_ids:
        query = select(KpiStep.task_id, KpiStep.name).where(KpiStep.task_id.in_(task_ids))
        listed.steps = {task_id: name for task_id, name in session.execute(query)}
    return listed


def every_row(
    kpis: Kpis,
    scope: Scope,
    figure: str,
    by: str | None = None,
    key: str | None = None,
    *,
    since: datetime | None = None,
) -> Iterator[list[Any]]:
    """The whole list a chunk at a time (an export never holds a million rows at once)."""
    offset = 0
    while True:
        _, rows = kpis.drill(scope, figure, by=by, key=key, offset=offset, limit=CHUNK, since=since)
        if not rows:
            return
        yield rows
        if len(rows) < CHUNK:
            return
        offset += CHUNK
