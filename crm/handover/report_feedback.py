"""The defect-feedback report (缺陷反馈报告) for the design and engineering departments: what goes wrong where
(category → part), how each contractor rectifies (on time, late, days to close, rework), each project, and
the items that keep coming back, and the month against the month before (环比, crm.handover.report_trend) —
what the next project's drawings and contracts should learn from."""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from crm.estate.models import Contractor, Project
from crm.handover.models import OPEN_DEFECT_STATUSES, Defect
from crm.handover.report_book import Column, Sheet, generated_line, new_book, ratio, save
from crm.handover.report_scope import RECTIFIED, ReportScope, overdue
from crm.handover.report_trend import trend, trend_sheet

TOP_ITEMS = 20
SELF = "工程部（自行整改）"  # defects engineering's own engineers rectify, with no contractor

PART_COLUMNS = (
    Column("类别", 12),
    Column("部位", 14),
    Column("问题数", 9, "int"),
    Column("占比", 9, "pct"),
    Column("其中严重", 10, "int"),
    Column("已销号", 9, "int"),
    Column("未销号", 9, "int"),
    Column("平均销号天数", 13, "days"),
    Column("退回轮次合计", 13, "int"),
)
CONTRACTOR_COLUMNS = (
    Column("整改单位", 30),
    Column("分派问题数", 11, "int"),
    Column("已整改", 9, "int"),
    Column("按期整改", 10, "int"),
    Column("逾期", 8, "int"),
    Column("按期率", 9, "pct"),
    Column("平均销号天数", 13, "days"),
    Column("返工问题数", 11, "int"),
    Column("退回轮次合计", 13, "int"),
)
PROJECT_COLUMNS = (
    Column("项目", 16),
    Column("问题数", 9, "int"),
    Column("其中严重", 10, "int"),
    Column("已整改", 9, "int"),
    Column("已销号", 9, "int"),
    Column("未销号", 9, "int"),
    Column("平均销号天数", 13, "days"),
    Column("退回轮次合计", 13, "int"),
)
TOP_COLUMNS = (
    Column("排名", 6, "int"),
    Column("类别", 12),
    Column("部位", 14),
    Column("问题", 18),
    Column("出现次数", 10, "int"),
    Column("占比", 9, "pct"),
    Column("涉及项目数", 11, "int"),
    Column("涉及户数", 10, "int"),
)


def days_to_close(session: Session) -> ColumnElement[Any]:
    """Days from a defect's recording to its closing (销号), as the database counts time."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Defect.closed_at - Defect.created_at) / 86400.0
    return func.julianday(Defect.closed_at) - func.julianday(Defect.created_at)


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _int(value: Any) -> int:
    return int(value or 0)


def _days(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


def feedback_data(session: Session, now: datetime, scope: ReportScope) -> dict[str, list[dict[str, Any]]]:
    """The report's four tables as rows of plain values."""
    where = scope.conditions(now)
    closing = func.avg(case((Defect.status == "closed", days_to_close(session)), else_=None))
    serious = _sum(Defect.severity == "serious")
    closed = _sum(Defect.status == "closed")
    still_open = _sum(Defect.status.in_(OPEN_DEFECT_STATUSES))
    rectified = _sum(Defect.status.in_(RECTIFIED))
    rounds = func.sum(Defect.rounds)

    parts: list[dict[str, Any]] = [
        {
            "category": row[0],
            "part": row[1],
            "found": _int(row[2]),
            "serious": _int(row[3]),
            "closed": _int(row[4]),
            "open": _int(row[5]),
            "days": _days(row[6]),
            "rounds": _int(row[7]),
        }
        for row in session.execute(
            select(Defect.category, Defect.part, func.count(), serious, closed, still_open, closing, rounds)
            .where(*where)
            .group_by(Defect.category, Defect.part)
        )
    ]
    by_category: dict[str, int] = {}
    for row in parts:
        by_category[row["category"]] = by_category.get(row["category"], 0) + row["found"]
    # The largest categories first, and in each its largest parts.
    parts.sort(key=lambda r: (-by_category[r["category"]], r["category"], -r["found"], r["part"]))

    # A defect counts once: rectified (and not sent back) by its deadline, or late — rectified after it, or
    # still waiting past it. One back in rectification and not yet due is neither.
    done = Defect.status.in_(RECTIFIED)
    on_time = _sum(and_(done, Defect.rectified_at <= Defect.due_at))
    late = _sum(or_(and_(done, Defect.rectified_at > Defect.due_at), overdue(now)))
    contractors: list[dict[str, Any]] = [
        {
            "contractor": row[0] or SELF,
            "assigned": _int(row[1]),
            "rectified": _int(row[2]),
            "on_time": _int(row[3]),
            "late": _int(row[4]),
            "days": _days(row[5]),
            "reworked": _int(row[6]),
            "rounds": _int(row[7]),
        }
        for row in session.execute(
            select(
                Contractor.name,
                func.count(),
                rectified,
                on_time,
                late,
                closing,
                _sum(Defect.rounds > 0),
                rounds,
            )
            .select_from(Defect)
            .outerjoin(Contractor, Contractor.id == Defect.contractor_id)
            .where(*where, Defect.status != "assigning")  # not yet given to anyone
            .group_by(Contractor.name)
        )
    ]
    contractors.sort(key=lambda r: (-int(r["assigned"]), str(r["contractor"])))

    projects: list[dict[str, Any]] = [
        {
            "project": row[0],
            "found": _int(row[1]),
            "serious": _int(row[2]),
            "rectified": _int(row[3]),
            "closed": _int(row[4]),
            "open": _int(row[5]),
            "days": _days(row[6]),
            "rounds": _int(row[7]),
        }
        for row in session.execute(
            select(Project.name, func.count(), serious, rectified, closed, still_open, closing, rounds)
            .select_from(Defect)
            .join(Project, Project.id == Defect.project_id)
            .where(*where)
            .group_by(Project.name)
        )
    ]
    projects.sort(key=lambda r: (-r["found"], r["project"]))

    top = [
        {
            "category": row[0],
            "part": row[1],
            "item": row[2],
            "found": _int(row[3]),
            "projects": _int(row[4]),
            "units": _int(row[5]),
        }
        for row in session.execute(
            select(
                Defect.category,
                Defect.part,
                Defect.item,
                func.count(),
                func.count(Defect.project_id.distinct()),
                func.count(Defect.unit_id.distinct()),
            )
            .where(*where)
            .group_by(Defect.category, Defect.part, Defect.item)
            .order_by(func.count().desc(), Defect.category, Defect.part, Defect.item)
            .limit(TOP_ITEMS)
        )
    ]
    return {"parts": parts, "contractors": contractors, "projects": projects, "top": top}


