"""Delivering a BPMN message to the instance waiting for it (`Runtime.send_message`): the online return
visit waits for the owner's answers; a delivery nothing waits for is refused and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from engine.actors import SYSTEM
from engine.errors import Conflict, InvalidData
from engine.models import AuditEvent
from engine.timers import TimerJob
from lintel.clock import FixedClock

KEY = "return_visit"
ONLINE = {"method": "online", "visit_days": 5, "attempts": 0, "visitor": None, "title": "回访 在线"}
ANSWER = "visit_answered"


def timeline(session: Session, instance_id: int) -> list[tuple[str, dict | None]]:
    return [
        (e.kind, e.data)
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        )
    ]


def online(platform: Platform, visit_id: int = 1) -> int:
    return platform.runtime.start(KEY, {**ONLINE, "visit_id": visit_id}, SYSTEM).id


def test_the_answer_ends_the_online_visit(platform: Platform, session: Session) -> None:
    instance_id = online(platform)
    session.flush()
    instance = platform.runtime.send_message(instance_id, ANSWER, {"answered_at": "2026-11-21"}, SYSTEM)
    session.flush()
    assert instance.status == "completed" and instance.next_timer_at is None
    kinds = [kind for kind, _ in timeline(session, instance_id)]
    assert kinds == ["instance.started", "message.received", "instance.completed"]
    assert ("message.received", {"name": ANSWER}) in timeline(session, instance_id)
    workflow, _ = platform.runtime.load(platform.runtime.get(instance_id, with_state=True))
    assert workflow.last_task is not None and workflow.last_task.task_spec.name != "expired"
    assert [t.task_spec.name for t in workflow.get_tasks(state=64) if t.task_spec.name == "answered_online"]


def test_started_together_each_takes_its_own_answer(platform: Platform, session: Session) -> None:
    shared = {k: v for k, v in ONLINE.items() if k not in ("visitor", "title")}
    ids = platform.runtime.start_many(
        KEY, shared, [{"visit_id": n, "visitor": None} for n in range(3)], SYSTEM
    )
    session.flush()
    platform.runtime.send_message(ids[1], ANSWER, {}, SYSTEM)
    session.flush()
    assert [i.status for i in platform.runtime.get_many(ids)] == ["running", "completed", "running"]


def test_a_second_delivery_is_refused_and_changes_nothing(platform: Platform, session: Session) -> None:
    instance_id = online(platform)
    platform.runtime.send_message(instance_id, ANSWER, {}, SYSTEM)
    session.flush()
    before = timeline(session, instance_id)
    with pytest.raises(Conflict, match="completed"):
        platform.runtime.send_message(instance_id, ANSWER, {}, SYSTEM)
    assert timeline(session, instance_id) == before


def test_a_message_nothing_waits_for_is_refused(platform: Platform, session: Session) -> None:
    instance_id = online(platform)
    session.flush()
    with pytest.raises(Conflict, match="not waiting for the message 'owner_reply'"):
        platform.runtime.send_message(instance_id, "owner_reply", {}, SYSTEM)
    # A phone visit waits for its visitor, not for a message.
    phone = platform.runtime.start(
        KEY, {**ONLINE, "method": "phone", "visitor": "crc", "visit_id": 2}, SYSTEM
    )
    session.flush()
    with pytest.raises(Conflict, match="not waiting"):
        platform.runtime.send_message(phone.id, ANSWER, {}, SYSTEM)
    assert platform.runtime.get(instance_id).status == "running"
    assert [k for k, _ in timeline(session, instance_id)] == ["instance.started"]


def test_an_expired_visit_takes_no_answer(
    platform: Platform,
    session: Session,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
    foundation: Foundation,
) -> None:
    instance_id = online(platform)
    session.commit()
    due = platform.runtime.get(instance_id).next_timer_at
    assert due is not None
    clock.set(due + timedelta(seconds=1))
    TimerJob(session_factory, lambda s: Platform(s, foundation).runtime).run_due(clock.now())
    session.expire_all()
    assert platform.runtime.get(instance_id).status == "completed"
    with pytest.raises(Conflict):
        platform.runtime.send_message(instance_id, ANSWER, {}, SYSTEM)


def test_a_delivery_racing_another_is_refused(platform: Platform, session: Session) -> None:
    """Another request delivered the answer after this one read the instance: the instance's revision
    has moved on, and this delivery is refused instead of applying a second time."""
    instance_id = online(platform)
    session.flush()
    _held = platform.runtime.get(instance_id, with_state=True)  # as a request holds what it read
    # Written below the ORM, as another process's transaction would: this session still holds the old one.
    session.connection().exec_driver_sql(
        f"UPDATE process_instances SET revision = revision + 1 WHERE id = {int(instance_id)}"
    )
    with pytest.raises(Conflict, match="changed by someone else"):
        platform.runtime.send_message(instance_id, ANSWER, {}, SYSTEM)


def test_unknown_instance_and_unstorable_payload(platform: Platform, session: Session) -> None:
    from engine.errors import NotFound

    with pytest.raises(NotFound):
        platform.runtime.send_message(10**9, ANSWER, {}, SYSTEM)
    instance_id = online(platform)
    session.flush()
    with pytest.raises(InvalidData):
        platform.runtime.send_message(instance_id, ANSWER, {"score": float("nan")}, SYSTEM)
    assert platform.runtime.get(instance_id).status == "running"
