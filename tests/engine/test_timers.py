"""Deadlines that hold: due moments in business time, the reminder and escalation ladder, the owner pause,
timer start events — all with the clock moved, never slept."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.directory import actor_for
from crm.platform import Foundation, Platform
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import DATA


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def actor(platform: Platform, username: str):  # type: ignore[no-untyped-def]
    user = platform.directory.user(username)
    assert user is not None
    return actor_for(user)


def register(platform: Platform, phone: str = "13800000001"):  # type: ignore[no-untyped-def]
    return platform.complaints.register(
        actor(platform, "crc"), channel="forum", description="门窗漏风", owner_phone=phone
    )


def only_task(platform: Platform, instance_id: int, kind: str = "task") -> HumanTask:
    rows = [r for r in platform.tasks.open_tasks_of(instance_id) if r.kind == kind]
    assert len(rows) == 1, [(r.element_id, r.kind) for r in rows]
    return rows[0]


def triage(platform: Platform, complaint, severity: str) -> HumanTask:  # type: ignore[no-untyped-def]
    row = only_task(platform, complaint.instance_id)
    platform.tasks.complete(
        row.id,
        {"category": "quality", "severity": severity, "department": "engineering"},
        actor(platform, "crc"),
    )
    return only_task(platform, complaint.instance_id)


def kinds(platform: Platform, instance_id: int) -> list[str]:
    return list(
        platform.session.scalars(
            select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


def test_triage_is_due_24_calendar_hours_after_intake(platform: Platform, clock: FixedClock) -> None:
    clock.set(sh(2026, 9, 24, 19, 0))  # Thursday evening, the Mid-Autumn holiday starts tomorrow
    complaint = register(platform)
    row = only_task(platform, complaint.instance_id)
    assert (row.due_at, row.deadline_clock) == (sh(2026, 9, 25, 19, 0), "calendar")


def test_a_complaint_on_the_eve_of_a_holiday_is_due_after_it_in_working_time(
    platform: Platform, clock: FixedClock
) -> None:
    clock.set(sh(2026, 9, 24, 19, 0))  # Thursday after hours; 25-27 September is the Mid-Autumn holiday
    handle = triage(platform, register(platform), "urgent")
    # One working day from the next working moment (Monday 09:00): Monday at the end of the day.
    assert (handle.due_at, handle.deadline_clock) == (sh(2026, 9, 28, 18, 0), "business")


def test_a_friday_evening_complaint_before_qingming_is_due_after_the_holiday(
    platform: Platform, clock: FixedClock
) -> None:
    clock.set(sh(2026, 4, 3, 18, 30))  # Friday after hours; Qingming keeps Saturday to Monday off
    complaint = register(platform)
    assert only_task(platform, complaint.instance_id).due_at == sh(2026, 4, 4, 18, 30)  # the forum's 24 hours
    handle = triage(platform, complaint, "urgent")
    assert handle.due_at == sh(2026, 4, 7, 18, 0)  # one working day: all of Tuesday


def test_a_friday_evening_complaint_counts_the_make_up_sunday(platform: Platform, clock: FixedClock) -> None:
    clock.set(sh(2026, 9, 18, 20, 0))  # Friday evening; Sunday 20 September is a make-up working day (调休)
    handle = triage(platform, register(platform), "urgent")
    assert handle.due_at == sh(2026, 9, 20, 18, 0)


def test_major_owners_get_halved_deadlines(platform: Platform, clock: FixedClock) -> None:
    clock.set(sh(2026, 11, 23, 10, 0))  # Monday
    complaint = register(platform, phone="13800000003")  # 刘洋, a major account
    assert only_task(platform, complaint.instance_id).due_at == sh(2026, 11, 23, 22, 0)
    handle = triage(platform, complaint, "urgent")
    assert handle.due_at == sh(2026, 11, 23, 15, 15)  # half a working day: 2h before lunch, 1h45 after


def test_reminder_then_each_escalation_level_fire_at_their_moments(
    platform: Platform,
    clock: FixedClock,
    job: TimerJob,
    client,
    auth,  # type: ignore[no-untyped-def]
) -> None:
    clock.set(sh(2026, 11, 23, 10, 0))  # Monday 10:00, severity high: 3 working days
    complaint = register(platform)
    handle = triage(platform, complaint, "high")
    assert handle.due_at == sh(2026, 11, 26, 10, 0)

    job.run_until(sh(2026, 11, 25, 14, 29), clock)
    assert "task.reminder" not in kinds(platform, complaint.instance_id)
    job.run_until(sh(2026, 11, 25, 14, 31), clock)  # 80% of the time: Wednesday 14:30
    assert kinds(platform, complaint.instance_id).count("task.reminder") == 1
    assert platform.session.get(HumanTask, handle.id).escalation_level == 0

    ladder = [
        (sh(2026, 11, 26, 10, 1), 1, "engineering", "eng_mgr"),  # the department's manager
        (sh(2026, 11, 27, 10, 1), 2, "crc", "crc_sup"),  # the centre's supervisor
        (sh(2026, 11, 30, 10, 1), 3, "group_crc", "group_crc"),  # the group centre
    ]
    for moment, level, department, manager in ladder:
        job.run_until(moment, clock)
        platform.session.expire_all()
        assert platform.session.get(HumanTask, handle.id).escalation_level == level
        escalations = [
            r for r in platform.tasks.open_tasks_of(complaint.instance_id) if r.kind == "escalation"
        ]
        assert [(r.escalation_level, r.department, r.assignee) for r in escalations][-1] == (
            level,
            department,
            manager,
        )
    assert kinds(platform, complaint.instance_id).count("task.escalated") == 3
    platform.session.refresh(complaint)
    assert complaint.status == "handle"  # still in the department's hands, however late

    first_level = [r for r in platform.tasks.open_tasks_of(complaint.instance_id) if r.escalation_level == 1][
        -1
    ]
    detail = client.get(f"/api/v1/tasks/{first_level.id}", headers=auth("eng_mgr")).json
    assert detail["kind"] == "escalation" and "action" in detail["form"]["properties"]
    row = client.get("/api/v1/tasks?department=engineering", headers=auth("eng")).json["tasks"][0]
    assert (row["id"], row["overdue"], row["escalation_level"]) == (handle.id, True, 3)
    timeline = client.get(f"/api/v1/complaints/{complaint.id}", headers=auth("crc")).json["timeline"]
    assert [e["kind"] for e in timeline].count("task.escalated") == 3

    platform.session.expire_all()
    platform.tasks.complete(handle.id, {"resolution": "已修复"}, actor(platform, "eng"))
    states = {
        r.state
        for r in platform.session.scalars(select(HumanTask).where(HumanTask.escalates_task_id == handle.id))
    }
    assert states == {"resolved"}


def test_waiting_for_the_owner_stops_the_clock(platform: Platform, clock: FixedClock, job: TimerJob) -> None:
    clock.set(sh(2026, 11, 23, 10, 0))
    complaint = register(platform)
    handle = triage(platform, complaint, "high")  # due Thursday 10:00
    eng = actor(platform, "eng")

    clock.set(sh(2026, 11, 24, 10, 0))  # Tuesday: 15 working hours left
    platform.tasks.wait_for_owner(handle.id, eng, note="业主出差，周四回来")
    job.run_until(sh(2026, 11, 26, 10, 0), clock)  # the old deadline passes while waiting
    platform.session.expire_all()
    assert platform.session.get(HumanTask, handle.id).escalation_level == 0

    platform.tasks.owner_answered(handle.id, eng)  # Thursday 10:00: the 15 hours start again
    platform.session.expire_all()
    row = platform.session.get(HumanTask, handle.id)
    assert row.due_at == sh(2026, 11, 30, 10, 0)
    job.run_until(sh(2026, 11, 30, 9, 59), clock)
    platform.session.expire_all()
    assert platform.session.get(HumanTask, handle.id).escalation_level == 0
    job.run_until(sh(2026, 11, 30, 10, 1), clock)
    platform.session.expire_all()
    assert platform.session.get(HumanTask, handle.id).escalation_level == 1
    assert {"task.waiting_owner", "task.owner_answered"} <= set(kinds(platform, complaint.instance_id))


def test_a_breach_survives_waiting_for_the_owner(
    platform: Platform,
    clock: FixedClock,
    job: TimerJob,
    client,
    auth,  # type: ignore[no-untyped-def]
) -> None:
    clock.set(sh(2026, 11, 23, 10, 0))
    complaint = register(platform)
    handle = triage(platform, complaint, "high")  # due Thursday 10:00
    eng, eng_mgr = actor(platform, "eng"), actor(platform, "eng_mgr")
    job.run_until(sh(2026, 11, 26, 11, 0), clock)  # an hour late: the manager has been called in
    platform.session.expire_all()

    def overdue_in_engineering() -> int:
        return {code: overdue for code, _, _, overdue in platform.worklist.overdue_by_department()}[
            "engineering"
        ]

    def api_row() -> dict:  # type: ignore[type-arg]
        return client.get(f"/api/v1/tasks/{handle.id}", headers=auth("eng")).json

    assert overdue_in_engineering() == 1 and platform.worklist.counts(eng_mgr).overdue == 1
    escalation = only_task(platform, complaint.instance_id, kind="escalation")
    assert escalation.due_at == sh(2026, 11, 27, 10, 0)  # to be answered before level 2 on Friday
    platform.tasks.wait_for_owner(handle.id, eng, note="业主出差，周一回来")
    platform.session.commit()
    job.run_until(sh(2026, 11, 30, 10, 0), clock)  # level 2 (Friday 10:00) does not fire while waiting
    platform.session.expire_all()
    assert platform.session.get(HumanTask, handle.id).escalation_level == 1
    assert overdue_in_engineering() == 1 and api_row()["overdue"] is True
    assert client.get(f"/api/v1/tasks/{escalation.id}", headers=auth("eng_mgr")).json["overdue"] is False

    platform.tasks.owner_answered(handle.id, eng)  # Monday 10:00
    platform.session.commit()
    platform.session.expire_all()
    row = platform.session.get(HumanTask, handle.id)
    assert (row.due_at, row.escalation_level) == (sh(2026, 11, 26, 10, 0), 1)  # the deadline that was missed
    assert overdue_in_engineering() == 1 and platform.worklist.counts(eng_mgr).overdue == 1
    assert api_row()["overdue"] is True and api_row()["time_left_seconds"] < 0
    assert platform.session.get(HumanTask, escalation.id).due_at == sh(2026, 11, 30, 18, 0)  # level 2 moved

    # The clock stood still from Thursday 11:00: level 2's remaining 6½ working hours run from Monday 10:00.
    job.run_until(sh(2026, 11, 30, 17, 59), clock)
    platform.session.expire_all()
    assert platform.session.get(HumanTask, handle.id).escalation_level == 1
    job.run_until(sh(2026, 11, 30, 18, 1), clock)
    platform.session.expire_all()
    assert platform.session.get(HumanTask, handle.id).escalation_level == 2

    events = platform.runtime.audit.timeline(complaint.instance_id)
    (breach,) = [e for e in events if e.kind == "task.overdue"]
    assert breach.task_id == handle.id
    assert datetime.fromisoformat(breach.data["due_at"]) == sh(2026, 11, 26, 10, 0)
    answered = next(e for e in events if e.kind == "task.owner_answered")
    assert datetime.fromisoformat(answered.data["overdue_since"]) == sh(2026, 11, 26, 10, 0)


def test_the_drill_gives_what_waiting_would(platform: Platform, clock: FixedClock, job: TimerJob) -> None:
    clock.set(sh(2026, 11, 23, 10, 0))
    complaint = register(platform)  # triage reminder +19h12m, escalation +24h, group +48h
    report = job.run_until(sh(2026, 11, 26, 0, 0), clock)
    assert report.timers == 3
    times = list(
        platform.session.scalars(
            select(AuditEvent.at)
            .where(
                AuditEvent.instance_id == complaint.instance_id,
                AuditEvent.kind.in_(["task.reminder", "task.escalated"]),
            )
            .order_by(AuditEvent.id)
        )
    )
    assert [t.astimezone(SHANGHAI).replace(microsecond=0) for t in times] == [
        sh(2026, 11, 24, 5, 12),
        sh(2026, 11, 24, 10, 0),
        sh(2026, 11, 25, 10, 0),
    ]


def test_a_monthly_start_timer_after_three_months_down_starts_one_instance(
    platform: Platform, clock: FixedClock, job: TimerJob
) -> None:
    clock.set(sh(2026, 1, 15, 12, 0))
    platform.definitions.deploy((DATA / "monthly.bpmn").read_bytes(), "monthly.bpmn")

    def started() -> int:
        return (
            platform.session.scalar(
                select(func.count())
                .select_from(ProcessInstance)
                .where(ProcessInstance.process_key == "monthly_notice")
            )
            or 0
        )

    clock.set(sh(2026, 2, 1, 9, 30))
    assert job.run_due(clock.now()).starts == 1  # the February cycle
    clock.set(sh(2026, 5, 15, 8, 0))  # down from February to mid-May: March, April and May were missed
    assert job.run_due(clock.now()).starts == 1
    assert started() == 2
    assert job.run_due(clock.now()).starts == 0
    newest = platform.session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.process_key == "monthly_notice")
        .order_by(ProcessInstance.id.desc())
    ).first()
    assert newest is not None and newest.status == "running"
    assert only_task(platform, newest.id).element_id == "draft"
    events = platform.runtime.audit.timeline(newest.id)
    assert any(e.kind == "timer.start" and e.data["cycle_at"].startswith("2026-05-01T09:00") for e in events)


def test_a_deadline_already_past_when_the_task_is_reached_fires_at_once(
    platform: Platform, clock: FixedClock
) -> None:
    from webapp.database import ROOT

    platform.definitions.deploy((ROOT / "bench" / "timer_bench.bpmn").read_bytes(), "timer_bench.bpmn")
    instance = platform.runtime.start(
        "timer_bench",
        {"first_due": "2026-11-01T09:00:00+08:00", "second_due": "2026-12-01T09:00:00+08:00"},
        actor(platform, "crc"),
    )
    assert kinds(platform, instance.id).count("task.reminder") == 1
    assert instance.next_timer_at == sh(2026, 12, 1, 9, 0)


def test_an_instance_whose_data_cannot_be_stored_fails_alone(
    platform: Platform, clock: FixedClock, job: TimerJob
) -> None:
    clock.set(sh(2026, 11, 23, 10, 0))
    platform.definitions.deploy((DATA / "poison.bpmn").read_bytes(), "poison.bpmn")
    poisoned = platform.runtime.start("poison", {}, actor(platform, "crc"))
    complaint = register(platform)
    platform.session.commit()

    job.run_until(sh(2026, 11, 25, 0, 0), clock)  # the poison's timer at 11:00, the complaint's on Tuesday
    platform.session.expire_all()
    failed = platform.session.get(ProcessInstance, poisoned.id)
    assert failed.status == "error" and "'map' cannot be stored" in (failed.error or "")
    assert kinds(platform, complaint.instance_id).count("task.reminder") == 1
    assert kinds(platform, complaint.instance_id).count("task.escalated") == 1


def test_the_manager_answers_an_escalation_and_the_overdue_task_stays_open(
    platform: Platform, clock: FixedClock, job: TimerJob
) -> None:
    clock.set(sh(2026, 11, 23, 10, 0))
    complaint = register(platform)
    handle = triage(platform, complaint, "urgent")  # one working day: due Tuesday 10:00
    job.run_until(sh(2026, 11, 24, 10, 1), clock)
    platform.session.expire_all()
    escalation = only_task(platform, complaint.instance_id, kind="escalation")
    assert (escalation.assignee, escalation.escalates_task_id) == ("eng_mgr", handle.id)

    with pytest.raises(Exception, match="claimed by eng_mgr"):
        platform.tasks.complete(escalation.id, {"action": "我来催"}, actor(platform, "eng"))
    with pytest.raises(Exception, match="form has errors"):
        platform.tasks.complete(escalation.id, {}, actor(platform, "eng_mgr"))
    platform.tasks.complete(
        escalation.id, {"action": "已电话督促，今天下班前处理完"}, actor(platform, "eng_mgr")
    )
    platform.session.expire_all()
    assert platform.session.get(HumanTask, escalation.id).state == "completed"
    still = only_task(platform, complaint.instance_id)
    assert (still.id, still.state, still.escalation_level) == (handle.id, "open", 1)


def test_an_absurd_deadline_fails_its_instance_with_the_reason(platform: Platform, clock: FixedClock) -> None:
    from webapp.database import ROOT

    xml = (ROOT / "bench" / "timer_bench.bpmn").read_text()
    xml = xml.replace(">first_due<", ">working_days(days)<").replace('id="timer_bench"', 'id="absurd"')
    platform.definitions.deploy(xml.encode(), "absurd.bpmn")
    due = {"second_due": "2026-12-01T09:00:00+08:00"}

    sensible = platform.runtime.start("absurd", {"days": 3, **due}, actor(platform, "crc"))
    assert sensible.status == "running"
    absurd = platform.runtime.start("absurd", {"days": 10**9, **due}, actor(platform, "crc"))
    assert absurd.status == "error"
    assert "working_days(1000000000): the working days must be a number from 0 to 2500" in (
        absurd.error or ""
    )
