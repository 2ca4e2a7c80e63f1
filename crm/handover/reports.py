"""The defect reports (缺陷报表), written as XLSX workbooks: the defect list of a project, building or
contractor; the housing bureau's summary of the rectification before handover (住建部门要求的交付前整改统计);
and the defect-feedback report for design and engineering (缺陷反馈报告, crm.handover.report_feedback).

Totals are counted by the database (GROUP BY over the defects table and its indexes), never by loading the
rows; the list streams its rows. None of them names an owner: a unit is enough to find the defect, and the
files travel to bureaus, contractors and design offices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import case, false, func, select, union
from sqlalchemy.orm import Session, aliased, lazyload

from crm.estate.models import Building, Contractor, Project, Unit
from crm.handover.models import OPEN_DEFECT_STATUSES, Defect, UnitWalk
from crm.handover.report_book import Column, Sheet, generated_line, new_book, ratio, save
from crm.handover.report_feedback import write_feedback
from crm.handover.report_scope import RECTIFIED, ReportScope
from crm.models import User
from lintel.clock import SHANGHAI, Clock

KINDS = ("defects", "summary", "feedback")
LIST_BATCH = 2000
COUNTED = ("found", "rectified", "closed", "open")


@dataclass(frozen=True)
class Names:
    """How the reports name what the defects keep as codes (the pages' labels, in Chinese)."""

    status: Mapping[str, str]
    severity: Mapping[str, str]
    source: Mapping[str, str]


LIST_COLUMNS = (
    Column("整改单号", 19),
    Column("项目", 14),
    Column("楼栋", 8),
    Column("房号", 8),
    Column("房间", 8),
    Column("类别", 10),
    Column("部位", 10),
    Column("问题", 16),
    Column("描述", 36),
    Column("严重程度", 9),
    Column("来源", 11),
    Column("状态", 11),
    Column("整改单位", 28),
    Column("整改工程师", 14),
    Column("发现日期", 11, "date"),
    Column("整改期限", 16, "datetime"),
    Column("整改完成", 16, "datetime"),
    Column("复验通过", 16, "datetime"),
    Column("销号日期", 16, "datetime"),
    Column("退回轮次", 9, "int"),
    Column("是否逾期", 9),
)
SUMMARY_COLUMNS = (
    Column("项目", 16),
    Column("楼栋", 10),
    Column("查验户数", 10, "int"),
    Column("发现问题数", 11, "int"),
    Column("已整改", 9, "int"),
    Column("业主确认销号", 13, "int"),
    Column("未销号", 9, "int"),
    Column("整改率", 9, "pct"),
    Column("销号率", 9, "pct"),
    Column("户均问题数", 11, "days"),
)
CATEGORY_COLUMNS = (
    Column("问题类别", 14),
    Column("发现问题数", 11, "int"),
    Column("占比", 9, "pct"),
    Column("涉及户数", 10, "int"),
    Column("已整改", 9, "int"),
    Column("业主确认销号", 13, "int"),
    Column("未销号", 9, "int"),
    Column("整改率", 9, "pct"),
    Column("销号率", 9, "pct"),
)


def counts(*extra: Any) -> tuple[Any, ...]:
    """Found, rectified, closed and open, in one pass over the rows."""
    return (
        *extra,
        func.count().label("found"),
        func.sum(case((Defect.status.in_(RECTIFIED), 1), else_=0)).label("rectified"),
        func.sum(case((Defect.status == "closed", 1), else_=0)).label("closed"),
        func.sum(case((Defect.status.in_(OPEN_DEFECT_STATUSES), 1), else_=0)).label("open"),
    )


class DefectReports:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def write(self, kind: str, scope: ReportScope, names: Names, out: IO[bytes]) -> int:
        """Write the report `kind` (KINDS) to `out`; returns the number of data rows of its first sheet."""
        if kind == "defects":
            return self.defect_list(scope, names, out)
        if kind == "summary":
            return self.bureau_summary(scope, out)
        if kind == "feedback":
            return write_feedback(self.session, self.clock.now(), scope, out)
        raise ValueError(f"no defect report '{kind}'")

    def count(self, scope: ReportScope) -> int:
        """How many defects the scope holds (the page says so before the download)."""
        now = self.clock.now()
        query = select(func.count()).select_from(Defect).where(*scope.conditions(now))
        return int(self.session.scalar(query) or 0)

    # -- the defect list ---------------------------------------------------------------------------------

    def defect_list(self, scope: ReportScope, names: Names, out: IO[bytes]) -> int:
        now = self.clock.now()
        book = new_book()
        sheet = Sheet(book, "缺陷清单", "缺陷清单", generated_line(scope.describe(), now), LIST_COLUMNS)
        engineer = aliased(User)
        query = (
            select(
                Defect,
                Project.name,
                Building.name,
                Unit.number,
                Contractor.name,
                engineer.display_name,
            )
            .join(Project, Project.id == Defect.project_id)
            .join(Building, Building.id == Defect.building_id)
            .outerjoin(Unit, Unit.id == Defect.unit_id)
            .outerjoin(Contractor, Contractor.id == Defect.contractor_id)
            .outerjoin(engineer, engineer.username == Defect.assignee)
            .where(*scope.conditions(now))
            .order_by(Project.name, Building.id, Unit.number, Defect.created_at, Defect.id)
            .execution_options(yield_per=LIST_BATCH)
        )
        # The relationships the model loads by itself are not needed: the names come from the joins.
        query = query.options(lazyload("*"))
        for defect, project, building, unit, contractor, engineer_name in self.session.execute(query):
            late = defect.status == "rectifying" and defect.due_at is not None and defect.due_at < now
            sheet.row(
                (
                    defect.number,
                    project,
                    building,
                    unit or "公共部位",
                    defect.room,
                    defect.category,
                    defect.part,
                    defect.item,
                    defect.description,
                    names.severity.get(defect.severity, defect.severity),
                    names.source.get(defect.source, defect.source),
                    names.status.get(defect.status, defect.status),
                    contractor,
                    engineer_name or defect.assignee,
                    defect.created_at.astimezone(SHANGHAI).date(),
                    defect.due_at,
                    defect.rectified_at,
                    defect.verified_at,
                    defect.closed_at,
                    defect.rounds,
                    "是" if late else "否",
                )
            )
        rows = sheet.rows
        save(book, out)
        return rows

    # -- the housing bureau's summary --------------------------------------------------------------------

    def summary_rows(self, scope: ReportScope) -> list[dict[str, Any]]:
        """Per building: units inspected, issues found, rectified, confirmed by the owner (closed), open."""
        now = self.clock.now()
        found = {
            (row.project_id, row.building_id): row._asdict()
            for row in self.session.execute(
                select(*counts(Defect.project_id, Defect.building_id))
                .where(*scope.conditions(now))
                .group_by(Defect.project_id, Defect.building_id)
            )
        }
        inspected = {
            (project_id, building_id): units
            for project_id, building_id, units in self.session.execute(self._inspected_units(scope, now))
        }
        buildings = set(found) | set(inspected)
        named = self._building_names({b for _p, b in buildings})
        rows = []
        for project_id, building_id in buildings:
            values = found.get((project_id, building_id)) or dict.fromkeys(COUNTED, 0)
            project_name, building_name = named[building_id]
            rows.append(
                {
                    "project_id": project_id,
                    "project": project_name,
                    "building": building_name,
                    "inspected": int(inspected.get((project_id, building_id), 0)),
                    **{k: int(values[k] or 0) for k in COUNTED},
                }
            )
        return sorted(rows, key=lambda r: (r["project"], _building_order(r["building"])))

    def category_rows(self, scope: ReportScope) -> list[dict[str, Any]]:
        now = self.clock.now()
        query = (
            select(*counts(Defect.category), func.count(Defect.unit_id.distinct()).label("units"))
            .where(*scope.conditions(now))
            .group_by(Defect.category)
            .order_by(func.count().desc(), Defect.category)
        )
        return [
            {k: (v if k == "category" else int(v or 0)) for k, v in row._asdict().items()}
            for row in self.session.execute(query)
        ]

    def bureau_summary(self, scope: ReportScope, out: IO[bytes]) -> int:
        now = self.clock.now()
        line = generated_line(scope.describe(), now)
        book = new_book()
        sheet = Sheet(book, "按项目楼栋", "交付前质量问题整改情况统计表", line, SUMMARY_COLUMNS)
        rows = self.summary_rows(scope)
        totals = {k: 0 for k in ("inspected", "found", "rectified", "closed", "open")}
        by_project: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_project.setdefault(row["project"], []).append(row)
        for project, buildings in by_project.items():
            subtotal = {k: sum(r[k] for r in buildings) for k in totals}
            for row in buildings:
                sheet.row(_summary_cells(project, row["building"], row))
            sheet.row(_summary_cells(project, "小计", subtotal), total=True)
            for key in totals:
                totals[key] += subtotal[key]
        data_rows = sheet.rows
        sheet.row(_summary_cells("合计", "", totals), total=True)
        sheet.note(
            "查验户数：期间内有验房记录或登记了问题的房号；已整改：整改完成待复验、待业主确认及已销号的问题；"
            "业主确认销号：业主确认后销号的问题；已撤销的问题不计入。"
        )
        categories = Sheet(book, "按问题类别", "交付前质量问题分类统计表", line, CATEGORY_COLUMNS)
        category_rows = self.category_rows(scope)
        everything = sum(r["found"] for r in category_rows)
        for row in category_rows:
            categories.row(
                (
                    row["category"],
                    row["found"],
                    ratio(row["found"], everything),
                    row["units"],
                    row["rectified"],
                    row["closed"],
                    row["open"],
                    ratio(row["rectified"], row["found"]),
                    ratio(row["closed"], row["found"]),
                )
            )
        found = totals["found"]
        categories.row(
            (
                "合计",
                found,
                ratio(found, found),
                totals["inspected"],
                totals["rectified"],
                totals["closed"],
                totals["open"],
                ratio(totals["rectified"], found),
                ratio(totals["closed"], found),
            ),
            total=True,
        )
        save(book, out)
        return data_rows

    def _inspected_units(self, scope: ReportScope, now: datetime) -> Any:
        """(project, building) → units with a walk or a defect in the scope's period."""
        with_defects = select(Defect.project_id, Defect.building_id, Defect.unit_id).where(
            Defect.unit_id.is_not(None), *scope.conditions(now)
        )
        start, end = scope.bounds()
        walks = (
            select(Building.project_id, Unit.building_id, UnitWalk.unit_id)
            .join(Unit, Unit.id == UnitWalk.unit_id)
            .join(Building, Building.id == Unit.building_id)
        )
        if scope.project is not None:
            walks = walks.where(Building.project_id == scope.project.id)
        if scope.building is not None:
            walks = walks.where(Unit.building_id == scope.building.id)
        if start is not None:
            walks = walks.where(UnitWalk.started_at >= start)
        if end is not None:
            walks = walks.where(UnitWalk.started_at < end)
        if scope.contractor is not None or scope.status:
            walks = walks.where(false())  # a walk has no contractor or status: the defects say
        both = union(with_defects, walks).subquery()
        return select(both.c.project_id, both.c.building_id, func.count(both.c.unit_id.distinct())).group_by(
            both.c.project_id, both.c.building_id
        )

    def _building_names(self, ids: set[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        query = (
            select(Building.id, Project.name, Building.name)
            .join(Project, Project.id == Building.project_id)
            .where(Building.id.in_(sorted(ids)))
        )
        return {row[0]: (row[1], row[2]) for row in self.session.execute(query)}


def _summary_cells(project: str, building: str, row: Mapping[str, int]) -> tuple[Any, ...]:
    return (
        project,
        building,
        row["inspected"],
        row["found"],
        row["rectified"],
        row["closed"],
        row["open"],
        ratio(row["rectified"], row["found"]),
        ratio(row["closed"], row["found"]),
        ratio(row["found"], row["inspected"]),
    )


def _building_order(name: str) -> tuple[int, str]:
    """1栋, 2栋 … 10栋 in their order, not as text (10栋 after 1栋)."""
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)
