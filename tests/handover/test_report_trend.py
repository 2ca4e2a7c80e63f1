"""The defect-feedback report's month-on-month trend (环比) on the known defects of report_support: November
(报表花园: 土建·墙面 ×3 — one closed by 甲建设, one the engineers' own, one not yet given — 门窗·外窗 by
乙防水, 给排水·下水管 by 甲建设; one withdrawn) against October (对照小区: 电气·插座 by 甲建设)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from crm.handover.report_scope import BadScope, ReportScope, Scopes
from crm.handover.reports import DefectReports
from lintel.clock import FixedClock
from tests.handover.report_support import Known, known_defects
from tests.handover.test_reports import NAMES, table
from tests.webapp.pages_support import login


@pytest.fixture
def known(platform, clock: FixedClock) -> Known:  # type: ignore[no-untyped-def]
    return known_defects(platform, clock)


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def trend_rows(platform: Any, scope: ReportScope) -> list[tuple[Any, ...]]:
    out = io.BytesIO()
    DefectReports(platform.session, platform.clock).write("feedback", scope, NAMES, out)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["环比"]
    assert sheet["A1"].value == "缺陷反馈报告：环比（2026年11月 对比 2026年10月）"
    return [tuple(r.values()) for r in table(sheet)]


def test_the_month_against_the_month_before_by_category_part_contractor_and_project(
    platform, known: Known
) -> None:  # type: ignore[no-untyped-def]
    scope = Scopes(platform.session).from_ids({"month": "2026-11"})
    assert (scope.found_from.isoformat(), scope.found_to.isoformat()) == ("2026-11-01", "2026-11-30")
    assert trend_rows(platform, scope) == [
        # slice, name, this month, last month, change, change ÷ last month
        ("类别", "土建", 3, 0, 3, None),
        ("类别", "给排水", 1, 0, 1, None),
        ("类别", "门窗", 1, 0, 1, None),
        ("类别", "电气", 0, 1, -1, -1),
        ("类别·部位", "土建·墙面", 3, 0, 3, None),
        ("类别·部位", "给排水·下水管", 1, 0, 1, None),
        ("类别·部位", "门窗·外窗", 1, 0, 1, None),
        ("类别·部位", "电气·插座", 0, 1, -1, -1),
        ("整改单位", "甲建设工程有限公司", 2, 1, 1, 1),  # +100%: the unassigned one is no one's
        ("整改单位", "乙防水工程有限公司", 1, 0, 1, None),
        ("整改单位", "工程部（自行整改）", 1, 0, 1, None),
        ("项目", "报表花园", 5, 0, 5, None),
        ("项目", "对照小区", 0, 1, -1, -1),
    ]


def test_the_trend_keeps_the_other_filters(platform, known: Known) -> None:  # type: ignore[no-untyped-def]
    scope = ReportScope(contractor=known.jia, found_to=known.defects["closed"].created_at.date())
    assert trend_rows(platform, scope)[:2] == [
        ("类别", "土建", 1, 0, 1, None),
        ("类别", "给排水", 1, 0, 1, None),
    ]


def test_a_month_is_checked(platform, known: Known) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadScope) as refused:
        Scopes(platform.session).from_ids({"month": "2026-13"})
    assert refused.value.codes == {"month": "bad_month"}
    with pytest.raises(BadScope) as refused:
        Scopes(platform.session).from_ids({"month": "2026-11", "found_from": "2026-11-03"})
    assert refused.value.codes == {"month": "month_and_dates"}


def test_the_page_shows_the_trend_of_the_month_chosen(client, known: Known) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng_mgr")
    page = client.get("/defect-reports?month=2026-11").get_data(as_text=True)
    assert "环比：2026年11月对比上月（发现问题数）" in page
    trend = page.split('id="trend-table"')[1].split("</table>")[0]
    assert "<td>甲建设工程有限公司</td>" in trend
    assert '<td class="num">2</td><td class="num">1</td>' in trend and "+100.0%" in trend
    refused = client.get("/defect-reports?month=11/2026")
    assert refused.status_code == 400
    assert "月份应写成 2026-11 这样的格式" in refused.get_data(as_text=True)
