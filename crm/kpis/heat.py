"""The heat table: category × project over a period, each cell the requests registered in it and its
工单及时率 (closed in the period with no step late ÷ closed in the period) — the days of each pair added up
(kpi_pairs, written by the refresher from the counters' own conditions, crm.kpis.counters), or, when a third
slice is filtered on, one GROUP BY over kpi_cases with those conditions: every cell agrees with the list it
links to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from crm.kpis.counters import CLOSED, COUNTERS, REGISTERED
from crm.kpis.figures import Scope, pair_sums
from crm.kpis.models import KpiCase
from crm.visits.satisfaction import Ratio


@dataclass(frozen=True)
class Cell:
    category: str  # "" not known
    project: str
    registered: int
    closed: int
    closed_on_time: int

    @property
    def on_time(self) -> Ratio:
        return Ratio(self.closed_on_time, self.closed)


@dataclass(frozen=True)
class Heat:
    categories: list[str]
    projects: list[str]
    cells: dict[tuple[str, str], Cell]  # (category, project)

    def cell(self, category: str, project: str) -> Cell | None:
        return self.cells.get((category, project))


def heat(session: Session, scope: Scope) -> Heat:
    cells = _from_pairs(session, scope) if pairs_answer(scope) else _from_facts(session, scope)

    def order(keys: set[str]) -> list[str]:
        return sorted(keys, key=lambda k: (k == "", k))

    return Heat(order({c for c, _ in cells}), order({p for _, p in cells}), cells)


def pairs_answer(scope: Scope) -> bool:
    """Whether kpi_pairs' project × category holds the heat table: filtered by those two slices only."""
    named = [name for name, _ in scope.filters]
    return set(named) <= {"project", "category"} and len(set(named)) == len(named)


def _from_pairs(session: Session, scope: Scope) -> dict[tuple[str, str], Cell]:
    column = {"project": "value_a", "category": "value_b"}
    found = pair_sums(
        session,
        ("project", "category"),
        scope.start,
        scope.end,
        scope.process,
        [(column[name], value) for name, value in scope.filters],
        ["value_b", "value_a"],
        ["registered", "closed", "closed_on_time"],
    )
    cells: dict[tuple[str, str], Cell] = {}
    for (category, project), counts in found.items():
        if counts["registered"] or counts["closed"]:
            cells[(category, project)] = Cell(
                category, project, counts["registered"], counts["closed"], counts["closed_on_time"]
            )
    return cells


def _from_facts(session: Session, scope: Scope) -> dict[tuple[str, str], Cell]:
    registered = and_(REGISTERED.rows, *scope.where(REGISTERED))
    closed = and_(CLOSED.rows, *scope.where(CLOSED))
    on_time = and_(closed, COUNTERS["closed_on_time"][1])
    category = func.coalesce(KpiCase.category, "").label("category")
    project = func.coalesce(KpiCase.project, "").label("project")
    query = (
        select(
            category,
            project,
            func.sum(case((registered, 1), else_=0)).label("registered"),
            func.sum(case((closed, 1), else_=0)).label("closed"),
            func.sum(case((on_time, 1), else_=0)).label("on_time"),
        )
        .where(or_(registered, closed))
        .group_by(category, project)
    )
    cells: dict[tuple[str, str], Cell] = {}
    for row in session.execute(query):
        cells[(row.category, row.project)] = Cell(
            row.category, row.project, int(row.registered or 0), int(row.closed or 0), int(row.on_time or 0)
        )
    return cells
