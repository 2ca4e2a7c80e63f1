"""指标分析 (/kpis) as a manager reads it: four complaints of November walked through the real workflow —
one closed in time, one closed late, one sent back by the owner, one left open and escalated — then the
figures brought up to date: the page shows their counts and rates beside the definitions, every number opens
exactly the requests behind it, the workbooks hold the same figures, and bad filters get a Chinese answer."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.webapp.pages_support import TRIAGE, complete, login, register, text

NOVEMBER = "from=2026-11-01&to=2026-11-30"
REPLY = {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes", "score": 5}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@dataclass
class November:
    on_time: str  # request numbers
    late: str
    reworked: str
    open: str

    @property
    def all(self) -> set[str]:
        return {self.on_time, self.late, self.reworked, self.open}


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


@pytest.fixture
def november(platform: Platform, clock: FixedClock, job: TimerJob) -> November:
    clock.set(sh(2026, 11, 2, 9, 30))  # Monday
    on_time = register(platform, description="卫生间天花板渗水")
    complete(platform, on_time.instance_id, "crc", TRIAGE)
    complete(platform, on_time.instance_id, "eng", {"resolution": "已更换防水层"})
    complete(platform, on_time.instance_id, "crc", REPLY)

    late = register(platform, description="小区门禁失灵")
    complete(platform, late.instance_id, "crc", {**TRIAGE, "category": "property", "department": "property"})
    clock.set(sh(2026, 11, 16, 10, 0))  # two weeks on: the property centre's step is long overdue
    complete(platform, late.instance_id, "property", {"resolution": "已更换门禁控制器"})
    complete(platform, late.instance_id, "crc", REPLY)

    clock.set(sh(2026, 11, 17, 9, 30))
    reworked = register(platform, description="外墙渗水")
    complete(platform, reworked.instance_id, "crc", TRIAGE)
    complete(platform, reworked.instance_id, "eng", {"resolution": "外墙打胶"})
    complete(platform, reworked.instance_id, "crc", {**REPLY, "satisfied": "no", "score": 2})
    complete(platform, reworked.instance_id, "eng", {"resolution": "重新做外墙防水"})
    complete(platform, reworked.instance_id, "crc", REPLY)

    clock.set(sh(2026, 11, 23, 10, 0))  # Monday: urgent, handling due Tuesday 10:00
    left_open = register(platform, description="电梯困人")
    complete(platform, left_open.instance_id, "crc", {**TRIAGE, "severity": "urgent"})
    job.run_until(sh(2026, 11, 24, 13, 0), clock)  # not handled in time: the department's manager is told
    platform.session.expire_all()

    clock.set(sh(2026, 11, 24, 13, 5))
    platform.kpi_refresher.run()
    platform.session.commit()
    return November(on_time.number, late.number, reworked.number, left_open.number)


def row_text(html: str, name: str) -> str:
    """The text of the figures table's row named `name`."""
    table = html[html.index('<table class="figures">') :]
    table = table[: table.index("</table>")]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S):
        cells = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        cells = re.sub(r" ?/ ?", "/", cells)
        if cells.startswith(name + " "):
            return cells
    raise AssertionError(f"no row {name}")


def drill_links(html: str) -> list[tuple[str, int]]:
    """Every link to a drill-down with the number it shows."""
    return [
        (unescape(href), int(number))
        for href, number in re.findall(r'<a href="(/kpis/cases\?[^"]+)"[^>]*>(\d+)</a>', html)
    ]


def listed_numbers(client: Any, href: str) -> tuple[int, set[str]]:
    page = client.get(href)
    assert page.status_code == 200, href
    shown = text(page)
    total = int(re.search(r"共 (\d+) 条", shown).group(1))  # type: ignore[union-attr]
    return total, set(re.findall(r"TS-\d{4}-\d{6}", page.get_data(as_text=True)))


