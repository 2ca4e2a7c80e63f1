"""The dashboards on a hand-built week whose right answers are written here, read on Thursday 3 December
2026 at 08:30 (Shanghai), the centre's morning meeting:

- R0 Mon 11-23 10:00, urgent, engineering: never handled — overdue since Tue 11-24, escalated up to the
  group centre (level 3).
- R1 Mon 11-30 10:00, urgent, engineering: never handled — overdue since Tue 12-01 10:00 (level 2).
- R2 Mon 11-30 10:00, normal, property: handling due Mon 12-07 — not overdue, not due this week.
- R7 Mon 11-30 10:00, normal, property: handled and closed on Tue 12-01, on time, the owner scored it 5.
- R6 Tue 12-01 09:00: left at triage (the centre's step), due Wed 09:00 — overdue.
- R3 Wed 12-02 17:59: waits at triage, due today 17:59 — one minute too early to be "overnight".
- R4 Wed 12-02 18:00: overnight (the boundary counts), triage due today 18:00.
- R5 Thu 12-03 07:00: overnight, triage due tomorrow.

The escalation notes the timers raised for R0, R1 and R6 (some of them due today) are not work of their
own: they count neither as open nor overdue nor due today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.kpis.dashboards import EVERYONE, Dashboards, evening_before, steps
from crm.platform import Foundation, Platform
from crm.worklist import WorklistFilter
from engine.models import HumanTask
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.webapp.pages_support import TRIAGE, complete, login, register, text
from tests.webapp.test_pages_chinese import ALLOWED, foreign_words

REPLY = {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes", "score": 5}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@dataclass
class Week:
    numbers: dict[str, str]


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


@pytest.fixture
def week(platform: Platform, clock: FixedClock, job: TimerJob) -> Week:
    p = platform
    cases: dict[str, Any] = {}
    clock.set(sh(2026, 11, 23, 10, 0))
    cases["R0"] = register(p, description="电梯困人")
    complete(p, cases["R0"].instance_id, "crc", {**TRIAGE, "severity": "urgent"})
    clock.set(sh(2026, 11, 30, 10, 0))
    cases["R1"] = register(p, description="地下室积水")
    complete(p, cases["R1"].instance_id, "crc", {**TRIAGE, "severity": "urgent"})
    property_triage = {**TRIAGE, "category": "property", "department": "property", "severity": "normal"}
    cases["R2"] = register(p, description="门禁失灵")
    complete(p, cases["R2"].instance_id, "crc", property_triage)
    cases["R7"] = register(p, description="路灯不亮")
    complete(p, cases["R7"].instance_id, "crc", property_triage)
    clock.set(sh(2026, 12, 1, 9, 0))
    cases["R6"] = register(p, description="无人分派")
    clock.set(sh(2026, 12, 1, 10, 0))
    complete(p, cases["R7"].instance_id, "property", {"resolution": "已更换灯泡"})
    clock.set(sh(2026, 12, 1, 11, 0))
    complete(p, cases["R7"].instance_id, "crc", REPLY)
    clock.set(sh(2026, 12, 2, 17, 59))
    cases["R3"] = register(p, description="下午登记")
    clock.set(sh(2026, 12, 2, 18, 0))
    cases["R4"] = register(p, description="傍晚登记")
    clock.set(sh(2026, 12, 3, 7, 0))
    cases["R5"] = register(p, description="清晨登记")
    job.run_until(sh(2026, 12, 3, 8, 30), clock)
    clock.set(sh(2026, 12, 3, 8, 30))
    p.session.expire_all()
    p.kpi_refresher.run()
    p.session.commit()
    return Week({name: str(case.number) for name, case in cases.items()})


def test_the_morning_counts(platform: Platform, clock: FixedClock, week: Week) -> None:
    p = platform
    # The escalation notes exist, some due today: they are what the counts below leave out.
    notes = select(func.count()).select_from(HumanTask).where(HumanTask.kind == "escalation")
    assert (p.session.scalar(notes.where(HumanTask.state == "open")) or 0) >= 3
    morning = Dashboards(p.session, clock, p.worklist, p.kpis).morning()
    assert morning.since == sh(2026, 12, 2, 18, 0)
    assert morning.overnight == 2  # R4 (18:00 sharp) and R5; not R3 (17:59)
    overdue = {d.code: (d.open, d.overdue) for d in morning.departments if d.open}
    assert overdue == {"engineering": (2, 2), "crc": (4, 1), "property": (1, 0)}
    assert morning.overdue == 3
    assert morning.escalated == 1  # R0's handling, at the group centre
    assert morning.due_today == 2  # R3's and R4's triage
    assert morning.open_requests == 7  # eight registered, R7 closed
    # The most overdue first.
    assert [d.code for d in morning.departments][:2] == ["engineering", "crc"]


def test_overnight_starts_at_six_the_evening_before() -> None:
    assert evening_before(sh(2026, 12, 3, 0, 5)) == sh(2026, 12, 2, 18, 0)
    assert evening_before(sh(2026, 12, 3, 23, 59)) == sh(2026, 12, 2, 18, 0)
    assert evening_before(datetime(2026, 12, 2, 16, 30, tzinfo=SHANGHAI)) == sh(2026, 12, 1, 18, 0)


def test_a_departments_queue(platform: Platform, clock: FixedClock, week: Week) -> None:
    service = Dashboards(platform.session, clock, platform.worklist, platform.kpis)
    queue = service.queue("engineering")
    assert (queue.open, queue.overdue, queue.due_today, queue.due_week) == (2, 2, 0, 1)  # R1 due Tue
    # R1's handling waited 2 days 22.5 hours, R0's 9 days 22.5 hours.
    assert queue.ages == {"day": 0, "days_3": 1, "days_7": 0, "older": 1}
    crc = service.queue("crc")
    # R5 (1.5 hours), R4 and R3 (14.5 hours) within a day; R6 (47.5 hours) one to three days.
    assert (crc.open, crc.overdue, crc.due_today, crc.due_week) == (4, 1, 2, 4)
    assert crc.ages == {"day": 3, "days_3": 1, "days_7": 0, "older": 0}

    trend = service.trend("property")
    assert (trend.start, trend.end) == (date(2026, 11, 4), date(2026, 12, 3))
    c = trend.total.counts
    # R2 and R7 registered under property, R7 closed; R7's handling done on time (the triage is the
    # centre's step).
    assert (c["registered"], c["registered_closed"], c["steps_done"], c["steps_on_time"]) == (2, 1, 1, 1)
    assert trend.categories == [("property", 2)]
    by_day = {day: g.counts["registered"] for day, g in trend.days if g.counts["registered"]}
    assert by_day == {date(2026, 11, 30): 2}
    assert len(trend.days) == 30
    # The trend's rates are of the seven days ending on each day: R2 and R7 (registered Mon 11-30) count
    # until Sun 12-06, so on Tue 12-01 the week's 封闭率 is R7's 1 of 2 — and nothing before Monday.
    rolling = dict(trend.rolling())
    assert (
        rolling[date(2026, 12, 1)].counts["registered"],
        rolling[date(2026, 12, 1)].counts["registered_closed"],
    ) == (2, 1)
    assert rolling[date(2026, 11, 29)].figures()["closure_rate"].value is None


def test_the_projects_side_by_side(platform: Platform, clock: FixedClock, week: Week) -> None:
    found = Dashboards(platform.session, clock, platform.worklist, platform.kpis).projects(
        date(2026, 11, 1), date(2026, 12, 31)
    )
    assert [r.project for r in found.rows] == ["JNF"]
    row = found.rows[0]
    figures = row.group.figures()
    assert (figures["closure_rate"].numerator, figures["closure_rate"].denominator) == (1, 8)
    assert (figures["on_time_cases"].numerator, figures["on_time_cases"].denominator) == (1, 1)
    # R0 reached levels 1, 2 and 3; R1 levels 1 and 2; R6 level 2.
    assert row.escalations == 6
    assert row.satisfaction is not None and row.satisfaction.answers == 1
    assert row.satisfaction.average_value == 5


# -- the pages -----------------------------------------------------------------------------------------


def links(html: str, prefix: str) -> list[tuple[str, int]]:
    return [
        (unescape(href), int(n))
        for href, n in re.findall(
            rf'<a[^>]* href="({prefix}[^"]*)"[^>]*>(?:<b>)?(\d+)(?:</b>[^<]*)?</a>', html
        )
    ]


def listed(client: Any, href: str) -> int:
    page = client.get(href)
    assert page.status_code == 200, href
    html = page.get_data(as_text=True)
    if href.startswith("/inbox"):
        return len(re.findall(r'<tr class="[^"]*" data-task="\d+"', html))
    return int(re.search(r"共 (\d+) 条", text(page)).group(1))  # type: ignore[union-attr]


def flat(shown: str) -> str:
    """The page's text with "1 / 2" read as 1/2."""
    return re.sub(r" ?/ ?", "/", shown)