def write_feedback(session: Session, now: datetime, scope: ReportScope, out: IO[bytes]) -> int:
    data = feedback_data(session, now, scope)
    line = generated_line(scope.describe(), now)
    book = new_book()
    total = sum(r["found"] for r in data["parts"])

    sheet = Sheet(book, "按类别部位", "缺陷反馈报告：按类别和部位", line, PART_COLUMNS)
    category = None
    for row in data["parts"]:
        if row["category"] != category:
            category = row["category"]
            same = [r for r in data["parts"] if r["category"] == category]
            found = sum(r["found"] for r in same)
            sheet.row(
                (
                    category,
                    "（小计）",
                    found,
                    ratio(found, total),
                    sum(r["serious"] for r in same),
                    sum(r["closed"] for r in same),
                    sum(r["open"] for r in same),
                    None,
                    sum(r["rounds"] for r in same),
                ),
                total=True,
            )
        sheet.row(
            (
                row["category"],
                row["part"],
                row["found"],
                ratio(row["found"], total),
                row["serious"],
                row["closed"],
                row["open"],
                row["days"],
                row["rounds"],
            )
        )
    rows = sheet.rows

    by_contractor = Sheet(book, "按整改单位", "缺陷反馈报告：按整改单位", line, CONTRACTOR_COLUMNS)
    for row in data["contractors"]:
        by_contractor.row(
            (
                row["contractor"],
                row["assigned"],
                row["rectified"],
                row["on_time"],
                row["late"],
                ratio(row["on_time"], row["on_time"] + row["late"]),
                row["days"],
                row["reworked"],
                row["rounds"],
            )
        )
    by_contractor.note(
        "按期整改：整改完成时间不晚于整改期限；逾期：整改完成晚于期限，或至今仍在整改且已过期限；"
        "返工问题数：复验不通过或业主不认可而退回过的问题。"
    )

    by_project = Sheet(book, "按项目", "缺陷反馈报告：按项目", line, PROJECT_COLUMNS)
    for row in data["projects"]:
        by_project.row(
            (
                row["project"],
                row["found"],
                row["serious"],
                row["rectified"],
                row["closed"],
                row["open"],
                row["days"],
                row["rounds"],
            )
        )

    top = Sheet(book, "高发问题", f"缺陷反馈报告：高发问题（前 {TOP_ITEMS} 项）", line, TOP_COLUMNS)
    for rank, row in enumerate(data["top"], start=1):
        top.row(
            (
                rank,
                row["category"],
                row["part"],
                row["item"],
                row["found"],
                ratio(row["found"], total),
                row["projects"],
                row["units"],
            )
        )
    month, trend_rows = trend(session, now, scope)
    trend_sheet(book, line, month, trend_rows)
    save(book, out)
    return rows
