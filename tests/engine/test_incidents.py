"""Incidents as an administrator or process owner meets them: a failed instance has closed its steps (nobody
can claim what can never be completed) and is listed with where and why it failed; it runs on after its data
or its diagram was fixed, is refused a version that lacks what is running, or is cancelled with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.models import RequestIndex
from crm.platform import Platform
from engine.errors import Conflict, InvalidData
from engine.models import AuditEvent, HumanTask, ProcessInstance
from lintel.clock import FixedClock
from tests.conftest import DATA
from tests.webapp.pages_support import actor, open_task, register

KEY = "incident_demo"


def deploy(platform: Platform, version: int) -> None:
    platform.definitions.deploy(
        (DATA / f"incident_v{version}.bpmn").read_bytes(), f"incident_v{version}.bpmn"
    )
    platform.session.commit()


def fire_timers(platform: Platform, clock: FixedClock, instance: ProcessInstance) -> None:
    """An hour and more later the timer job fires the instance's due timers, as the worker does."""
    clock.advance(timedelta(hours=2))
    workflow, compiled = platform.runtime.load(instance)
    platform.runtime.advance(instance, workflow, actor(platform, "crc"), compiled, refresh_timers=True)
    platform.session.commit()


@pytest.fixture
def failed(platform: Platform, clock: FixedClock) -> ProcessInstance:
    """An instance whose reminder script failed when its timer fired, its step 处理 open until then."""
    deploy(platform, 1)
    instance = platform.runtime.start(KEY, {}, actor(platform, "crc"))
    platform.session.commit()
    assert open_task(platform, instance.id).element_id == "handle"
    fire_timers(platform, clock, instance)
    return instance


def kinds(platform: Platform, instance_id: int) -> list[str]:
    return [e.kind for e in platform.runtime.audit.timeline(instance_id)]


def test_a_failing_script_makes_an_incident_with_its_element_and_error(platform, failed) -> None:  # type: ignore[no-untyped-def]
    assert failed.status == "error"
    [incident] = [i for i in platform.incidents.failed() if i.instance.id == failed.id]
    assert incident.element_id == "remind"
    assert incident.element_name == "记录提醒"
    assert "reminders" in (incident.instance.error or "")
    assert incident.failed_at == platform.clock.now()
    assert incident.version == 1 and incident.newer_version is None


def test_a_failed_instance_closes_its_steps_so_nobody_claims_what_cannot_be_completed(
    platform, failed
) -> None:  # type: ignore[no-untyped-def]
    assert platform.tasks.open_tasks_of(failed.id) == []
    row = platform.session.scalars(select(HumanTask).where(HumanTask.instance_id == failed.id)).one()
    assert row.state == "cancelled"
    with pytest.raises(Conflict):
        platform.tasks.claim(row.id, actor(platform, "crc"))
    cancelled = [e for e in platform.runtime.audit.timeline(failed.id) if e.kind == "task.cancelled"]
    assert cancelled[0].data == {"reason": "instance_failed"}
    assert failed.next_timer_at is None


def test_retry_after_a_data_patch_runs_on_and_reopens_the_step(platform, failed) -> None:  # type: ignore[no-untyped-def]
    retried = platform.incidents.retry(failed.id, actor(platform, "admin"), data={"reminders": 0})
    platform.session.commit()
    assert retried.status == "running" and retried.error is None and retried.error_element is None
    assert [i for i in platform.incidents.failed() if i.instance.id == failed.id] == []
    step = open_task(platform, failed.id)
    assert step.element_id == "handle" and step.state == "open"
    platform.tasks.complete(step.id, {}, actor(platform, "crc"))
    platform.session.commit()
    assert retried.status == "completed"
    retry = next(e for e in platform.runtime.audit.timeline(failed.id) if e.kind == "instance.retried")
    assert (
        retry.actor == "admin" and retry.data["data"] == ["reminders"] and retry.data["tasks"] == ["remind"]
    )