def tile(html: str, key: str) -> str:
    found = re.search(rf'id="tile-{key}"[^>]*>(.*?)</div>', html, flags=re.S)
    assert found, key
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def test_the_morning_page_links_each_number_to_its_list(client, week: Week) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc_sup")
    page = client.get("/dashboards/morning")
    assert page.status_code == 200
    html, shown = page.get_data(as_text=True), text(page)
    assert "中心晨会看板" in shown and re.search(r"数据更新于 \d\d:\d\d（每分钟更新）", shown)
    assert tile(html, "overnight") == "2 昨夜新增"
    assert tile(html, "overdue") == "3 超时未办"
    assert tile(html, "escalated") == "1 已升级至集团"
    assert tile(html, "due_today") == "2 今日到期"
    assert tile(html, "open_requests") == "7 在办工单"
    # Every number opens a list of as many rows.
    found = links(html, "/inbox") + links(html, "/kpis/cases")
    assert len(found) >= 5 + 3
    for href, n in found:
        assert listed(client, href) == n, href
    # The overnight list: R4 and R5, not R3.
    overnight = next(href for href, _n in found if "since=" in href)
    body = client.get(overnight).get_data(as_text=True)
    assert week.numbers["R4"] in body and week.numbers["R5"] in body and week.numbers["R3"] not in body
    assert "2026-12-02 18:00 以来" in text(client.get(overnight))
    # Per department: engineering's two overdue steps, the centre's one.
    assert re.search(r"工程部 2 2", shown) and re.search(r"客户关系中心 1 4", shown)


