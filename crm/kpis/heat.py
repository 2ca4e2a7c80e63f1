"""The heat table: category × project over a period, each cell the requests registered in it and its
工单及时率 (closed in the period with no step late ÷ closed in the period) — one GROUP BY over kpi_cases,
with the counters' own conditions (crm.kpis.counters): every cell agrees with the list it links to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from crm.kpis.counters import CLOSED, COUNTERS, REGISTERED
from crm.kpis.figures import Scope
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

    def order(keys: set[str]) -> list[str]:
        return sorted(keys, key=lambda k: (k == "", k))

    return Heat(order({c for c, _ in cells}), order({p for _, p in cells}), cells)