def test_a_retry_that_fails_again_stays_an_incident_with_the_new_error(platform, failed, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(timedelta(minutes=5))
    again = platform.incidents.retry(failed.id, actor(platform, "admin"))
    platform.session.commit()
    assert again.status == "error" and again.error_element == "remind"
    assert again.failed_at == clock.now()
    assert platform.tasks.open_tasks_of(failed.id) == []  # the step reopened by the retry closed again
    assert kinds(platform, failed.id)[-4:] == [
        "instance.retried",
        "task.reopened",
        "instance.failed",
        "task.cancelled",
    ]


def test_retry_on_a_fixed_version_moves_the_instance_and_it_runs_to_its_end(platform, failed) -> None:  # type: ignore[no-untyped-def]
    deploy(platform, 2)
    [incident] = [i for i in platform.incidents.failed() if i.instance.id == failed.id]
    assert incident.newer_version == 2

    moved = platform.incidents.retry(failed.id, actor(platform, "admin"), version="latest")
    platform.session.commit()

    assert moved.status == "running" and moved.definition.version == 2
    platform.tasks.complete(open_task(platform, failed.id).id, {}, actor(platform, "crc"))
    platform.session.commit()
    assert moved.status == "completed"
    workflow, _compiled = platform.runtime.load(moved)
    assert workflow.get_next_task(spec_name="noted") is not None  # the fixed reminder ran on v2


def test_retry_is_refused_a_version_that_lacks_the_running_element(platform, failed) -> None:  # type: ignore[no-untyped-def]
    deploy(platform, 2)
    deploy(platform, 3)  # the reminder step removed
    with pytest.raises(Conflict, match="lacks the running element.*'remind'"):
        platform.incidents.retry(failed.id, actor(platform, "admin"), version=3)
    platform.session.rollback()
    platform.session.expire_all()
    instance = platform.runtime.get(failed.id)
    assert instance.status == "error" and instance.definition.version == 1
    # Version 2 still has it: that one is taken.
    assert platform.incidents.retry(failed.id, actor(platform, "admin"), version=2).definition.version == 2


def test_retry_on_latest_without_a_newer_version_is_refused(platform, failed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict, match="no version newer than v1"):
        platform.incidents.retry(failed.id, actor(platform, "admin"), version="latest")


def test_a_running_instance_is_no_incident(platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    with pytest.raises(Conflict, match="has not failed"):
        platform.incidents.retry(complaint.instance_id, actor(platform, "admin"))
    with pytest.raises(Conflict, match="has not failed"):
        platform.incidents.cancel(complaint.instance_id, actor(platform, "admin"), "重复登记")


def test_cancel_needs_a_reason_and_closes_everything(platform, failed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidData) as refused:
        platform.incidents.cancel(failed.id, actor(platform, "admin"), "  ")
    assert refused.value.fields == {"reason": "required"}

    cancelled = platform.incidents.cancel(failed.id, actor(platform, "admin"), "业主已撤诉")
    platform.session.commit()

    assert cancelled.status == "cancelled" and cancelled.next_timer_at is None
    assert platform.tasks.open_tasks_of(failed.id) == []
    last = platform.runtime.audit.timeline(failed.id)[-1]
    assert (last.kind, last.actor, last.data["reason"]) == ("instance.cancelled", "admin", "业主已撤诉")
    assert [i for i in platform.incidents.failed() if i.instance.id == failed.id] == []
    with pytest.raises(Conflict):
        platform.incidents.retry(failed.id, actor(platform, "admin"))


def test_a_failed_complaint_shows_error_then_cancelled_in_the_request_index(platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    instance = platform.runtime.get(complaint.instance_id)
    triage = open_task(platform, instance.id)
    platform.runtime.fail(instance, actor(platform, "crc"), RuntimeError("the evaluator ended unexpectedly"))
    platform.session.commit()
    index = platform.session.get(RequestIndex, instance.id)
    assert index is not None and index.status == "error"
    platform.session.refresh(triage)
    assert triage.state == "cancelled"

    platform.incidents.cancel(instance.id, actor(platform, "admin"), "重复登记")
    platform.session.commit()
    platform.session.expire_all()
    assert platform.session.get(RequestIndex, instance.id).status == "cancelled"  # type: ignore[union-attr]


def test_escalations_of_a_failed_instance_close_with_its_steps(platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    instance = platform.runtime.get(complaint.instance_id)
    step = open_task(platform, instance.id)
    escalation = HumanTask(
        instance_id=instance.id,
        task_guid="00000000-0000-0000-0000-00000000e5ca",
        element_id="escalate",
        name="督办",
        process_key=instance.process_key,
        department="crc",
        form_key=None,
        priority=90,
        state="open",
        kind="escalation",
        escalation_level=1,
        escalates_task_id=step.id,
        created_at=platform.clock.now(),
    )
    platform.session.add(escalation)
    platform.session.flush()
    platform.runtime.fail(instance, actor(platform, "crc"), RuntimeError("boom"))
    platform.session.commit()
    assert platform.tasks.open_tasks_of(instance.id) == []
    assert platform.session.scalars(
        select(AuditEvent.task_id).where(
            AuditEvent.kind == "task.cancelled", AuditEvent.instance_id == instance.id
        )
    ).all() == [step.id, escalation.id]


def test_a_step_that_cannot_be_routed_runs_on_once_the_data_names_its_department(platform) -> None:  # type: ignore[no-untyped-def]
    platform.definitions.deploy((DATA / "routed_by_data.bpmn").read_bytes(), "routed_by_data.bpmn")
    instance = platform.runtime.start("routed_by_data", {}, actor(platform, "crc"))
    platform.session.commit()
    assert instance.status == "error" and instance.error_element == "fix"
    assert platform.tasks.open_tasks_of(instance.id) == []

    platform.incidents.retry(instance.id, actor(platform, "admin"), data={"department": "engineering"})
    platform.session.commit()

    assert instance.status == "running"
    step = open_task(platform, instance.id)
    assert (step.element_id, step.department) == ("fix", "engineering")
    platform.tasks.complete(step.id, {}, actor(platform, "eng"))
    assert instance.status == "completed"


def test_a_timer_whose_expression_failed_waits_once_the_data_gives_it(platform, clock) -> None:  # type: ignore[no-untyped-def]
    platform.definitions.deploy((DATA / "incident_timer.bpmn").read_bytes(), "incident_timer.bpmn")
    instance = platform.runtime.start("incident_timer", {}, actor(platform, "crc"))
    platform.session.commit()
    assert instance.status == "error" and instance.error_element == "late"

    platform.incidents.retry(instance.id, actor(platform, "admin"), data={"deadline": "PT4H"})
    platform.session.commit()

    assert instance.status == "running"
    assert instance.next_timer_at == clock.now() + timedelta(hours=4)
    assert open_task(platform, instance.id).element_id == "handle"


SQUARE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="square" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:scriptTask id="compute" name="Square"><bpmn:script>b = a * a</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_data_patch_replaces_the_value_the_instance_failed_on(platform) -> None:  # type: ignore[no-untyped-def]
    platform.definitions.deploy(SQUARE, "square.bpmn")
    instance = platform.runtime.start("square", {"a": "x"}, actor(platform, "crc"))
    platform.session.commit()
    assert instance.status == "error"

    retried = platform.incidents.retry(instance.id, actor(platform, "admin"), data={"a": 3})

    assert retried.status == "completed", retried.error
    workflow, _ = platform.runtime.load(platform.runtime.get(instance.id, with_state=True))
    assert (workflow.last_task.data["a"], workflow.last_task.data["b"]) == (3, 9)
