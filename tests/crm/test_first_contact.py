"""First-contact ownership: the coordinator who takes a case in triages it, replies and records the owner's
answer, in one call; whole-case deadlines counted from registration."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crm.models import Complaint
from crm.platform import Platform
from engine.errors import InvalidData
from lintel.clock import SHANGHAI, FixedClock
from tests.webapp.pages_support import actor, complete, open_task

OWNER = "13800000001"
DONE = {"reached": "yes", "reply": "已维修", "satisfied": "yes", "score": 5}
TRIAGE = {"category": "quality", "severity": "high", "department": "engineering", "note": "请尽快上门"}


def register(platform: Platform, username: str = "crc", triage: dict | None = None, phone: str = OWNER):  # type: ignore[no-untyped-def]
    complaint = platform.complaints.register(
        actor(platform, username),
        channel="hotline",
        description="卫生间天花板渗水",
        owner_phone=phone,
        triage=triage,
    )
    platform.session.commit()
    return complaint


def test_registered_and_triaged_in_one_go_goes_straight_to_the_department(platform: Platform) -> None:
    complaint = register(platform, triage=TRIAGE)
    row = open_task(platform, complaint.instance_id)
    assert (row.element_id, row.department) == ("handle", "engineering")
    record = platform.session.get(Complaint, complaint.id)
    assert record is not None
    assert (record.severity, record.department, record.category) == ("high", "engineering", "quality")


def test_a_triage_mistake_registers_nothing(platform: Platform) -> None:
    before = platform.session.query(Complaint).count()
    with pytest.raises(InvalidData) as refused:
        platform.complaints.register(
            actor(platform, "crc"),
            channel="hotline",
            description="渗水",
            owner_phone="13800000001",
            triage={"category": "quality", "severity": "", "department": "engineering"},
        )
    assert "severity" in refused.value.fields
    platform.session.rollback()
    assert platform.session.query(Complaint).count() == before


def test_the_reply_goes_back_to_the_coordinator_who_took_the_case(platform: Platform) -> None:
    complaint = register(platform, username="crc_sup", triage=TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    reply = open_task(platform, complaint.instance_id)
    assert (reply.element_id, reply.department, reply.assignee) == ("reply", "crc", "crc_sup")


def test_triage_from_the_queue_can_name_the_follow_up_coordinator(platform: Platform) -> None:
    complaint = register(platform)
    triage = open_task(platform, complaint.instance_id)
    assert triage.assignee is None  # triage itself is the centre's shared queue
    complete(platform, complaint.instance_id, "crc", {**TRIAGE, "follow_up": "crc_sup"})
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    assert open_task(platform, complaint.instance_id).assignee == "crc_sup"


def test_owner_not_reached_stays_with_the_coordinator_and_is_counted(platform: Platform) -> None:
    complaint = register(platform, triage=TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    for _ in range(2):
        complete(platform, complaint.instance_id, "crc", {"reached": "no", "reply": "已维修，请验收"})
        again = open_task(platform, complaint.instance_id)
        assert (again.element_id, again.assignee) == ("reply", "crc")
    data = platform.runtime.load(platform.runtime.get(complaint.instance_id, with_state=True))[0]
    task = platform.runtime.task_of(data, open_task(platform, complaint.instance_id))
    assert task is not None and task.data["contact_attempts"] == 2
    complete(platform, complaint.instance_id, "crc", DONE)
    record = platform.session.get(Complaint, complaint.id)
    assert record is not None and record.status == "closed"
    rating = platform.requests.rating(complaint.instance_id)  # the score given on the phone: the one rating
    assert rating is not None and rating.score == 5


def test_not_satisfied_goes_back_to_the_department(platform: Platform) -> None:
    complaint = register(platform, triage=TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    with pytest.raises(InvalidData) as refused:
        platform.tasks.complete(
            open_task(platform, complaint.instance_id).id,
            {"reached": "yes", "reply": "已维修"},
            actor(platform, "crc"),
        )
    assert "satisfied" in refused.value.fields
    complete(platform, complaint.instance_id, "crc", {**DONE, "satisfied": "no", "score": 2})
    assert open_task(platform, complaint.instance_id).element_id == "handle"
    record = platform.session.get(Complaint, complaint.id)
    assert record is not None and record.rework_count == 1


def test_the_reply_is_due_when_the_whole_case_is_due_counted_from_registration(
    platform: Platform, clock: FixedClock
) -> None:
    complaint = register(platform)  # Friday 2026-11-20 10:00
    clock.advance(timedelta(hours=20))  # triaged on Saturday morning
    complete(platform, complaint.instance_id, "crc", TRIAGE)  # high: 3 working days
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    reply = open_task(platform, complaint.instance_id)
    assert reply.due_at is not None
    assert reply.due_at.astimezone(SHANGHAI) == datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    assert reply.deadline_clock == "business"  # working days: nights and weekends do not run it down


def test_major_owners_get_half_the_whole_case_time(platform: Platform) -> None:
    complaint = register(platform, triage=TRIAGE, phone="13800000003")  # 刘洋, major
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    reply = open_task(platform, complaint.instance_id)
    assert reply.due_at is not None
    # 1.5 working days from Friday 10:00: Monday afternoon.
    assert reply.due_at.astimezone(SHANGHAI).date() == datetime(2026, 11, 23).date()
