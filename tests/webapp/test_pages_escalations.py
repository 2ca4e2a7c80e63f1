"""An escalation as the manager it reaches sees it: the overdue step inline with its holder and lateness,
assigned or reassigned right there, a deadline of its own, and closed by the system once the step is done."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from engine.models import HumanTask
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.webapp.pages_support import actor, login, open_task, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def escalations(platform: Platform, instance_id: int) -> list[HumanTask]:
    platform.session.expire_all()
    return [t for t in platform.tasks.open_tasks_of(instance_id) if t.kind == "escalation"]


def test_the_manager_sees_the_overdue_step_reassigns_it_and_the_system_closes_the_escalation(
    client, platform: Platform, clock: FixedClock, job: TimerJob
) -> None:  # type: ignore[no-untyped-def]
    clock.set(sh(2026, 11, 23, 10, 0))  # Monday
    complaint = register(platform)
    triage = open_task(platform, complaint.instance_id)
    platform.tasks.complete(
        triage.id,
        {"category": "quality", "severity": "urgent", "department": "engineering"},
        actor(platform, "crc"),
    )
    handle = open_task(platform, complaint.instance_id)  # one working day: due Tuesday 10:00
    platform.tasks.claim(handle.id, actor(platform, "eng"))
    platform.session.commit()

    job.run_until(sh(2026, 11, 24, 13, 0), clock)  # Tuesday 13:00: three hours, two working hours late
    (first,) = escalations(platform, complaint.instance_id)
    assert (first.assignee, first.department) == ("eng_mgr", "engineering")
    # Its own deadline: before the step climbs to the centre's supervisor a working day later.
    assert (first.due_at, first.deadline_clock) == (sh(2026, 11, 25, 10, 0), "business")

    login(client, "eng_mgr")
    page = client.get(f"/tasks/{first.id}")
    html, shown = page.get_data(as_text=True), text(page)
    assert "被督办的步骤 责任部门处理 已逾期" in shown
    assert f'href="/tasks/{handle.id}"' in html
    card = shown[shown.index("被督办的步骤") :].split("改派给")[0]
    assert "处理人 赵工（工程部）" in card and "期限 2026-11-24 10:00" in card
    # How late, as the inbox counts it, on the deadline's own clock: 10:00–12:00, the lunch break not counted.
    assert "已逾期2小时（工作时间）" in card
    assert f'action="/tasks/{handle.id}/reassign"' in html and "改派给" in shown

    moved = client.post(
        f"/tasks/{handle.id}/reassign",
        data={"username": "eng_mgr", "next": f"/tasks/{first.id}"},
        follow_redirects=True,
    )
    assert "已把「责任部门处理」改派给 孙经理（工程部经理）。" in text(moved)
    assert "处理人 孙经理（工程部经理）" in text(moved)

    # A day later nobody has finished it: the centre's supervisor gets it, and may reassign the step too,
    # though engineering is not their department.
    job.run_until(sh(2026, 11, 25, 10, 1), clock)
    second = [e for e in escalations(platform, complaint.instance_id) if e.escalation_level == 2]
    assert [(e.department, e.assignee) for e in second] == [("crc", "crc_sup")]
    assert second[0].due_at == sh(2026, 11, 26, 10, 0)  # when the group centre would get it
    login(client, "crc_sup")
    assert f'action="/tasks/{handle.id}/reassign"' in client.get(f"/tasks/{second[0].id}").get_data(True)
    assert client.post(f"/tasks/{handle.id}/reassign", data={"username": "eng"}).status_code == 302
    platform.session.expire_all()
    assert platform.session.get(HumanTask, handle.id).assignee == "eng"
    login(client, "crc")  # a coordinator the step was not escalated to may not
    assert client.post(f"/tasks/{handle.id}/reassign", data={"username": "eng_mgr"}).status_code == 403

    platform.tasks.complete(handle.id, {"resolution": "已更换防水层"}, actor(platform, "eng"))
    platform.session.commit()
    assert escalations(platform, complaint.instance_id) == []
    closed = platform.session.get(HumanTask, first.id)
    assert (closed.state, closed.completed_by) == ("resolved", "system")

    login(client, "eng_mgr")
    shown = text(client.get(f"/tasks/{first.id}"))
    assert "系统关闭" in shown and "系统关闭：被督办的步骤已完成" in shown
    assert "已完成 · 孙经理" not in shown and "完成 2026" not in shown
    timeline = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "系统 系统关闭了督办「处理超时：部门经理督办」：被督办的步骤已完成" in timeline
