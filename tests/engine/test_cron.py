"""Timer cycles in cron form: Quartz as Camunda writes it and Unix, parsed by cronsim, firing as the clock
moves — never slept."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.directory import actor_for
from crm.platform import Foundation, Platform
from engine import cron
from engine.bpmn_expressions import timer_check
from engine.bpmn_meta import DeployOptions
from engine.errors import DeployRefused
from engine.events import TimerStartDue
from engine.models import AuditEvent, ProcessInstance, TimerStartSchedule
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import DATA

CAMUNDA = DATA / "camunda_modeler_repair.bpmn"


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        ("0 0 9 * * ?", sh(2026, 12, 1, 10, 0), sh(2026, 12, 2, 9, 0)),  # Quartz, daily at 9
        ("0 0 9 * * ? *", sh(2026, 12, 1, 8, 0), sh(2026, 12, 1, 9, 0)),  # with a year field
        ("0 30 8 ? * MON-FRI", sh(2026, 12, 4, 9, 0), sh(2026, 12, 7, 8, 30)),  # Friday -> Monday
        ("0 0 9 ? * 2-6", sh(2026, 12, 4, 9, 0), sh(2026, 12, 7, 9, 0)),  # Quartz 2-6 is Monday-Friday
        ("0 0 9 ? * 1", sh(2026, 12, 1, 9, 0), sh(2026, 12, 6, 9, 0)),  # Quartz 1 is Sunday
        ("0 0 9 1 * ?", sh(2026, 12, 1, 9, 0), sh(2027, 1, 1, 9, 0)),  # monthly
        ("0 9 * * 1-5", sh(2026, 12, 4, 9, 0), sh(2026, 12, 7, 9, 0)),  # Unix: Monday-Friday
        ("*/15 * * * *", sh(2026, 12, 1, 9, 7), sh(2026, 12, 1, 9, 15)),
    ],
)
def test_the_next_moment_of_a_cron_text(text: str, after: datetime, expected: datetime) -> None:
    assert cron.looks_like_cron(text)
    assert cron.next_after(text, after) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0 25 * * ?", "is not valid"),
        ("0 0 9 * * ? 2027", "a year field is not supported"),
        ("61 * * * *", "is not valid"),
    ],
)
def test_bad_cron_texts(text: str, message: str) -> None:
    with pytest.raises(cron.CronError) as refused:
        cron.check(text)
    assert message in str(refused.value)


@pytest.mark.parametrize("text", ["R3/PT1H", '"0 0 9 * * ?"', "PT1H", "a b c", "cycle", "0 9"])
def test_what_is_not_cron(text: str) -> None:
    assert not cron.looks_like_cron(text)


def crc(platform: Platform):  # type: ignore[no-untyped-def]
    user = platform.directory.user("crc")
    assert user is not None
    return actor_for(user)


def overdue_notes(session: Session, instance_id: int) -> int:
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id))
    return sum(kind == "task.overdue" for kind in kinds)


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


def test_a_boundary_cron_cycle_fires_each_morning_and_waits_for_the_next(
    session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock, job: TimerJob
) -> None:
    clock.set(sh(2026, 12, 1, 10, 0))
    with session_factory() as session:
        platform = Platform(session, foundation)
        platform.definitions.deploy(
            CAMUNDA.read_bytes(), CAMUNDA.name, options=DeployOptions(default_department="crc")
        )
        instance = platform.runtime.start("camunda_repair", {}, crc(platform))
        instance_id = instance.id
        assert instance.next_timer_at == sh(2026, 12, 2, 9, 0)
        session.commit()

    clock.set(sh(2026, 12, 2, 9, 0, 1))
    assert job.run_due(clock.now()).timers == 1
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.status == "running"
        assert instance.next_timer_at == sh(2026, 12, 3, 9, 0)  # the next morning, not a backlog
        assert overdue_notes(session, instance_id) == 1  # each firing is on the timeline

    # Down for three days: it fires once, then waits for the next morning after now.
    clock.set(sh(2026, 12, 6, 12, 0))
    assert job.run_due(clock.now()).timers == 1
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.next_timer_at == sh(2026, 12, 7, 9, 0)
        assert overdue_notes(session, instance_id) == 2


def test_an_intermediate_cron_timer_waits_for_the_next_match_once(
    platform: Platform, clock: FixedClock, job: TimerJob, session_factory: sessionmaker[Session]
) -> None:
    clock.set(sh(2026, 12, 4, 17, 0))  # a Friday
    platform.definitions.deploy(
        CAMUNDA.read_bytes(), CAMUNDA.name, options=DeployOptions(default_department="crc")
    )
    instance = platform.runtime.start("camunda_repair", {}, crc(platform))
    eng = actor_for(platform.directory.user("eng"))  # type: ignore[arg-type]
    [assess] = platform.tasks.open_tasks_of(instance.id)
    platform.tasks.complete(assess.id, {"resolution": "已修复"}, eng)
    [reply] = platform.tasks.open_tasks_of(instance.id)
    platform.tasks.complete(
        reply.id, {"reached": True, "reply": "已回复", "satisfied": True, "score": 5}, crc(platform)
    )
    assert instance.status == "running"
    assert instance.next_timer_at == sh(2026, 12, 7, 9, 0)  # "0 9 * * 1-5": Monday morning
    platform.session.flush()

    clock.set(sh(2026, 12, 7, 9, 0, 1))
    workflow, compiled = platform.runtime.load(instance)
    platform.runtime.advance(instance, workflow, crc(platform), compiled, refresh_timers=True)
    assert instance.status == "completed"


def test_a_cron_timer_start_event_is_scheduled_at_its_next_match(
    platform: Platform, clock: FixedClock
) -> None:
    clock.set(sh(2026, 12, 1, 10, 0))
    monthly = (DATA / "monthly.bpmn").read_text(encoding="utf-8")
    start = monthly.index("<bpmn:timeCycle")
    end = monthly.index("</bpmn:timeCycle>") + len("</bpmn:timeCycle>")
    content = monthly[:start] + "<bpmn:timeCycle>0 0 9 1 * ?</bpmn:timeCycle>" + monthly[end:]
    result = platform.definitions.deploy(content.encode(), "monthly.bpmn")
    assert result.definition is not None
    row = platform.session.scalars(
        select(TimerStartSchedule).where(TimerStartSchedule.process_key == result.key)
    ).one()
    assert row.next_due_at == sh(2027, 1, 1, 9, 0)

    # Fired late (down since before New Year's Day and the 1st of February): one instance, the latest cycle.
    clock.set(sh(2027, 2, 3, 8, 0))
    [instance] = platform.timer_starts.fire(row, clock.now())
    assert instance.status == "running" and platform.tasks.open_tasks_of(instance.id)  # past its start
    assert row.last_fired_at == sh(2027, 2, 1, 9, 0)
    assert row.next_due_at == sh(2027, 3, 1, 9, 0)


def test_deploy_refuses_a_cron_text_that_cannot_fire(platform: Platform) -> None:
    content = CAMUNDA.read_text(encoding="utf-8").replace("0 0 9 * * ?", "0 0 9 31 2 ?")
    with pytest.raises(DeployRefused) as refused:
        platform.definitions.deploy(
            content.encode(), CAMUNDA.name, options=DeployOptions(default_department="crc")
        )
    [problem] = refused.value.problems
    assert problem.element_id == "Event_daily" and "cron '0 0 9 31 2 ?' is not valid" in problem.message


@pytest.mark.parametrize(
    ("timer", "message"),
    [
        ('"R/PT0S"', "timer cycle R/PT0S: a repeating timer fires at most once a minute"),
        ('"R5/PT30S"', "timer cycle R5/PT30S: a repeating timer fires at most once a minute"),
        (
            "* * * * * ?",
            "timer: cron '* * * * * ?' fires every 1 s: a repeating timer fires at most once a minute",
        ),
    ],
)
def test_a_repeating_timer_firing_more_than_once_a_minute_is_refused(timer: str, message: str) -> None:
    found, _python = timer_check("timeCycle", timer, ())
    assert [f.message for f in found] == [message]


def test_a_cycle_of_a_minute_or_more_is_accepted() -> None:
    assert timer_check("timeCycle", '"R/PT1M"', ())[0] == []
    assert timer_check("timeCycle", "0 * * * * ?", ())[0] == []
    assert timer_check("timeCycle", "R3/PT24H", (), literal_iso=True)[0] == []


ZERO_CYCLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="cycle_from_data" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:userTask id="wait" name="Wait" camunda:candidateGroups="crc"/>
    <bpmn:boundaryEvent id="tick" attachedToRef="wait" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeCycle>cycle</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="tick" targetRef="ticked"/>
    <bpmn:endEvent id="ticked"/>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_zero_interval_given_at_run_time_fires_once_a_minute(  # type: ignore[no-untyped-def]
    session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock
) -> None:
    clock.set(sh(2026, 12, 1, 10, 0))
    with session_factory() as session:
        platform = Platform(session, foundation)
        platform.definitions.deploy(ZERO_CYCLE, "cycle_from_data.bpmn")
        instance_id = platform.runtime.start("cycle_from_data", {"cycle": "R/PT0S"}, crc(platform)).id
        session.commit()
    job = TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)
    clock.set(sh(2026, 12, 1, 10, 0, 1))

    # R/PT0S would fire without end inside this one transaction; it fires once and waits a minute.
    assert job.run_due(clock.now()).timers == 1
    with session_factory() as session:
        instance = Platform(session, foundation).runtime.get(instance_id)
        assert instance.status == "running"
        assert instance.next_timer_at == sh(2026, 12, 1, 10, 1)


def test_planned_starts_are_independent_one_that_cannot_start_leaves_the_others(
    platform: Platform, clock: FixedClock
) -> None:
    clock.set(sh(2026, 12, 1, 10, 0))
    monthly = (DATA / "monthly.bpmn").read_text(encoding="utf-8")
    start = monthly.index("<bpmn:timeCycle")
    end = monthly.index("</bpmn:timeCycle>") + len("</bpmn:timeCycle>")
    content = monthly[:start] + "<bpmn:timeCycle>0 0 9 1 * ?</bpmn:timeCycle>" + monthly[end:]
    result = platform.definitions.deploy(content.encode(), "monthly.bpmn")
    key = result.key
    row = platform.session.scalars(
        select(TimerStartSchedule).where(TimerStartSchedule.process_key == key)
    ).one()

    def plan(_session: Session, event: TimerStartDue) -> None:
        if event.process_key == key:
            # The middle one's data cannot be stored in an instance (a set): it alone is left out.
            event.planned = [("A-1", {"site": "甲"}), ("B-1", {"site": {"乙"}}), ("C-1", {"site": "丙"})]

    platform.foundation.events.subscribe(TimerStartDue, plan)
    clock.set(sh(2027, 1, 1, 9, 0, 1))
    started = platform.timer_starts.fire(row, clock.now())
    assert [i.business_key for i in started] == ["A-1", "C-1"]
    assert row.next_due_at == sh(2027, 2, 1, 9, 0)  # the schedule moves on for every project
    keys = platform.session.scalars(
        select(ProcessInstance.business_key).where(ProcessInstance.process_key == key)
    )
    assert sorted(k for k in keys if k) == ["A-1", "C-1"]
