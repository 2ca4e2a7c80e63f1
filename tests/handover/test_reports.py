"""The defect reports as a reader opens them in a spreadsheet: the defect list with its filters, the housing
bureau's summary and the defect-feedback report, counted from defects whose states and dates are known."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from crm.handover.report_scope import BadScope, ReportScope, Scopes
from crm.handover.reports import DefectReports, Names
from lintel.clock import FixedClock
from tests.handover.report_support import Known, known_defects
from webapp.pages.handover_labels import DEFECT_STATUS, SEVERITY, SOURCE

NAMES = Names(DEFECT_STATUS, SEVERITY, SOURCE)


@pytest.fixture
def known(platform, clock: FixedClock) -> Known:  # type: ignore[no-untyped-def]
    return known_defects(platform, clock)


def book(platform, kind: str, scope: ReportScope) -> Any:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    DefectReports(platform.session, platform.clock).write(kind, scope, NAMES, out)
    return load_workbook(io.BytesIO(out.getvalue()))


def table(sheet: Any) -> list[dict[str, Any]]:
    """The rows under the header (row 3) as header → value, up to the first empty row."""
    header = [c.value for c in sheet[3]]
    rows = []
    for values in sheet.iter_rows(min_row=4, values_only=True):
        if all(v is None for v in values):
            break
        rows.append(dict(zip(header, values, strict=False)))
    return rows


def test_the_defect_list_has_one_row_per_defect_with_its_unit_state_and_dates(platform, known: Known) -> None:
    workbook = book(platform, "defects", ReportScope(project=known.project))
    sheet = workbook["缺陷清单"]
    assert sheet["A1"].value == "缺陷清单"
    assert "项目：报表花园" in sheet["A2"].value and "导出时间：2026-11-20 10:00" in sheet["A2"].value
    assert sheet.freeze_panes == "A4"
    assert sheet.column_dimensions["I"].width >= 30  # the description has room
    rows = table(sheet)
    # Withdrawn defects and the other project's are not listed; the rest in building and unit order.
    assert [r["整改单号"] for r in rows] == [
        known.defects[k].number for k in ("closed", "overdue", "verifying", "confirming", "assigning")
    ]
    closed = rows[0]
    assert (closed["项目"], closed["楼栋"], closed["房号"], closed["房间"]) == (
        "报表花园",
        "1栋",
        "0101",
        "客厅",
    )
    assert (closed["类别"], closed["部位"], closed["问题"]) == ("土建", "墙面", "空鼓")
    assert (closed["严重程度"], closed["来源"], closed["状态"]) == ("较重", "业主开放日", "已销号")
    assert closed["整改单位"] == "甲建设工程有限公司"
    # Dates as Shanghai wall time.
    assert closed["发现日期"] == datetime(2026, 11, 10)
    assert closed["销号日期"] == datetime(2026, 11, 18, 10, 0)
    assert closed["是否逾期"] == "否"
    overdue = rows[1]
    assert (overdue["状态"], overdue["严重程度"], overdue["退回轮次"], overdue["是否逾期"]) == (
        "整改中",
        "严重",
        1,
        "是",
    )
    engineer = rows[3]
    assert engineer["整改工程师"] == "赵工（工程部）" and engineer["整改单位"] is None
    # No owner's name or phone travels in the file.
    text = " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    assert "13800000001" not in text and "张伟" not in text


def test_the_defect_list_filters_by_building_contractor_status_and_period(platform, known: Known) -> None:
    def numbers(**given: Any) -> set[str]:
        rows = table(book(platform, "defects", ReportScope(**given))["缺陷清单"])
        return {r["整改单号"] for r in rows}

    d = {k: v.number for k, v in known.defects.items()}
    assert numbers(building=known.b2) == {d["assigning"]}
    assert numbers(contractor=known.jia) == {d["closed"], d["verifying"], d["elsewhere"]}
    assert numbers(contractor=known.jia, project=known.project) == {d["closed"], d["verifying"]}
    assert numbers(status="overdue") == {d["overdue"]}
    assert numbers(status="open", project=known.project) == {
        d["overdue"],
        d["verifying"],
        d["confirming"],
        d["assigning"],
    }
    assert numbers(status="cancelled") == {d["cancelled"]}
    assert numbers(found_from=date(2026, 11, 1), found_to=date(2026, 11, 11)) == {d["closed"], d["overdue"]}
    assert d["elsewhere"] not in numbers(found_from=date(2026, 11, 1))


def test_the_bureau_summary_counts_units_issues_rectified_and_confirmed_per_building(
    platform, known: Known
) -> None:
    workbook = book(platform, "summary", ReportScope())
    sheet = workbook["按项目楼栋"]
    assert sheet["A1"].value == "交付前质量问题整改情况统计表"
    rows = table(sheet)
    by = {(r["项目"], r["楼栋"]): r for r in rows}
    one = by[("报表花园", "1栋")]
    # 0101 and 0102 with defects, 0201 walked without any.
    assert (one["查验户数"], one["发现问题数"], one["已整改"], one["业主确认销号"], one["未销号"]) == (
        3,
        4,
        3,
        1,
        3,
    )
    assert one["整改率"] == pytest.approx(0.75) and one["销号率"] == pytest.approx(0.25)
    two = by[("报表花园", "2栋")]  # the withdrawn defect does not count
    assert (two["查验户数"], two["发现问题数"], two["已整改"], two["未销号"]) == (1, 1, 0, 1)
    subtotal = by[("报表花园", "小计")]
    assert (subtotal["查验户数"], subtotal["发现问题数"], subtotal["业主确认销号"]) == (4, 5, 1)
    total = by[("合计", None)]
    assert (total["查验户数"], total["发现问题数"], total["已整改"], total["业主确认销号"]) == (5, 6, 4, 2)

    categories = {r["问题类别"]: r for r in table(workbook["按问题类别"])}
    assert (categories["土建"]["发现问题数"], categories["土建"]["涉及户数"]) == (3, 3)
    assert (categories["土建"]["已整改"], categories["土建"]["业主确认销号"]) == (2, 1)
    assert categories["土建"]["占比"] == pytest.approx(0.5)
    assert categories["合计"]["发现问题数"] == 6


def test_the_bureau_summary_of_a_period_leaves_out_what_was_found_outside_it(platform, known: Known) -> None:
    scope = ReportScope(found_from=date(2026, 11, 1), found_to=date(2026, 11, 30))
    rows = table(book(platform, "summary", scope)["按项目楼栋"])
    assert {r["项目"] for r in rows} == {"报表花园", "合计"}
    assert rows[-1]["发现问题数"] == 5


def test_the_feedback_report_by_part_contractor_project_and_recurring_items(platform, known: Known) -> None:
    workbook = book(platform, "feedback", ReportScope(project=known.project))
    parts = table(workbook["按类别部位"])
    assert parts[0]["类别"] == "土建" and parts[0]["部位"] == "（小计）" and parts[0]["问题数"] == 3
    wall = next(r for r in parts if r["类别"] == "土建" and r["部位"] == "墙面")
    assert (wall["问题数"], wall["已销号"], wall["未销号"], wall["退回轮次合计"]) == (3, 1, 2, 2)
    assert wall["平均销号天数"] == pytest.approx(8.0)  # recorded 11-10, closed 11-18

    contractors = {r["整改单位"]: r for r in table(workbook["按整改单位"])}
    jia = contractors["甲建设工程有限公司"]
    assert (jia["分派问题数"], jia["已整改"], jia["按期整改"], jia["逾期"], jia["按期率"]) == (
        2,
        2,
        2,
        0,
        1.0,
    )
    yi = contractors["乙防水工程有限公司"]
    assert (yi["分派问题数"], yi["按期整改"], yi["逾期"], yi["返工问题数"]) == (1, 0, 1, 1)
    own = contractors["工程部（自行整改）"]
    assert (own["已整改"], own["逾期"], own["退回轮次合计"], own["返工问题数"]) == (1, 1, 2, 1)
    assert "未分派" not in contractors and len(contractors) == 3  # the defect still to assign is nobody's

    projects = table(workbook["按项目"])
    assert [(r["项目"], r["问题数"], r["其中严重"]) for r in projects] == [("报表花园", 5, 2)]

    top = table(workbook["高发问题"])
    assert (top[0]["排名"], top[0]["部位"], top[0]["问题"], top[0]["出现次数"], top[0]["涉及户数"]) == (
        1,
        "墙面",
        "空鼓",
        2,
        2,
    )


def test_reports_of_a_scope_without_defects_are_empty_not_broken(platform, known: Known) -> None:
    scope = ReportScope(found_from=date(2030, 1, 1))
    for kind in ("defects", "summary", "feedback"):
        workbook = book(platform, kind, scope)
        assert workbook.worksheets[0]["A1"].value
    assert table(book(platform, "summary", scope)["按项目楼栋"])[-1]["发现问题数"] == 0


def test_filters_are_checked_all_at_once(platform, known: Known) -> None:
    scopes = Scopes(platform.session)
    with pytest.raises(BadScope) as refused:
        scopes.from_ids(
            {
                "project": str(known.other.id),
                "building": str(known.b1.id),
                "contractor": "abc",
                "status": "lost",
                "found_from": "2026-11-31",
                "found_to": "",
            }
        )
    assert refused.value.codes == {
        "building": "not_in_project",
        "contractor": "not_an_id",
        "status": "bad_status",
        "found_from": "bad_date",
    }
    with pytest.raises(BadScope) as reversed_period:
        scopes.from_ids({"found_from": "2026-11-30", "found_to": "2026/11/01"})
    assert reversed_period.value.codes == {"found_to": "reversed"}
    with pytest.raises(BadScope) as unknown:
        scopes.from_ids({"project": "99999999", "contractor": "99999999999"})
    assert unknown.value.codes == {"project": "unknown", "contractor": "not_an_id"}

    scope = scopes.from_names({"project": "RPT", "building": "2栋", "contractor": "乙防水工程有限公司"})
    assert (scope.project, scope.building, scope.contractor) == (known.project, known.b2, known.yi)
    with pytest.raises(BadScope) as ambiguous:
        scopes.from_names({"building": "1栋"})  # both projects have one
    assert ambiguous.value.codes == {"building": "ambiguous"}
    assert scopes.from_ids({"building": str(known.b2.id)}).project == known.project