def test_a_coordinator_sees_the_morning_with_links_only_to_queues_she_may_open(client, week: Week) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    html = client.get("/dashboards/morning").get_data(as_text=True)
    assert tile(html, "overdue") == "3 超时未办"
    for href, n in links(html, "/inbox"):
        assert "department=crc" in href
        assert listed(client, href) == n


def test_the_department_page(client, week: Week) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng_mgr")
    page = client.get("/dashboards/department")
    assert page.status_code == 200
    html, shown = page.get_data(as_text=True), flat(text(page))
    assert "部门看板 · 工程部" in shown
    assert tile(html, "open_steps") == "2 未完成"
    assert tile(html, "overdue") == "2 超时未办"
    assert tile(html, "due_today") == "0 今日到期"
    assert tile(html, "due_week") == "1 本周到期"
    assert "7天以上 1" in shown and "1–3天 1" in shown
    assert "封闭率 0.0% 0/2" in shown
    for href, n in links(html, "/inbox") + links(html, "/kpis/cases"):
        assert listed(client, href) == n, href
    # Another department is not a manager's to read; an unknown one is refused in words.
    other = client.get("/dashboards/department?department=property")
    assert other.status_code == 403 and "您只能查看本部门的看板" in text(other)
    unknown = client.get("/dashboards/department?department=nowhere")
    assert unknown.status_code == 400 and "没有这个部门" in text(unknown)


