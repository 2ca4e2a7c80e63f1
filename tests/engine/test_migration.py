"""Moving running requests to another version of their process: a preview that says which can move and
why the others cannot, a hand mapping for a removed step, and a move that keeps each step's inbox row
(claim, department, created time), its deadline clock and the request's history, with a timeline entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.models import RequestIndex
from crm.platform import Foundation, Platform
from engine.actors import SYSTEM
from engine.errors import InvalidData, NotFound
from engine.migration import Migrations
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.timers import TimerJob
from engine.timing import parse_moment
from lintel.clock import FixedClock
from tests.engine.test_start_many import actor
from tests.migration_support import (
    COMPLAINT,
    deploy,
    with_step_added,
    with_triage_deadline,
    with_triage_replaced,
)


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


def start(platform: Platform, count: int) -> list[int]:
    items = [{"description": f"第{n}户 漏水"} for n in range(count)]
    return platform.runtime.start_many("complaint", COMPLAINT, items, SYSTEM)


def open_rows(session: Session, ids: list[int]) -> dict[int, HumanTask]:
    rows = session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id.in_(ids), HumanTask.state == "open", HumanTask.kind == "task"
        )
    )
    found: dict[int, HumanTask] = {}
    for row in rows:
        assert row.instance_id not in found
        found[row.instance_id] = row
    return found


def snapshot(row: HumanTask) -> tuple[object, ...]:
    return (
        row.id,
        row.task_guid,
        row.assignee,
        row.department,
        row.created_at,
        row.due_at,
        row.deadline_clock,
    )


def test_a_thousand_complaints_move_to_a_version_that_adds_a_step(
    platform: Platform, session: Session, clock: FixedClock
) -> None:
    ids = start(platform, 1000)
    crc = actor(platform, "crc")
    rows = open_rows(session, ids)
    for instance_id in ids[:10]:
        platform.tasks.claim(rows[instance_id].id, crc)
    clock.advance(timedelta(hours=5))
    before = {i: snapshot(r) for i, r in rows.items()}
    session.commit()  # what starting them queued (notices) is written, as it is before anyone migrates
    v2 = deploy(platform, with_step_added())
    migrations = Migrations(session, platform.runtime)
    plan = migrations.plan("complaint", 1, v2.version)

    preview = migrations.preview(plan)
    assert sorted(preview.movable) == sorted(ids) and preview.blocked == []
    assert session.scalar(select(ProcessInstance.definition_id).where(ProcessInstance.id == ids[0])) != v2.id

    outcome = migrations.run(plan, SYSTEM)
    session.flush()
    assert sorted(outcome.moved) == sorted(ids) and outcome.blocked == []
    versions = set(session.scalars(select(ProcessInstance.definition_id).where(ProcessInstance.id.in_(ids))))
    assert versions == {v2.id}
    after = open_rows(session, ids)
    assert {i: snapshot(r) for i, r in after.items()} == before
    assert [after[i].assignee for i in ids[:10]] == ["crc"] * 10

    # The new step comes after triage on the moved requests.
    moved = ids[0]
    row = after[moved]
    platform.tasks.complete(
        row.id, {"category": "quality", "severity": "normal", "department": "engineering"}, crc
    )
    nxt = open_rows(session, [moved])[moved]
    assert nxt.element_id == "triage_check" and nxt.name == "分派复核"


def test_a_removed_current_step_blocks_the_move_until_it_is_mapped_by_hand(
    platform: Platform, session: Session
) -> None:
    ids = start(platform, 20)
    crc = actor(platform, "crc")
    rows = open_rows(session, ids)
    platform.tasks.claim(rows[ids[0]].id, crc)
    before = {i: snapshot(r) for i, r in rows.items()}
    v2 = deploy(platform, with_triage_replaced())
    migrations = Migrations(session, platform.runtime)

    plan = migrations.plan("complaint", 1, v2.version)
    assert [s.element_id for s in plan.removed_steps()] == ["triage"]
    preview = migrations.preview(plan)
    assert preview.movable == []
    assert {b.instance_id for b in preview.blocked} == set(ids)
    assert {b.reason for b in preview.blocked} == {f"当前步骤『客服分派』在第{v2.version}版中不存在"}
    refused = migrations.run(plan, SYSTEM)
    assert refused.moved == [] and len(refused.blocked) == 20
    assert {i.definition.version for i in platform.runtime.get_many(ids)} == {1}

    mapped = migrations.plan("complaint", 1, v2.version, {"triage": "dispatch"})
    assert sorted(migrations.preview(mapped).movable) == sorted(ids)
    outcome = migrations.run(mapped, SYSTEM)
    session.flush()
    assert sorted(outcome.moved) == sorted(ids)
    after = open_rows(session, ids)
    for instance_id, row in after.items():
        assert snapshot(row) == before[instance_id]
        assert (row.element_id, row.name) == ("dispatch", "分派登记")
    assert after[ids[0]].assignee == "crc"
    # The request index shows the step's new name.
    steps = set(session.scalars(select(RequestIndex.step).where(RequestIndex.instance_id.in_(ids))))
    assert steps == {"分派登记"}


def test_the_deadline_clock_keeps_the_time_already_spent(
    platform: Platform, session: Session, clock: FixedClock, job: TimerJob
) -> None:
    began = clock.now()
    [instance_id] = start(platform, 1)
    clock.advance(timedelta(hours=10))
    v2 = deploy(platform, with_triage_deadline("calendar_hours(36)"))
    migrations = Migrations(session, platform.runtime)
    outcome = migrations.run(migrations.plan("complaint", 1, v2.version), SYSTEM)
    assert outcome.moved == [instance_id]
    session.flush()
    row = open_rows(session, [instance_id])[instance_id]
    # 36 hours from when the step began, not from the move.
    assert row.due_at == began + timedelta(hours=36)
    assert row.created_at == began
    # The request's timeline says so: the step's new due time is in the move's entry.
    moved = session.scalars(
        select(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.kind == "instance.migrated"
        )
    ).one()
    [deadline] = moved.data["deadlines"]
    assert deadline["step"] == "客服分派" and parse_moment(deadline["due_at"]) == began + timedelta(hours=36)
    session.commit()

    job.run_until(began + timedelta(hours=36, minutes=1), clock)
    session.expire_all()
    escalations = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.kind == "escalation")
    ).all()
    assert [e.department for e in escalations] == ["crc"]
    assert escalations[0].created_at <= began + timedelta(hours=36, minutes=1)


def test_the_preview_tells_what_the_move_does_to_each_deadline(
    platform: Platform, session: Session, clock: FixedClock
) -> None:
    began = clock.now()
    [instance_id] = start(platform, 1)
    before = open_rows(session, [instance_id])[instance_id].due_at
    clock.advance(timedelta(hours=10))
    longer = deploy(platform, with_triage_deadline("calendar_hours(36)"))
    migrations = Migrations(session, platform.runtime)
    plan = migrations.plan("complaint", 1, longer.version)
    [change] = migrations.deadline_changes(plan, [instance_id])[instance_id]
    # Counted from when the step began, as the move itself counts it; nothing is changed yet.
    assert (change.step, change.before, change.after) == ("客服分派", before, began + timedelta(hours=36))
    session.expire_all()
    assert open_rows(session, [instance_id])[instance_id].due_at == before
    # A version whose deadlines are the same changes none.
    same = deploy(platform, with_step_added())
    assert migrations.deadline_changes(migrations.plan("complaint", 1, same.version), [instance_id]) == {}


def test_the_move_is_on_the_request_timeline(platform: Platform, session: Session) -> None:
    [instance_id] = start(platform, 1)
    v2 = deploy(platform, with_step_added())
    migrations = Migrations(session, platform.runtime)
    migrations.run(migrations.plan("complaint", 1, v2.version), actor(platform, "admin"))
    session.flush()
    kinds = list(
        session.scalars(
            select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        )
    )
    assert kinds[0] == "instance.started" and "task.created" in kinds
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.kind == "instance.migrated"
        )
    ).one()
    assert event.actor == "admin" and event.data == {"version": [1, v2.version]}
    # Nothing new was opened or cancelled by the move.
    assert kinds.count("task.created") == 1 and "task.cancelled" not in kinds


def test_bad_plans_are_refused_with_a_reason(platform: Platform, session: Session) -> None:
    v2 = deploy(platform, with_triage_replaced())
    migrations = Migrations(session, platform.runtime)
    with pytest.raises(NotFound):
        migrations.plan("nope", 1, 2)
    with pytest.raises(NotFound):
        migrations.plan("complaint", 1, 99)
    with pytest.raises(InvalidData):
        migrations.plan("complaint", 1, 1)
    with pytest.raises(InvalidData) as bad:
        migrations.plan("complaint", 1, v2.version, {"triage": "nowhere"})
    assert "mapping.triage" in bad.value.fields
    with pytest.raises(InvalidData) as kind:
        migrations.plan("complaint", 1, v2.version, {"triage": "init"})
    assert "same kind" in kind.value.fields["mapping.triage"]


def test_a_step_waiting_for_the_owner_keeps_its_clock_stopped_across_the_move(
    platform: Platform, session: Session, clock: FixedClock
) -> None:
    [instance_id] = start(platform, 1)
    crc = actor(platform, "crc")
    row = open_rows(session, [instance_id])[instance_id]
    due = row.due_at
    assert due is not None
    clock.advance(timedelta(hours=1))
    platform.tasks.wait_for_owner(row.id, crc, note="业主出差，下周回复")
    clock.advance(timedelta(hours=1))
    v2 = deploy(platform, with_step_added())
    migrations = Migrations(session, platform.runtime)
    assert migrations.run(migrations.plan("complaint", 1, v2.version), SYSTEM).moved == [instance_id]
    session.flush()
    clock.advance(timedelta(hours=2))
    platform.tasks.owner_answered(row.id, crc)
    session.flush()
    # Three hours waiting for the owner do not count: the deadline moves by as much.
    assert open_rows(session, [instance_id])[instance_id].due_at == due + timedelta(hours=3)
