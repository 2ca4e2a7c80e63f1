"""Starting many instances at once (`Runtime.start_many`): each leaves what a start leaves, numbered in one
run, its step in the right inbox with the due time a single start gives, and it advances as any instance."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.directory import actor_for
from crm.models import RequestIndex
from crm.platform import Foundation, Platform
from engine.actors import SYSTEM, Actor
from engine.errors import InvalidData
from engine.events import InstanceStarted, TaskCreated
from engine.models import AuditEvent, HumanTask, HumanTaskCandidate, ProcessInstance
from engine.serialization import _each_task_map, _expand
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from notifications.models import InAppMessage

KEY = "return_visit"
SHARED = {"method": "phone", "visit_days": 5, "attempts": 0}


def item(n: int, visitor: str | None = "crc") -> dict[str, Any]:
    return {"visit_id": n, "visitor": visitor, "title": f"回访 第{n}户"}


def actor(platform: Platform, username: str) -> Actor:
    user = platform.directory.user(username)
    assert user is not None
    return actor_for(user)


def row_of(platform: Platform, instance_id: int) -> HumanTask:
    rows = [r for r in platform.tasks.open_tasks_of(instance_id) if r.kind == "task"]
    assert len(rows) == 1, rows
    return rows[0]


def timeline(session: Session, instance_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


def test_each_item_is_a_running_request_numbered_in_one_run(platform: Platform, session: Session) -> None:
    visitors = ["crc", "crc_sup", "admin", "crc", "crc_sup"]
    ids = platform.runtime.start_many(KEY, SHARED, [item(n, v) for n, v in enumerate(visitors)], SYSTEM)
    session.flush()

    assert len(ids) == len(set(ids)) == 5
    instances = platform.runtime.get_many(ids)
    assert [i.status for i in instances] == ["running"] * 5
    numbers = [i.business_key for i in instances]
    assert all(n and n.startswith("HF-2026-") for n in numbers)
    values = [int(n.rsplit("-", 1)[1]) for n in numbers if n]
    assert values == list(range(values[0], values[0] + 5))
    index = {
        r.instance_id: r
        for r in session.scalars(select(RequestIndex).where(RequestIndex.instance_id.in_(ids)))
    }
    assert [index[i].number for i in ids] == numbers
    assert [index[i].title for i in ids] == [f"回访 第{n}户" for n in range(5)]
    assert {index[i].step for i in ids} == {"回访"} and {index[i].status for i in ids} == {"open"}
    # Each step is in its visitor's hands, in the centre's queue.
    rows = [row_of(platform, i) for i in ids]
    assert [r.assignee for r in rows] == visitors
    assert {r.department for r in rows} == {"crc"} and {r.form_key for r in rows} == {"visit_call"}
    assert len({r.task_guid for r in rows}) == 5
    for instance_id in ids:
        assert timeline(session, instance_id) == ["instance.started", "task.created"]
    started = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == ids[2], AuditEvent.kind == "instance.started")
    ).one()
    assert started.data == {**SHARED, **item(2, "admin")}


def test_the_same_due_time_and_timer_as_a_single_start(platform: Platform, session: Session) -> None:
    single = platform.runtime.start(KEY, {**SHARED, **item(0)}, SYSTEM)
    [many] = platform.runtime.start_many(KEY, SHARED, [item(1)], SYSTEM)
    session.flush()
    a, b = row_of(platform, single.id), row_of(platform, many)
    assert a.due_at is not None and (a.due_at, a.deadline_clock, a.priority) == (
        b.due_at,
        b.deadline_clock,
        b.priority,
    )
    assert platform.runtime.get(many).next_timer_at == single.next_timer_at
    # The stored workflow holds the item's data with the shared data, as a start's does.
    workflow, _ = platform.runtime.load(platform.runtime.get(many, with_state=True))
    [call] = [t for t in workflow.get_tasks() if t.task_spec.name == "call" and t.state == 16]
    assert {k: call.data[k] for k in ("visit_id", "visitor", "method", "attempts")} == {
        "visit_id": 1,
        "visitor": "crc",
        "method": "phone",
        "attempts": 0,
    }
    assert "__lintel_item__" not in platform.runtime.get(many, with_state=True).state


def test_started_instances_advance_and_retry_like_any_other(
    platform: Platform, session: Session, clock: FixedClock, job: TimerJob
) -> None:
    ids = platform.runtime.start_many(KEY, SHARED, [item(n) for n in range(3)], SYSTEM)
    session.commit()
    crc = actor(platform, "crc")
    first = row_of(platform, ids[0])
    platform.tasks.complete(first.id, {"outcome": "no_answer", "visit_note": "无人接听"}, crc)
    platform.tasks.complete(row_of(platform, ids[1]).id, {"outcome": "answered", "visit_note": "已回访"}, crc)
    session.commit()
    assert platform.tasks.open_tasks_of(ids[0]) == []
    assert platform.runtime.get(ids[1]).status == "completed"
    waiting = platform.runtime.get(ids[0])
    assert waiting.status == "running" and waiting.next_timer_at is not None
    # The next working day (Monday) at three in the afternoon, the visitor calls again.
    assert waiting.next_timer_at.astimezone(SHANGHAI) == datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI)
    clock.set(waiting.next_timer_at + timedelta(seconds=1))
    job.run_due(clock.now())
    session.expire_all()
    again = row_of(platform, ids[0])
    assert again.element_id == "call" and again.assignee == "crc" and again.task_guid != first.task_guid
    # The third never moved.
    assert row_of(platform, ids[2]).id is not None


def test_an_item_whose_assignee_is_no_user_leaves_the_step_to_the_queue_and_the_rest_untouched(
    platform: Platform, session: Session
) -> None:
    ids = platform.runtime.start_many(KEY, SHARED, [item(0), item(1, "nobody_here"), item(2)], SYSTEM)
    session.flush()
    rows = [row_of(platform, i) for i in ids]
    assert [r.assignee for r in rows] == ["crc", None, "crc"]
    assert timeline(session, ids[1]) == ["instance.started", "task.assignee_ignored", "task.created"]
    assert timeline(session, ids[0]) == ["instance.started", "task.created"]


def test_an_item_that_fails_its_start_fails_alone(platform: Platform, session: Session) -> None:
    """An item whose own data breaks the diagram's first script (campaign days that are no number) starts
    on its own and fails as a start fails (an incident, its step never opened); the others are started
    together and wait for their visitors."""
    items: list[dict[str, Any]] = [item(0), {**item(1), "visit_days": "很多"}, item(2)]
    ids = platform.runtime.start_many(KEY, SHARED, items, SYSTEM)
    session.flush()
    instances = platform.runtime.get_many(ids)
    assert [i.status for i in instances] == ["running", "error", "running"]
    assert instances[1].error_element == "visit_due_set"
    assert platform.tasks.open_tasks_of(ids[1]) == []
    assert [row_of(platform, i).assignee for i in (ids[0], ids[2])] == ["crc", "crc"]
    assert "instance.failed" in timeline(session, ids[1])


def test_data_that_cannot_be_stored_refuses_the_whole_call(platform: Platform, session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(ProcessInstance))
    with pytest.raises(InvalidData) as refused:
        platform.runtime.start_many(KEY, SHARED, [item(0), {**item(1), "visit_id": float("nan")}], SYSTEM)
    assert "item 2" in str(refused.value) and "visit_id" in refused.value.fields
    with pytest.raises(InvalidData):
        platform.runtime.start_many(KEY, {**SHARED, "typename": "x"}, [item(0)], SYSTEM)
    session.flush()
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == before
    assert platform.runtime.start_many(KEY, SHARED, [], SYSTEM) == []


def test_without_a_clean_wait_every_item_starts_on_its_own(platform: Platform, session: Session) -> None:
    """Shared data that leaves the way undecided (the first script needs `visit_days`, which each item
    brings): no pilot, and each start runs the diagram with its own data."""
    shared = {"method": "phone", "attempts": 0}
    items = [{**item(n), "visit_days": 3 + n} for n in range(3)]
    ids = platform.runtime.start_many(KEY, shared, items, SYSTEM)
    session.flush()
    rows = [row_of(platform, i) for i in ids]
    dues = [r.due_at for r in rows]
    assert len(set(dues)) == 3 and dues == sorted(dues)
    numbers = [i.business_key for i in platform.runtime.get_many(ids)]
    assert len(set(numbers)) == 3


def test_an_item_overriding_the_shared_data_starts_on_its_own(platform: Platform, session: Session) -> None:
    ids = platform.runtime.start_many(KEY, SHARED, [item(0), {**item(1), "method": "online"}], SYSTEM)
    session.flush()
    assert row_of(platform, ids[0]).element_id == "call"
    # The online visit waits for the owner's answer: no step in anyone's inbox.
    assert platform.tasks.open_tasks_of(ids[1]) == []
    assert platform.runtime.get(ids[1]).status == "running"


def test_online_visits_wait_for_their_answer(platform: Platform, session: Session) -> None:
    ids = platform.runtime.start_many(
        KEY, {**SHARED, "method": "online"}, [item(0, None), item(1, None)], SYSTEM
    )
    session.flush()
    for instance_id in ids:
        assert platform.tasks.open_tasks_of(instance_id) == []
        instance = platform.runtime.get(instance_id)
        assert instance.status == "running" and instance.next_timer_at is not None
        assert timeline(session, instance_id) == ["instance.started"]


def test_batch_subscribers_get_the_batch_and_plain_ones_each_event(
    platform: Platform, session: Session
) -> None:
    seen: dict[str, list[Any]] = {"batch": [], "plain": []}
    bus = platform.runtime.events
    bus.subscribe_many(InstanceStarted, lambda s, events: seen["batch"].append(len(events)))
    bus.subscribe(TaskCreated, lambda s, event: seen["plain"].append(event.task.task_guid))
    try:
        platform.runtime.start_many(KEY, SHARED, [item(n) for n in range(4)], SYSTEM)
        platform.runtime.start(KEY, {**SHARED, **item(9)}, SYSTEM)
        assert seen["batch"] == [4, 1]
        assert len(set(seen["plain"])) == 5
    finally:
        for event_type in (InstanceStarted, TaskCreated):
            bus._handlers[event_type].pop()


def test_a_visitor_hears_once_how_many_visits_they_were_given(platform: Platform, session: Session) -> None:
    def bells(username: str) -> list[InAppMessage]:
        return list(
            session.scalars(
                select(InAppMessage)
                .where(InAppMessage.recipient == f"user:{username}")
                .order_by(InAppMessage.id)
            )
        )

    before = {u: len(bells(u)) for u in ("crc", "crc_sup")}
    platform.runtime.start_many(
        KEY, SHARED, [item(n, "crc" if n % 3 else "crc_sup") for n in range(9)], SYSTEM
    )
    session.flush()
    crc, sup = bells("crc")[before["crc"] :], bells("crc_sup")[before["crc_sup"] :]
    assert [m.kind for m in crc] == ["task.batch"] and "6 条" in crc[0].subject
    assert [m.kind for m in sup] == ["task.batch"] and "3 条" in sup[0].subject
    assert "客户回访" in crc[0].subject
    # A single start is told as ever.
    platform.runtime.start(KEY, {**SHARED, **item(20)}, SYSTEM)
    session.flush()
    assert [m.kind for m in bells("crc")[before["crc"] :]] == ["task.batch", "task.assigned"]


def test_candidate_departments_are_written_for_each_row(platform: Platform, session: Session) -> None:
    ids = platform.runtime.start_many(KEY, SHARED, [item(0)], SYSTEM)
    session.flush()
    row = row_of(platform, ids[0])
    assert session.scalars(select(HumanTaskCandidate).where(HumanTaskCandidate.task_id == row.id)).all() == []


def test_states_saved_in_the_earlier_format_still_load(platform: Platform, session: Session) -> None:
    """Saved tasks leave out what most tasks hold (engine.serialization); a state saved whole still loads,
    to the same tasks and data."""
    instance = platform.runtime.start(KEY, {**SHARED, **item(0)}, SYSTEM)
    session.flush()
    whole = json.loads(instance.state)
    for tasks in _each_task_map(whole):
        _expand(tasks)
    whole["format"] = "lintel-1"
    earlier = json.dumps(whole)
    assert len(earlier) > len(instance.state) * 1.3
    compiled = platform.runtime.specs.get(instance.definition)
    serializer = platform.runtime.serializer

    def tasks_of(state: str) -> dict[str, Any]:
        workflow = serializer.loads(state, compiled.spec, compiled.subprocess_specs)
        return {str(t.id): (t.task_spec.name, t.state, t.data, t.internal_data) for t in workflow.get_tasks()}

    assert tasks_of(earlier) == tasks_of(instance.state)
