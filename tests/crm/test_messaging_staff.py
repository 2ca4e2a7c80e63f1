"""Staff hear about their work: new tasks in their queue (a burst is one email), a task given to them, a
deadline drawing near, an escalation that reaches the manager, an owner's chase — each once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.models import Department, RequestIndex
from crm.platform import Foundation, Platform
from crm.portal import Portal
from crm.throttle import Throttle
from engine.events import TaskCreated
from engine.models import ProcessInstance
from engine.timers import TimerJob
from lintel.clock import FixedClock
from tests.conftest import DATA
from tests.crm.messaging_support import bell, forget, queued, where
from tests.webapp.pages_support import TRIAGE, actor, complete, open_task, register

ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=crc"


def test_a_task_in_the_queue_reaches_every_member_by_bell_and_email(platform: Platform) -> None:
    complaint = register(platform)
    triage = open_task(platform, complaint.instance_id)
    assert (triage.department, triage.assignee) == ("crc", None)
    emails = queued(platform.session, "task.new")
    assert where(emails) == [
        ("user:admin", "email", "admin@example.com"),
        ("user:crc", "email", "crc@example.com"),
        ("user:crc_sup", "email", "crc_sup@example.com"),
    ]
    assert emails[0].subject == "【客户关系中心】1 条新任务待处理"
    assert complaint.number in emails[0].body and f"/r/{complaint.number}" in emails[0].body
    assert emails[0].not_before == platform.clock.now() + timedelta(seconds=60)  # waits for more
    rings = bell(platform.session, "task.new")
    assert sorted(m.recipient for m in rings) == ["user:admin", "user:crc", "user:crc_sup"]
    assert rings[0].subject == "客户关系中心新任务：客服分派"
    assert complaint.number in rings[0].body and rings[0].link == f"/r/{complaint.number}"


def test_a_burst_of_thirty_tasks_is_one_email_each_and_one_robot_post(platform: Platform) -> None:
    crc = platform.session.get(Department, "crc")
    assert crc is not None
    crc.robot_kind, crc.robot_url = "wecom", ROBOT
    numbers = [register(platform, description=f"第{i}户门窗渗水").number for i in range(30)]
    emails = queued(platform.session, "task.new")
    assert len([m for m in emails if m.channel == "email"]) == 3  # one per member of the centre
    robot = [m for m in emails if m.channel == "wecom"]
    assert where(robot) == [("department:crc", "wecom", ROBOT)]
    assert robot[0].body.startswith("**客户关系中心：30 条新任务待认领**")
    mine = next(m for m in emails if m.recipient == "user:crc")
    assert mine.subject == "【客户关系中心】30 条新任务待处理"
    assert all(number in mine.body for number in numbers)
    assert len(bell(platform.session, "task.new")) == 30 * 3  # the bell counts each task


def test_nobody_inactive_and_no_email_without_an_address(platform: Platform) -> None:
    user = platform.directory.user("crc_sup")
    assert user is not None
    user.active = False
    admin = platform.directory.user("admin")
    assert admin is not None
    admin.email = None
    register(platform)
    assert where(queued(platform.session, "task.new")) == [("user:crc", "email", "crc@example.com")]
    assert sorted(m.recipient for m in bell(platform.session, "task.new")) == ["user:admin", "user:crc"]


def test_a_task_created_for_someone_reaches_them_not_the_queue(platform: Platform) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    forget(platform.session)
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    reply = open_task(platform, complaint.instance_id)
    assert reply.assignee == "crc"
    assert queued(platform.session, "task.new") == []
    assert where(queued(platform.session, "task.assigned")) == [("user:crc", "email", "crc@example.com")]
    (ring,) = bell(platform.session, "task.assigned")
    assert ring.recipient == "user:crc" and ring.subject == "任务指派给您：回复业主并确认"


def test_assigned_by_the_manager_tells_the_handler_who_gave_it(platform: Platform) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    forget(platform.session)
    handle = open_task(platform, complaint.instance_id)
    platform.tasks.assign(handle.id, actor(platform, "eng"), actor(platform, "eng_mgr"))
    (email,) = queued(platform.session, "task.assigned")
    assert (email.recipient, email.address) == ("user:eng", "eng@example.com")
    assert "孙经理（工程部经理）将一项任务指派给您" in email.body and complaint.number in email.body
    # Claiming a task yourself tells nobody.
    platform.tasks.unclaim(handle.id, actor(platform, "eng"))
    platform.tasks.claim(handle.id, actor(platform, "eng_mgr"))
    assert len(queued(platform.session, "task.assigned")) == 1


def test_reassigned_to_a_colleague_and_back_tells_each_time(platform: Platform) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    handle = open_task(platform, complaint.instance_id)
    for person in ("eng", "eng_mgr", "eng"):
        platform.tasks.reassign(handle.id, actor(platform, person), actor(platform, "crc_sup"))
    assert [m.recipient for m in queued(platform.session, "task.assigned")] == [
        "user:eng",
        "user:eng_mgr",
        "user:eng",
    ]


def test_one_event_seen_twice_queues_its_notices_once(platform: Platform, foundation: Foundation) -> None:
    complaint = register(platform)
    before = (len(queued(platform.session)), len(bell(platform.session)))
    triage = open_task(platform, complaint.instance_id)
    instance = platform.session.get(ProcessInstance, complaint.instance_id)
    assert instance is not None
    foundation.events.publish(platform.session, TaskCreated(instance, triage))  # a replay
    platform.session.commit()
    foundation.events.publish(platform.session, TaskCreated(instance, triage))  # and again, later
    assert (len(queued(platform.session)), len(bell(platform.session))) == before


def test_a_step_reopened_by_an_incident_retry_is_not_new_work_again(
    platform: Platform, clock: FixedClock
) -> None:
    platform.definitions.deploy((DATA / "incident_v1.bpmn").read_bytes(), "incident_v1.bpmn")
    instance = platform.runtime.start("incident_demo", {}, actor(platform, "crc"))
    platform.session.commit()
    told = len(bell(platform.session, "task.new"))
    assert told > 0
    clock.advance(timedelta(hours=2))  # the reminder's script fails: the instance is an incident
    workflow, compiled = platform.runtime.load(instance)
    platform.runtime.advance(instance, workflow, actor(platform, "crc"), compiled, refresh_timers=True)
    platform.session.commit()
    assert instance.status == "error"
    platform.incidents.retry(instance.id, actor(platform, "admin"), data={"reminders": 0})
    platform.session.commit()
    assert open_task(platform, instance.id).state == "open"
    assert len(bell(platform.session, "task.new")) == told


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


def test_a_deadline_near_then_passed_reminds_the_department_and_climbs_to_the_manager(
    platform: Platform, clock: FixedClock, job: TimerJob
) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    handle = open_task(platform, complaint.instance_id)
    assert handle.due_at is not None
    forget(platform.session)
    platform.session.commit()
    job.run_until(handle.due_at + timedelta(minutes=1), clock)
    platform.session.expire_all()
    reminders = queued(platform.session, "task.reminder")
    assert where(reminders) == [
        ("user:eng", "email", "eng@example.com"),
        ("user:eng_mgr", "email", "eng_mgr@example.com"),
    ]
    assert "责任部门处理" in reminders[0].body and complaint.number in reminders[0].subject
    escalated = queued(platform.session, "task.escalated")
    assert where(escalated) == [
        ("user:eng_mgr", "email", "eng_mgr@example.com"),
        ("user:eng_mgr", "sms", "13900000104"),
    ]
    sms = next(m for m in escalated if m.channel == "sms")
    assert sms.body.startswith(f"【督办】{complaint.number}责任部门处理已超时")
    assert len(sms.body) <= 70
    (ring,) = bell(platform.session, "task.escalated")
    assert ring.recipient == "user:eng_mgr"
    assert queued(platform.session, "task.new") == []  # the escalation is not new work for the queue


def test_an_owners_chase_reaches_whoever_holds_the_request(
    platform: Platform, foundation: Foundation, clock: FixedClock
) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    handle = open_task(platform, complaint.instance_id)
    platform.tasks.claim(handle.id, actor(platform, "eng"))
    forget(platform.session)
    throttle = Throttle(platform.session, clock, free=5, client_free=20, window=timedelta(minutes=15))
    portal = Portal(platform.session, clock, throttle, foundation.events)
    request = platform.session.scalars(
        select(RequestIndex).where(RequestIndex.instance_id == complaint.instance_id)
    ).one()
    portal.chase(request)
    (email,) = queued(platform.session, "request.chased")
    assert (email.recipient, email.address) == ("user:eng", "eng@example.com")
    assert email.subject == f"业主催办：{complaint.number}" and "责任部门处理" in email.body
    assert [m.recipient for m in bell(platform.session, "request.chased")] == ["user:eng"]


def test_a_chase_on_an_unclaimed_step_reaches_its_department(
    platform: Platform, foundation: Foundation, clock: FixedClock
) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    throttle = Throttle(platform.session, clock, free=5, client_free=20, window=timedelta(minutes=15))
    portal = Portal(platform.session, clock, throttle, foundation.events)
    request = platform.session.get(RequestIndex, complaint.instance_id)
    assert request is not None
    portal.chase(request)
    assert sorted(m.recipient for m in bell(platform.session, "request.chased")) == [
        "user:eng",
        "user:eng_mgr",
    ]