def test_an_overseer_picks_the_department(client, week: Week) -> None:  # type: ignore[no-untyped-def]
    login(client, "group_crc")
    page = client.get("/dashboards/department?department=property")
    assert page.status_code == 200
    shown = flat(text(page))
    assert "部门看板 · 物业服务中心" in shown
    assert "封闭率 50.0% 1/2" in shown and "步骤及时率 100.0% 1/1" in shown
    assert '<option value="engineering"' in page.get_data(as_text=True)


def test_the_group_page(client, week: Week) -> None:  # type: ignore[no-untyped-def]
    login(client, "group_crc")
    page = client.get("/dashboards/group?from=2026-11-01&to=2026-12-31")
    assert page.status_code == 200
    html, shown = page.get_data(as_text=True), flat(text(page))
    assert "2026-11-01 至 2026-12-31" in shown
    # 江南府: eight registered, one closed (on time), the owner's 5; escalations per level 2, 3 and 1.
    assert "江南府 8 12.5% 1/8 100.0% 1/1 5.00 100.0% · 1 份评分 2/3/1" in shown
    for href, n in links(html, "/kpis/cases"):
        assert listed(client, href) == n, href
    assert 'class="figures heat"' in html and 'id="dashboard-charts"' in html
    bad = client.get("/dashboards/group?from=2026-12-31&to=2026-11-01")
    assert bad.status_code == 400 and "开始日期晚于结束日期" in text(bad)


@pytest.mark.parametrize("username", ["crc", "crc_sup", "eng_mgr", "group_crc", "admin"])
def test_each_role_reads_the_dashboards_in_chinese(client, week: Week, username: str) -> None:  # type: ignore[no-untyped-def]
    login(client, username)
    home = client.get("/").get_data(as_text=True)
    assert "/dashboards/" in home
    for path in ("/dashboards/morning", "/dashboards/department", "/dashboards/group"):
        page = client.get(path)
        assert page.status_code == 200, path
        words, _links = foreign_words(page.get_data(as_text=True), ALLOWED)
        assert words == [], (path, words)


def test_those_without_the_figures_are_refused(client, week: Week) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng")
    assert client.get("/dashboards/morning").status_code == 403
    assert "/dashboards/" not in client.get("/").get_data(as_text=True)


def test_bad_addresses_get_a_clear_answer(client, week: Week) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc_sup")
    since = client.get("/kpis/cases?figure=steps_done&from=2026-12-02&to=2026-12-03&since=2026-12-02T18:00")
    assert since.status_code == 400 and "只用于登记的工单" in text(since)
    garbled = client.get("/kpis/cases?figure=registered&from=2026-12-02&to=2026-12-03&since=昨晚")
    assert garbled.status_code == 400 and "起始时刻应写成" in text(garbled)
    assert client.get("/inbox?kind=holiday").status_code == 400
    assert client.get("/inbox?escalated=9").status_code == 400


def test_many_counts_at_once_agree_with_each_alone(platform: Platform, week: Week) -> None:
    who = EVERYONE
    asked = [
        steps(),
        steps(due="overdue"),
        steps("crc", "today"),
        steps(escalated="2"),
        WorklistFilter(department="*", kind="escalation"),
        WorklistFilter(department="engineering", status="completed"),
    ]
    alone = [platform.worklist.count(who, f) for f in asked]
    assert platform.worklist.count_each(who, asked) == alone
    # Open steps 7 (R0, R1, R2 handling, R3–R6 triage), overdue 3, the centre's due today 2, escalated at
    # least to level 2: R0, R1 and R6; the escalation notes themselves; engineering completed nothing.
    assert alone[:4] == [7, 3, 2, 3]
    assert alone[5] == 0