def test_the_page_shows_each_figure_with_its_parts_and_definition(client, november: November) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng_mgr")
    page = client.get(f"/kpis?{NOVEMBER}&by=department")
    assert page.status_code == 200
    html, shown = page.get_data(as_text=True), text(page)
    assert "2026年11月 · 按部门" in shown
    assert re.search(r"数据更新于 \d\d:\d\d（每分钟更新）", shown)

    # 合计: registered 4, closed 3 of them (75%); steps and cases on time; one sent back; one escalation.
    total = row_text(html, "合计")
    assert total.startswith("合计 4 3 未封闭 1 75.0% 3/4 75.0% 3/4 ")
    assert "66.7% 2/3 超时 1" in total  # 工单及时率: the late one missed its deadline
    assert "33.3% 1/3" in total  # 返工率
    assert total.endswith("1/0/0")  # 升级 一级 / 二级 / 三级
    # Per department, by name: the property centre's one request closed late.
    assert row_text(html, "物业服务中心").startswith("物业服务中心 1 1 未封闭 0 100.0% 1/1")
    assert "0.0% 0/1 超时 1" in row_text(html, "物业服务中心")
    assert row_text(html, "工程部").startswith("工程部 3 2 未封闭 1 66.7% 2/3")

    # Every figure's definition on the page, and on its column's header.
    assert "封闭率 期间内登记且至今已办结的工单 ÷ 期间内登记的工单" in shown
    assert 'title="期间内办结的工单中，没有任何步骤超时的比例。"' in html
    # Durations in readable Chinese, the charts' data beside the tables, the related reports.
    assert re.search(r"\d+(\.\d)? (分钟|小时|天)", total)
    assert 'id="kpi-charts"' in html and "/vendor/echarts/dist/echarts.min.js" in html
    assert (
        'href="/satisfaction?from=2026-11-01&amp;to=2026-11-30"' in html and 'href="/defect-reports"' in html
    )
    assert '<a href="/kpis"' in html  # the menu's entry


def test_every_number_opens_exactly_the_requests_behind_it(client, november: November) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc_sup")
    for by in ("department", "month", "project", ""):
        html = client.get(f"/kpis?{NOVEMBER}&by={by}").get_data(as_text=True)
        links = drill_links(html)
        assert len(links) > 10, by
        for href, number in links:
            total, _numbers = listed_numbers(client, href)
            assert total == number, href

    html = client.get(f"/kpis?{NOVEMBER}&by=").get_data(as_text=True)
    html = html[: html.index('id="heat"')]  # the figures table's own links
    by_figure = {re.search(r"figure=(\w+)", href).group(1): href for href, _ in drill_links(html)}  # type: ignore[union-attr]
    assert listed_numbers(client, by_figure["registered"]) == (4, november.all)
    assert listed_numbers(client, by_figure["registered_open"]) == (1, {november.open})
    assert listed_numbers(client, by_figure["closed_late"]) == (1, {november.late})
    assert listed_numbers(client, by_figure["closed_reworked"]) == (1, {november.reworked})
    assert listed_numbers(client, by_figure["escalations_1"]) == (1, {november.open})

    steps = client.get(by_figure["steps_late"])
    assert "2026年11月 步骤及时率 — 超时的步骤" in text(steps)
    # The property centre's step: due three days after triage, done two weeks later.
    assert (
        f"责任部门处理 物业服务中心 {november.late} 小区门禁失灵 2026-11-05 09:30 2026-11-16 10:00 是"
        in text(steps)
    )
    assert set(re.findall(r"TS-\d{4}-\d{6}", steps.get_data(as_text=True))) == {november.late}

    department = client.get(f"/kpis/cases?{NOVEMBER}&figure=registered&by=department&key=engineering")
    assert "2026年11月 工程部 登记的工单 3 条" in text(department)
    assert f'href="/r/{november.on_time}"' in department.get_data(as_text=True)

    heat = client.get(f"/kpis?{NOVEMBER}").get_data(as_text=True)
    heat = heat[heat.index('id="heat"') :]
    cells = drill_links(heat)
    assert sum(n for href, n in cells if "figure=registered" in href) == 4
    for href, number in cells:
        assert listed_numbers(client, href)[0] == number


