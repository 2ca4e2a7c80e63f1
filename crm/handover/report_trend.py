"""The defect-feedback report's month-on-month trend (环比): defects found in a month against the month
before, by category, by category and part, by contractor and by project — the change and the change in %.

The month is the scope's (`month=2026-11`), else the month its period ends in, else the current month
(Shanghai). The scope's other filters (project, building, contractor, status) apply to both months;
withdrawn defects count in neither, and a defect not yet given to anyone counts under no contractor."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from crm.estate.models import Contractor, Project
from crm.handover.models import Defect
from crm.handover.report_book import Column, Sheet
from crm.handover.report_scope import ReportScope
from lintel.clock import SHANGHAI

SELF = "工程部（自行整改）"  # as the feedback report names them
SLICES = ("category", "part", "contractor", "project")
SLICE_NAMES = {"category": "类别", "part": "类别·部位", "contractor": "整改单位", "project": "项目"}
TREND_COLUMNS = (
    Column("维度", 10),
    Column("名称", 30),
    Column("本月", 9, "int"),
    Column("上月", 9, "int"),
    Column("变化", 9, "int"),
    Column("环比", 9, "pct"),
)


@dataclass(frozen=True)
class TrendRow:
    slice: str
    name: str
    now: int
    before: int

    @property
    def change(self) -> int:
        return self.now - self.before

    @property
    def change_pct(self) -> float | None:
        """The change ÷ last month's count; none when last month had none."""
        return self.change / self.before if self.before else None


def trend_month(scope: ReportScope, now: datetime) -> date:
    if scope.month is not None:
        return scope.month
    if scope.found_to is not None:
        return scope.found_to.replace(day=1)
    return now.astimezone(SHANGHAI).date().replace(day=1)


def previous(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _following(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def trend(session: Session, now: datetime, scope: ReportScope) -> tuple[date, list[TrendRow]]:
    """The month and its rows: per slice (SLICES order), the names found in either month, most found this
    month first."""
    month = trend_month(scope, now)
    before = previous(month)
    base = replace(scope, found_from=None, found_to=None, month=None).conditions(now)
    this_month = (Defect.created_at >= _instant(month)) & (Defect.created_at < _instant(_following(month)))
    in_both = (Defect.created_at >= _instant(before)) & (Defect.created_at < _instant(_following(month)))
    now_count = func.sum(case((this_month, 1), else_=0))
    before_count = func.sum(case((this_month, 0), else_=1))

    keys: dict[str, list[ColumnElement[Any]]] = {
        "category": [Defect.category],
        "part": [Defect.category, Defect.part],
        "contractor": [Contractor.name],
        "project": [Project.name],
    }
    rows: list[TrendRow] = []
    for name in SLICES:
        columns = keys[name]
        query = select(*columns, now_count, before_count).select_from(Defect).where(*base, in_both)
        if name == "contractor":
            query = query.outerjoin(Contractor, Contractor.id == Defect.contractor_id).where(
                Defect.status != "assigning"
            )
        if name == "project":
            query = query.join(Project, Project.id == Defect.project_id)
        found = []
        for row in session.execute(query.group_by(*columns)):
            if name == "part":
                label = f"{row[0]}·{row[1]}"
            elif name == "contractor":
                label = row[0] or SELF
            else:
                label = row[0]
            found.append(TrendRow(name, label, int(row[-2] or 0), int(row[-1] or 0)))
        found.sort(key=lambda r: (-r.now, -r.before, r.name))
        rows.extend(found)
    return month, rows


def trend_sheet(book: Any, line: str, month: date, rows: list[TrendRow]) -> Sheet:
    last = previous(month)
    title = f"缺陷反馈报告：环比（{month.year}年{month.month}月 对比 {last.year}年{last.month}月）"
    sheet = Sheet(book, "环比", title, line, TREND_COLUMNS)
    for row in rows:
        sheet.row((SLICE_NAMES[row.slice], row.name, row.now, row.before, row.change, row.change_pct))
    sheet.note(
        "本月、上月：该月内发现（登记）的问题数，不含已撤销；环比：变化 ÷ 上月问题数，上月为 0 时不计。"
    )
    return sheet
