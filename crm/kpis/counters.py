"""The counters every figure is a ratio of — defined once, here.

Each counter counts rows of one fact table on one of its days (its *basis*) that meet a condition. The
same definition adds up the days (`kpi_days`, written by the refresher), answers a filtered question straight
from the facts, and lists the cases behind a number (the drill-down), so the three always agree.

| counter | rows | counted on the day | condition |
|---|---|---|---|
| registered | requests, not cancelled | registered | — |
| registered_closed | requests, not cancelled | registered | closed now |
| closed | closed requests | closed | — |
| closed_on_time | closed requests | closed | no step missed its deadline |
| closed_reworked | closed requests | closed | the owner sent it back at least once |
| steps_done | completed steps that had a deadline | completed | — |
| steps_on_time | completed steps that had a deadline | completed | not late |
| escalations_N | escalations | escalated | level N (3: level 3 and above) |

Drill-down lists also offer the complements: registered_open, closed_late, steps_late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, select, true
from sqlalchemy.orm import Session

from crm.kpis.models import DIMS, PAIRS, KpiCase, KpiEscalation, KpiStep

ALL = "all"  # kpi_days.dim for the totals of a process


@dataclass(frozen=True)
class Basis:
    name: str
    table: Any
    day: Any
    rows: ColumnElement[bool]

    def column(self, name: str) -> Any:
        return getattr(self.table, name)


REGISTERED = Basis("registered", KpiCase, KpiCase.registered_day, KpiCase.status != "cancelled")
CLOSED = Basis("closed", KpiCase, KpiCase.closed_day, KpiCase.status == "closed")
STEPS = Basis(
    "steps", KpiStep, KpiStep.completed_day, and_(KpiStep.state == "completed", KpiStep.has_deadline)
)
ESCALATIONS = Basis("escalations", KpiEscalation, KpiEscalation.day, true())
BASES = (REGISTERED, CLOSED, STEPS, ESCALATIONS)

COUNTERS: dict[str, tuple[Basis, ColumnElement[bool]]] = {
    "registered": (REGISTERED, true()),
    "registered_closed": (REGISTERED, KpiCase.status == "closed"),
    "closed": (CLOSED, true()),
    "closed_on_time": (CLOSED, not_(KpiCase.late)),
    "closed_reworked": (CLOSED, KpiCase.reworked > 0),
    "steps_done": (STEPS, true()),
    "steps_on_time": (STEPS, not_(KpiStep.late)),
    "escalations_1": (ESCALATIONS, KpiEscalation.level == 1),
    "escalations_2": (ESCALATIONS, KpiEscalation.level == 2),
    "escalations_3": (ESCALATIONS, KpiEscalation.level >= 3),
}
# What a drill-down may list: every counter, and the rows a counter leaves out of its basis.
DRILLS: dict[str, tuple[Basis, ColumnElement[bool]]] = {
    **COUNTERS,
    "registered_open": (REGISTERED, KpiCase.status != "closed"),
    "closed_late": (CLOSED, KpiCase.late),
    "steps_late": (STEPS, KpiStep.late),
}


def counters_of(basis: Basis) -> list[tuple[str, ColumnElement[bool]]]:
    return [(name, condition) for name, (b, condition) in COUNTERS.items() if b is basis]


def count(
    session: Session,
    groups: Sequence[tuple[str, Any]],
    where: Any,
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Every counter per group. `groups` names the grouping columns by attribute ("day", "process_key", a
    slice); `where(basis)` gives each basis's extra conditions (a list)."""
    totals: dict[tuple[Any, ...], dict[str, int]] = {}
    for basis in BASES:
        columns = [_group_column(basis, name, how) for name, how in groups]
        sums = [func.sum(case((condition, 1), else_=0)).label(name) for name, condition in counters_of(basis)]
        query = select(*columns, *sums).where(basis.rows, *where(basis)).group_by(*columns)
        for row in session.execute(query):
            key = tuple(row[: len(columns)])
            into = totals.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name, _ in counters_of(basis):
                into[name] += int(row._mapping[name] or 0)
    return totals


def _group_column(basis: Basis, name: str, how: Any) -> Any:
    if name == "day":
        return basis.day.label("day")
    column = basis.column(name)
    return func.coalesce(column, "").label(name) if how == "blank" else column.label(name)


def count_rows(session: Session, days: Sequence[date] | None) -> list[dict[str, Any]]:
    """The kpi_days rows of these days (None: all days) from the facts."""
    rows: list[dict[str, Any]] = []
    for dim in (ALL, *DIMS):
        groups: list[tuple[str, Any]] = [("day", None), ("process_key", None)]
        if dim != ALL:
            groups.append((dim, "blank"))

        def where(basis: Basis) -> list[Any]:
            return [basis.day.in_(days)] if days is not None else [basis.day.is_not(None)]

        for key, counts in count(session, groups, where).items():
            if not any(counts.values()):
                continue
            rows.append(
                {
                    "day": key[0],
                    "process_key": key[1],
                    "dim": dim,
                    "value": key[2] if dim != ALL else "",
                    **counts,
                }
            )
    return rows


def count_pairs(session: Session, days: Sequence[date] | None) -> list[dict[str, Any]]:
    """The kpi_pairs rows of these days (None: all days) from the facts: per day, process and each two
    slices' values."""

    def where(basis: Basis) -> list[Any]:
        return [basis.day.in_(days)] if days is not None else [basis.day.is_not(None)]

    rows: list[dict[str, Any]] = []
    for a, b in PAIRS:
        groups: list[tuple[str, Any]] = [("day", None), ("process_key", None), (a, "blank"), (b, "blank")]
        for key, counts in count(session, groups, where).items():
            if any(counts.values()):
                rows.append(
                    {
                        "dim_a": a,
                        "dim_b": b,
                        "day": key[0],
                        "process_key": key[1],
                        "value_a": key[2],
                        "value_b": key[3],
                        **counts,
                    }
                )
    return rows