def test_the_list_pages_by_fifty(client, platform: Platform, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    clock.set(sh(2026, 11, 10, 9, 0))
    numbers = {register(platform, description=f"第{n}件").number for n in range(53)}
    platform.kpi_refresher.run()
    platform.session.commit()
    login(client, "crc_sup")
    first = listed_numbers(client, f"/kpis/cases?{NOVEMBER}&figure=registered")
    second = listed_numbers(client, f"/kpis/cases?{NOVEMBER}&figure=registered&page=2")
    assert first[0] == second[0] == 53
    assert len(first[1]) == 50 and len(second[1]) == 3 and first[1] | second[1] == numbers


def test_the_workbooks_hold_the_same_figures(client, november: November) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng_mgr")
    html = client.get(f"/kpis?{NOVEMBER}&by=department").get_data(as_text=True)
    assert 'href="/kpis.xlsx?from=2026-11-01&amp;to=2026-11-30&amp;by=department"' in html
    response = client.get(f"/kpis.xlsx?{NOVEMBER}&by=department")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["指标", "类别×项目", "指标定义"]
    rows = list(book["指标"].iter_rows(values_only=True))
    header = rows[2]
    table = {row[0]: dict(zip(header, row, strict=True)) for row in rows[3:]}
    total = table["合计"]
    assert (total["登记"], total["已封闭"], total["未封闭"], total["封闭率"]) == (4, 3, 1, 0.75)
    assert (total["办结"], total["按时办结"], total["返工工单"]) == (3, 2, 1)
    assert total["一级升级"] == 1
    assert table["物业服务中心"]["工单及时率"] == 0
    # Steps count under their own department: the centre's triage and replies have a row of their own.
    assert set(table) == {"工程部", "物业服务中心", "客户关系中心", "合计"}
    assert table["客户关系中心"]["登记"] == 0
    definitions = {row[0]: row[1] for row in book["指标定义"].iter_rows(min_row=4, values_only=True)}
    assert definitions["返工率"].startswith("期间内办结的工单中，业主至少退回过一次")
    heat = list(book["类别×项目"].iter_rows(min_row=4, values_only=True))
    assert sum(row[2] for row in heat) == 4

    listed = client.get(f"/kpis/cases.xlsx?{NOVEMBER}&figure=registered")
    sheet = load_workbook(io.BytesIO(listed.data))["明细"]
    numbers = [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert sorted(numbers) == sorted(november.all)
    assert "登记的工单 4 条" in sheet["A1"].value


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/kpis?from=2026-11-30&to=2026-11-01", "开始日期晚于结束日期"),
        ("/kpis?from=2026-13-01", "日期应写成 2026-11-01 这样的格式"),
        ("/kpis?by=colour", "请从列表中选择分组方式"),
        ("/kpis?process=nothing", "没有这个流程"),
        ("/kpis?from=2020-01-01&to=2026-11-30", "统计期间最长三年"),
        ("/kpis.xlsx?by=colour", "请从列表中选择分组方式"),
        ("/kpis/cases?figure=happiness", "没有这个指标"),
        ("/kpis/cases?figure=registered&from=nope", "日期应写成"),
        ("/kpis/cases?figure=registered&by=colour&key=x", "请从列表中选择分组方式"),
        ("/kpis/cases.xlsx?figure=happiness", "没有这个指标"),
    ],
)
def test_bad_filters_are_answered_in_chinese(client, path: str, message: str) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc_sup")
    page = client.get(path)
    assert page.status_code == 400
    assert message in text(page)


@pytest.mark.parametrize("username", ["eng", "builder", "property"])
def test_who_may_not_see_the_figures_is_refused(client, username: str) -> None:  # type: ignore[no-untyped-def]
    login(client, username)
    for path in (
        "/kpis",
        "/kpis.xlsx",
        "/kpis/cases?figure=registered",
        "/kpis/cases.xlsx?figure=registered",
    ):
        assert client.get(path).status_code == 403, path
    assert '<a href="/kpis"' not in client.get("/").get_data(as_text=True)
