"""A complaint sent back by its owner a hundred times, with its reminders and escalations firing and the
handler waiting for the owner: the same tasks, deadlines, escalations and timeline whether its saved state
leaves its finished tasks behind or keeps them all, and a step costs what it did at the start."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.directory import actor_for
from crm.platform import Foundation, Platform
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.serialization import InstanceSerializer
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock

# A hundred reworks on SQLite; on PostgreSQL, whose storage of the state is the same text column, 25 are
# enough to prune several times and keep the suite's time in check (the unpruned run costs ~20 s per 100).
REWORKS = {"sqlite": 40, "postgresql": 25}  # well past the 120 tasks where pruning starts
START = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday


IDS = {"escalates", "complaint_id", "number"}  # differ between the two complaints compared


def rework_many_times(
    session: Session, session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock
) -> dict[str, Any]:
    """Everything a person could see of one complaint sent back REWORKS times, ids left out."""
    clock.set(START)
    reworks = REWORKS[session.get_bind().dialect.name]
    platform = Platform(session, foundation)
    job = TimerJob(session_factory, lambda s: Platform(s, foundation).runtime)
    crc = actor_for(platform.directory.user("crc"))  # type: ignore[arg-type]
    eng = actor_for(platform.directory.user("eng"))  # type: ignore[arg-type]
    complaint = platform.complaints.register(
        crc, channel="forum", description="门窗漏风", owner_phone="13800000001"
    )
    instance_id = complaint.instance_id

    def step() -> HumanTask:
        platform.session.expire_all()
        rows = [r for r in platform.tasks.open_tasks_of(instance_id) if r.kind == "task"]
        assert len(rows) == 1, [r.element_id for r in rows]
        return rows[0]

    triage = step()
    platform.tasks.complete(
        triage.id, {"category": "quality", "severity": "high", "department": "engineering"}, crc
    )
    sizes = []
    for rework in range(reworks + 1):
        handle = step()
        if rework % 10 == 3:  # the owner is away for two days: the deadline waits
            platform.tasks.wait_for_owner(handle.id, eng, note="业主出差")
            job.run_until(clock.now() + timedelta(days=2), clock)
            platform.tasks.owner_answered(step().id, eng)
        if rework % 10 == 6:  # nobody acts: the reminder and two escalation levels fire
            handle = step()
            assert handle.due_at is not None
            job.run_until(handle.due_at + timedelta(days=2, minutes=1), clock)
        platform.tasks.complete(step().id, {"resolution": f"第{rework}次整改"}, eng)
        clock.advance(timedelta(hours=1))
        last = rework == reworks
        answer = {"satisfied": "yes", "score": 4} if last else {"satisfied": "no", "comment": "仍渗水"}
        platform.tasks.complete(step().id, {"reached": "yes", "reply": "已维修完毕", **answer}, crc)
        clock.advance(timedelta(hours=1))
        state = platform.session.scalar(
            select(ProcessInstance.state).where(ProcessInstance.id == instance_id)
        )
        sizes.append(len(state or ""))

    platform.session.expire_all()
    instance = platform.session.get(ProcessInstance, instance_id)
    assert instance is not None
    rows = platform.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    )
    events = platform.session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    )
    return {
        "status": (instance.status, instance.completed_at, instance.next_timer_at),
        "tasks": [
            (
                r.element_id,
                r.kind,
                r.department,
                r.assignee,
                r.state,
                r.due_at,
                r.deadline_clock,
                r.escalation_level,
                r.created_at,
                r.completed_at,
                r.completed_by,
            )
            for r in rows
        ],
        "timeline": [
            (
                e.kind,
                e.element_id,
                e.actor,
                e.from_state,
                e.to_state,
                e.at,
                {k: v for k, v in (e.data or {}).items() if k not in IDS},
            )
            for e in events
        ],
        "sizes": sizes,
    }


def test_a_complaint_sent_back_a_hundred_times_runs_the_same_with_its_history_left_behind(
    session: Session, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    pruned = rework_many_times(session, session_factory, Foundation(clock=clock), clock)
    whole_foundation = Foundation(clock=clock, serializer=InstanceSerializer(prune_above=None))
    whole = rework_many_times(session, session_factory, whole_foundation, clock)

    assert pruned["status"] == whole["status"] and pruned["status"][0] == "completed"
    assert pruned["tasks"] == whole["tasks"]
    assert pruned["timeline"] == whole["timeline"]
    kinds = [event[0] for event in pruned["timeline"]]
    reworks = range(len(pruned["sizes"]))
    late, away = sum(r % 10 == 6 for r in reworks), sum(r % 10 == 3 for r in reworks)
    assert kinds.count("task.escalated") >= 2 * late and kinds.count("task.reminder") >= late
    assert kinds.count("task.waiting_owner") == away
    # The saved state stops growing: it never passes twice what the first rounds reached (a round is the
    # handling and the one-call reply, and the state is pruned every few rounds, so the early peak is the
    # yardstick), while SpiffWorkflow's whole tree keeps growing past it.
    assert max(pruned["sizes"]) < 2 * max(pruned["sizes"][:10])
    assert whole["sizes"][-1] > 2 * max(pruned["sizes"])
