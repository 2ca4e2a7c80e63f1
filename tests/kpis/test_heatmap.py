"""The process heatmap on complaints walked through the real workflow, whose right answers are written here.

Working hours 9:00–12:00 and 13:30–18:00 (Shanghai). Triage is due 24 hours after registration; handling
by severity (high three days, urgent one day) from triage.

- F, Tue 11-10: registered 9:00, triaged 10:00, handled 11:00, replied 12:00 — closed, two weeks ago.
- A, Mon 11-23: registered 9:00, triaged 9:30 (high), handled 11:30 — waits at the reply.
- B: registered 9:00, triaged 10:00 (high: handling due Thu 10:00) — waits at the handling, in time.
- C: registered 9:00, triaged 10:00 (urgent: handling due Tue 10:00) — waits at the handling, overdue.
- D: registered 9:00 — waits at triage, overdue since Tue 9:00.
- E: registered 9:00, triaged 13:00 (urgent: due Tue 13:00), handled Wed 9:00 — late; waits at the reply.

Now: Wed 11-25 12:00.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.kpis.figures import BadScope
from crm.kpis.heatmap import Heatmap
from crm.platform import Platform
from engine.errors import NotFound
from engine.models import HumanTask
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import COMPLAINT_BPMN
from tests.webapp.pages_support import complete, login, register, text

REPLY = {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes", "score": 5}
HOUR = 3600


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def triage(severity: str) -> dict[str, str]:
    return {"category": "quality", "severity": severity, "department": "engineering"}


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def week(platform: Platform, clock: FixedClock) -> dict[str, Any]:
    cases: dict[str, Any] = {}
    clock.set(sh(2026, 11, 10, 9, 0))
    cases["F"] = register(platform, description="F 入户门变形")
    clock.set(sh(2026, 11, 10, 10, 0))
    complete(platform, cases["F"].instance_id, "crc", triage("high"))
    clock.set(sh(2026, 11, 10, 11, 0))
    complete(platform, cases["F"].instance_id, "eng", {"resolution": "已调整"})
    clock.set(sh(2026, 11, 10, 12, 0))
    complete(platform, cases["F"].instance_id, "crc", REPLY)

    clock.set(sh(2026, 11, 23, 9, 0))  # Monday
    for name in "ABCDE":
        cases[name] = register(platform, description=f"{name} 卫生间渗水")
    clock.set(sh(2026, 11, 23, 9, 30))
    complete(platform, cases["A"].instance_id, "crc", triage("high"))
    clock.set(sh(2026, 11, 23, 10, 0))
    complete(platform, cases["B"].instance_id, "crc", triage("high"))
    complete(platform, cases["C"].instance_id, "crc", triage("urgent"))
    clock.set(sh(2026, 11, 23, 11, 30))
    complete(platform, cases["A"].instance_id, "eng", {"resolution": "已修补"})
    clock.set(sh(2026, 11, 23, 13, 0))
    complete(platform, cases["E"].instance_id, "crc", triage("urgent"))
    clock.set(sh(2026, 11, 25, 9, 0))  # Wednesday
    complete(platform, cases["E"].instance_id, "eng", {"resolution": "已修补"})
    clock.set(sh(2026, 11, 25, 12, 0))
    platform.kpi_refresher.run()
    platform.session.commit()
    return cases


def steps_of(found: Heatmap) -> dict[str, tuple[int, ...]]:
    return {s.element_id: (s.waiting, s.overdue, s.done, s.late, s.with_deadline) for s in found.steps}


def times_of(found: Heatmap) -> dict[str, tuple[int | None, ...]]:
    return {s.element_id: (s.spent_avg, s.spent_p90, s.spent_work_avg, s.spent_work_p90) for s in found.steps}


def test_each_step_counts_what_waits_there_and_how_the_steps_went(platform: Platform, week: Any) -> None:
    found = platform.heatmaps.of("complaint")
    assert (found.start, found.end) == (date(2026, 10, 27), date(2026, 11, 25))
    assert [s.element_id for s in found.steps] == ["triage", "handle", "reply"]  # the diagram's order
    assert [s.name for s in found.steps] == ["客服分派", "责任部门处理", "回复业主并确认"]
    # (waiting, overdue, completed in the period, late, with a deadline)
    assert steps_of(found) == {
        "triage": (1, 1, 5, 0, 5),  # D waits, overdue; F A B C E triaged in time
        "handle": (2, 1, 3, 1, 3),  # B in time, C overdue; F A E handled, E late
        "reply": (2, 0, 1, 0, 1),  # A and E wait; F replied
    }
    # Triage: F 1 h, A 30 min, B 1 h, C 1 h, E 4 h (in working time 3 h: 9:00–12:00).
    # Handling: F 1 h, A 2 h, E 44 h (Mon 13:00 → Wed 9:00; working: Mon 4.5 h + Tue 7.5 h = 12 h).
    assert times_of(found) == {
        "triage": (5400, 4 * HOUR, 4680, 3 * HOUR),
        "handle": (56400, 44 * HOUR, 18000, 12 * HOUR),
        "reply": (HOUR, HOUR, HOUR, HOUR),
    }
    handle = found.step("handle")
    assert handle is not None
    assert (handle.overdue_share.numerator, handle.overdue_share.denominator) == (1, 2)
    assert (handle.late_share.numerator, handle.late_share.denominator) == (1, 3)


def test_the_counts_equal_the_open_tasks_of_the_inbox(platform: Platform, week: Any) -> None:
    found = platform.heatmaps.of("complaint")
    inbox = dict(
        platform.session.execute(
            select(HumanTask.element_id, func.count())
            .where(HumanTask.process_key == "complaint", HumanTask.state == "open", HumanTask.kind == "task")
            .group_by(HumanTask.element_id)
        ).all()
    )
    assert {s.element_id: s.waiting for s in found.steps if s.waiting} == inbox
    assert found.waiting == 5


def test_a_shorter_period_leaves_out_older_steps(platform: Platform, week: Any) -> None:
    found = platform.heatmaps.of("complaint", days=7)
    assert steps_of(found) == {
        "triage": (1, 1, 4, 0, 4),
        "handle": (2, 1, 2, 1, 2),
        "reply": (2, 0, 0, 0, 0),
    }
    assert times_of(found)["triage"] == (5850, 4 * HOUR, 4950, 3 * HOUR)
    assert times_of(found)["reply"] == (None, None, None, None)
    assert platform.heatmaps.of("complaint", version=1).steps == platform.heatmaps.of("complaint").steps


def test_one_version_counts_only_its_own_instances(platform: Platform, week: Any) -> None:
    changed = COMPLAINT_BPMN.read_bytes().replace("回复业主并确认".encode(), "回复业主并回访".encode())
    assert platform.definitions.deploy(changed, "complaint.bpmn", actor="admin").version == 2
    platform.session.commit()
    g = register(platform, description="G 地下室渗水")  # on version 2, waits at triage, in time
    second = platform.heatmaps.of("complaint", version=2)
    assert [s.name for s in second.steps] == ["客服分派", "责任部门处理", "回复业主并回访"]
    assert steps_of(second) == {
        "triage": (1, 0, 0, 0, 0),
        "handle": (0, 0, 0, 0, 0),
        "reply": (0, 0, 0, 0, 0),
    }
    assert steps_of(platform.heatmaps.of("complaint", version=1))["triage"] == (1, 1, 5, 0, 5)
    every = platform.heatmaps.of("complaint")
    assert every.drawn.version == 2 and steps_of(every)["triage"] == (2, 1, 5, 0, 5)
    assert [r.number for r in platform.heatmaps.waiting("complaint", "triage", version=2)[1]] == [g.number]


def test_what_waits_at_a_step_longest_first(platform: Platform, week: Any) -> None:
    total, rows = platform.heatmaps.waiting("complaint", "handle")
    assert total == 2
    assert [(r.number, r.overdue, r.department) for r in rows] == [
        (week["B"].number, False, "engineering"),
        (week["C"].number, True, "engineering"),
    ]
    assert [r.due_at for r in rows] == [sh(2026, 11, 26, 10, 0), sh(2026, 11, 24, 10, 0)]


def test_unknown_process_and_bad_period(platform: Platform) -> None:
    with pytest.raises(NotFound):
        platform.heatmaps.of("no_such_process")
    with pytest.raises(NotFound):
        platform.heatmaps.of("complaint", version=99)
    with pytest.raises(BadScope):
        platform.heatmaps.of("complaint", days=0)


# -- the API --------------------------------------------------------------------------------------------


def test_the_api_gives_each_step_with_numerators_and_denominators(client, auth, week: Any) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/process-definitions/complaint/heatmap?days=30", headers=auth("eng_mgr"))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["process_key"], body["version"], body["drawn_version"], body["days"]) == (
        "complaint",
        None,
        1,
        30,
    )
    assert (body["start"], body["end"]) == ("2026-10-27", "2026-11-25")
    handle = next(s for s in body["steps"] if s["element_id"] == "handle")
    assert handle == {
        "element_id": "handle",
        "name": "责任部门处理",
        "in_diagram": True,
        "waiting": 2,
        "overdue": 1,
        "overdue_share": {"value": 0.5, "numerator": 1, "denominator": 2},
        "completed": 3,
        "spent_avg_s": 56400,
        "spent_p90_s": 44 * HOUR,
        "spent_work_avg_s": 18000,
        "spent_work_p90_s": 12 * HOUR,
        "late_share": {"value": 0.33, "numerator": 1, "denominator": 3},
    }


def test_the_api_refuses_bad_input_clearly(client, auth, week: Any) -> None:  # type: ignore[no-untyped-def]
    headers = auth("eng_mgr")
    missing = client.get("/api/v1/process-definitions/nothing/heatmap", headers=headers)
    assert missing.status_code == 404 and "nothing" in missing.get_json()["message"]
    for days in ("0", "367", "abc", "-3"):
        bad = client.get(f"/api/v1/process-definitions/complaint/heatmap?days={days}", headers=headers)
        assert bad.status_code == 422, days
        assert "days" in bad.get_json()["fields"], days
    no_version = client.get("/api/v1/process-definitions/complaint/heatmap?version=9", headers=headers)
    assert no_version.status_code == 404
    # The figures are for those who read the figures: a department's handler may not.
    assert client.get("/api/v1/process-definitions/complaint/heatmap", headers=auth("eng")).status_code == 403


# -- the pages ------------------------------------------------------------------------------------------


def row_text(html: str, name: str) -> str:
    table = html[html.index('<table class="figures heat-steps">') :]
    table = table[: table.index("</table>")]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S):
        cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        if cells.startswith(name + " "):
            return cells
    raise AssertionError(f"no row {name}")


def test_the_page_lists_every_step_and_links_each_count(client, week: Any) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng_mgr")  # a manager: reads the figures, not the process definitions
    page = client.get("/processes/complaint/heatmap?days=30")
    assert page.status_code == 200
    html, shown = page.get_data(as_text=True), text(page)
    assert "流程热力图 · 投诉处理" in shown and "全部版本" in shown
    assert "等待中 其中超时 近30天完成 平均用时 90分位用时 超时占比" in shown
    assert (
        row_text(html, "责任部门处理")
        == "责任部门处理 2 1 50.0% 3 15.7 小时 工作时间 5.0 小时 44.0 小时 工作时间 1.6 个工作日 33.3% 1/3"
    )
    assert row_text(html, "客服分派").startswith("客服分派 1 1 100.0% 5 1.5 小时")
    assert 'data-heat="' in html and "/processes/complaint/heatmap.xml" in html
    assert 'href="/processes/complaint/heatmap?days=7"' in html  # the periods offered
    assert client.get("/processes/complaint/heatmap.xml").data.startswith(b"<?xml")

    link = re.search(r'<a href="(/processes/complaint/steps/handle[^"]*)"[^>]*>2</a>', html)
    assert link is not None
    listed = client.get(link.group(1))
    assert listed.status_code == 200
    listed_text = text(listed)
    assert "投诉处理 · 责任部门处理 在此等待的工单" in listed_text and "共 2 条" in listed_text
    assert f'href="/r/{week["B"].number}"' in listed.get_data(as_text=True)
    assert (
        f"{week['C'].number} C 卫生间渗水 责任部门处理 工程部 未认领 2026-11-23 10:00 2026-11-24 10:00 是"
        in listed_text
    )


def test_the_page_refuses_a_bad_period_in_chinese(client, week: Any) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc_sup")
    bad = client.get("/processes/complaint/heatmap?days=abc")
    assert bad.status_code == 400
    assert "统计天数须为 1 至 366 之间的整数。" in text(bad)
    assert client.get("/processes/nothing/heatmap").status_code == 404
    login(client, "eng")
    assert client.get("/processes/complaint/heatmap").status_code == 403
    assert client.get("/processes/complaint/steps/handle").status_code == 403


def test_the_version_page_offers_the_heatmap(client, week: Any) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    html = client.get("/processes/complaint/1").get_data(as_text=True)
    assert 'href="/processes/complaint/heatmap?version=1"' in html
    one = client.get("/processes/complaint/heatmap?version=1")
    assert one.status_code == 200 and "第 1 版" in text(one)
