"""The rectification loop through the service layer: each defect's workflow and its Defect row in step —
assigned to a contractor, rectified with evidence, failed twice, passed, confirmed by the owner; bulk
assignment and extended deadlines; the timers of the rectify step."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.attachments import Attachments
from crm.estate.models import Contractor, Ownership, Unit
from crm.handover.models import Defect
from crm.models import Department
from crm.platform import Foundation, Platform
from engine.errors import Conflict, InvalidData
from engine.models import AuditEvent, HumanTask
from engine.timers import TimerJob
from lintel.clock import FixedClock
from tests.webapp.pages_support import actor

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def unit_of(platform: Platform, owner_phone: str = "13800000001") -> Unit:
    from crm.estate.models import Owner

    owner = platform.session.scalars(select(Owner).where(Owner.phone == owner_phone)).one()
    ownership = platform.session.scalars(select(Ownership).where(Ownership.owner_id == owner.id)).first()
    assert ownership is not None
    unit = platform.session.get(Unit, ownership.unit_id)
    assert unit is not None
    return unit


def builder_company(platform: Platform) -> Contractor:
    return platform.session.scalars(select(Contractor).where(Contractor.name == "江南建工集团有限公司")).one()


def new_defect(platform: Platform, unit: Unit, **values: Any) -> Defect:
    defect, created = platform.defects.register(
        actor(platform, "eng"),
        {
            "unit_id": unit.id,
            "category": "土建",
            "part": "墙面",
            "item": "空鼓",
            "room": "客厅",
            "severity": "normal",
            **values,
        },
    )
    assert created
    return defect


def step(platform: Platform, defect: Defect) -> HumanTask:
    found = platform.rectifications.open_step(defect)
    assert found is not None
    return found


def fresh(platform: Platform, defect: Defect) -> Defect:
    platform.session.flush()
    platform.session.refresh(defect)
    return defect


def evidence(platform: Platform, defect: Defect, tmp_path: Path, username: str) -> list[str]:
    store = Attachments(platform.session, platform.clock, tmp_path / "uploads", 1 << 20)
    assert defect.instance_id is not None
    photo = store.store(defect.instance_id, username, "整改后.jpg", io.BytesIO(JPEG), field="evidence")
    return [photo.token]


def test_the_demo_contractor_works_in_its_companys_department(platform: Platform) -> None:
    company = builder_company(platform)
    department = platform.session.scalars(
        select(Department).where(Department.contractor_id == company.id)
    ).one()
    assert department.code == f"contractor_{company.id}"
    assert department.name == company.name
    builder = actor(platform, "builder")
    assert builder.departments == frozenset({department.code})
    # A contractor's department is no complaint triage choice.
    assert department.code not in dict(platform.validator.choices("departments"))


def test_a_contractor_saved_gets_its_department_and_its_work_routes_there_at_once(platform: Platform) -> None:
    company = platform.records.save_contractor(None, name="新城防水工程有限公司", trades=["防水"])
    defect = new_defect(platform, unit_of(platform))
    outcome = platform.rectifications.assign(
        actor(platform, "eng_mgr"), [defect.id], contractor_id=company.id
    )
    assert [d.id for d in outcome.done] == [defect.id]
    rectify = step(platform, defect)
    assert rectify.element_id == "rectify"
    assert rectify.department == f"contractor_{company.id}"
    # Renaming the company renames its department.
    platform.records.save_contractor(company, name="新城防水集团", trades=["防水"])
    department = platform.session.scalars(
        select(Department).where(Department.contractor_id == company.id)
    ).one()
    assert department.name == "新城防水集团"


def test_fail_twice_then_pass_then_the_owner_confirms(platform: Platform, tmp_path: Path) -> None:
    unit = unit_of(platform)
    defect = new_defect(platform, unit, rectify_days=5)
    assert defect.status == "assigning" and defect.number and defect.number.startswith("ZG-")
    company = builder_company(platform)
    platform.rectifications.assign(
        actor(platform, "eng_mgr"), [defect.id], contractor_id=company.id, rectify_days=5
    )
    defect = fresh(platform, defect)
    assert (defect.status, defect.contractor_id, defect.rounds) == ("rectifying", company.id, 0)
    assert defect.due_at == platform.clock.now() + timedelta(days=5)
    assert step(platform, defect).due_at == defect.due_at  # the inbox and the defect agree
    builder, inspector = actor(platform, "builder"), actor(platform, "eng")
    for round_number in (1, 2):
        tokens = evidence(platform, defect, tmp_path, "builder")
        platform.rectifications.close(
            builder, defect, note=f"第{round_number}次整改：重新抹灰", evidence=tokens
        )
        assert fresh(platform, defect).status == "verifying"
        assert defect.rectified_at is not None
        platform.tasks.complete(
            step(platform, defect).id,
            {"verified": "fail", "verify_note": f"仍有空鼓（第{round_number}次）"},
            inspector,
        )
        defect = fresh(platform, defect)
        assert (defect.status, defect.rounds) == ("rectifying", round_number)
    history = platform.rectifications.history([defect])[defect.id]
    assert platform.rectifications.last_failure(history) == "仍有空鼓（第2次）"
    # The second failure repeats the first's answer: each round still reads as a failure.
    assert [e["values"]["verified"] for e in history if e["step"] == "verify"] == ["fail", "fail"]
    platform.rectifications.close(
        builder, defect, note="第3次整改", evidence=evidence(platform, defect, tmp_path, "builder")
    )
    platform.tasks.complete(step(platform, defect).id, {"verified": "pass"}, inspector)
    defect = fresh(platform, defect)
    assert (defect.status, defect.rounds) == ("confirming", 2)
    assert defect.verified_at is not None
    owner_id = platform.session.scalars(
        select(Ownership.owner_id).where(Ownership.unit_id == unit.id)
    ).first()
    assert owner_id is not None
    platform.rectifications.owner_answers(owner_id, defect, confirmed=True, note=None)
    defect = fresh(platform, defect)
    assert (defect.status, defect.rounds, defect.confirmed_by) == ("closed", 2, f"owner:{owner_id}")
    assert defect.closed_at is not None
    assert len(platform.rectifications.photos(defect).after) == 3


def test_an_owner_not_satisfied_sends_it_back_with_a_round_more(platform: Platform, tmp_path: Path) -> None:
    defect = new_defect(platform, unit_of(platform))
    platform.rectifications.assign(actor(platform, "eng_mgr"), [defect.id], rectifier="eng")
    rectify = step(platform, defect)
    assert (rectify.department, rectify.assignee) == ("engineering", "eng")
    platform.rectifications.close(
        actor(platform, "eng"), defect, note="已修补", evidence=evidence(platform, defect, tmp_path, "eng")
    )
    platform.tasks.complete(step(platform, defect).id, {"verified": "pass"}, actor(platform, "eng"))
    # In person, on the centre's tablet: the owner is not satisfied.
    platform.tasks.complete(
        step(platform, defect).id, {"confirmed": "no", "confirm_note": "颜色不一致"}, actor(platform, "crc")
    )
    defect = fresh(platform, defect)
    assert (defect.status, defect.rounds, defect.assignee) == ("rectifying", 1, "eng")


def test_assigning_needs_a_contractor_or_an_engineer(platform: Platform) -> None:
    defect = new_defect(platform, unit_of(platform))
    with pytest.raises(InvalidData) as refused:
        platform.tasks.complete(step(platform, defect).id, {"rectify_days": 3}, actor(platform, "eng"))
    assert set(refused.value.fields) == {"contractor", "rectifier"}
    with pytest.raises(InvalidData) as bulk:
        platform.rectifications.assign(actor(platform, "eng_mgr"), [defect.id])
    assert set(bulk.value.fields) == {"contractor_id", "rectifier"}


def test_bulk_assign_skips_what_cannot_be_assigned_and_says_why(platform: Platform) -> None:
    unit = unit_of(platform)
    first, second, third = (new_defect(platform, unit) for _ in range(3))
    company = builder_company(platform)
    manager = actor(platform, "eng_mgr")
    platform.rectifications.assign(manager, [first.id], contractor_id=company.id)
    outcome = platform.rectifications.assign(
        manager, [first.id, second.id, third.id, 999999], contractor_id=company.id
    )
    assert sorted(d.id for d in outcome.done) == sorted([second.id, third.id])
    assert dict(outcome.skipped) == {first.number: "it is rectifying", "999999": "not found"}
    # Someone outside engineering cannot complete engineering's step: skipped, not failed.
    fourth = new_defect(platform, unit)
    refused = platform.rectifications.assign(
        actor(platform, "crc_sup"), [fourth.id], contractor_id=company.id
    )
    assert refused.done == [] and refused.skipped[0][0] == fourth.number
    assert fresh(platform, fourth).status == "assigning"


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


def escalations(platform: Platform, defect: Defect) -> list[HumanTask]:
    return list(
        platform.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == defect.instance_id, HumanTask.kind == "escalation"
            )
        )
    )


def test_extending_moves_the_deadline_its_timers_and_the_inbox_together(
    platform: Platform, clock: FixedClock, job: TimerJob
) -> None:
    defect = new_defect(platform, unit_of(platform))
    company = builder_company(platform)
    manager = actor(platform, "eng_mgr")
    platform.rectifications.assign(manager, [defect.id], contractor_id=company.id, rectify_days=3)
    before = fresh(platform, defect).due_at
    assert before is not None
    outcome = platform.rectifications.extend(manager, [defect.id], days=4, reason="材料到货延迟")
    assert [d.id for d in outcome.done] == [defect.id]
    defect = fresh(platform, defect)
    assert defect.due_at == before + timedelta(days=4)
    assert step(platform, defect).due_at == defect.due_at
    moved = platform.session.scalars(
        select(AuditEvent).where(
            AuditEvent.instance_id == defect.instance_id, AuditEvent.kind == "task.deadline_moved"
        )
    ).one()
    assert moved.data and moved.data["reason"] == "材料到货延迟"
    # The old deadline passes: nothing climbs yet; at the new one engineering's manager is told.
    platform.session.commit()
    job.run_until(before + timedelta(hours=1), clock)
    platform.session.expire_all()
    assert escalations(platform, defect) == []
    job.run_until(defect.due_at + timedelta(hours=1), clock)
    platform.session.expire_all()
    assert [(e.department, e.assignee, e.escalation_level) for e in escalations(platform, defect)] == [
        ("engineering", "eng_mgr", 1)
    ]
    with pytest.raises(InvalidData):
        platform.rectifications.extend(manager, [defect.id], days=0, reason="x")
    with pytest.raises(InvalidData):
        platform.rectifications.extend(manager, [defect.id], days=2, reason=" ")


def test_a_closed_defect_cannot_be_closed_again(platform: Platform, tmp_path: Path) -> None:
    defect = new_defect(platform, unit_of(platform))
    with pytest.raises(Conflict):
        platform.rectifications.close(actor(platform, "builder"), defect, note="x", evidence=[])


def test_the_contractors_people_hear_of_new_work_and_of_a_failed_verification(
    platform: Platform, tmp_path: Path
) -> None:
    from notifications.models import InAppMessage

    def bell(username: str) -> list[InAppMessage]:
        platform.session.flush()
        return list(
            platform.session.scalars(
                select(InAppMessage)
                .where(InAppMessage.recipient == f"user:{username}")
                .order_by(InAppMessage.id)
            )
        )

    defect = new_defect(platform, unit_of(platform))
    company = builder_company(platform)
    platform.rectifications.assign(actor(platform, "eng_mgr"), [defect.id], contractor_id=company.id)
    told = bell("builder")
    assert [m.kind for m in told] == ["task.new"]
    assert told[0].link == "/contractor"  # their own work list: the centre's request pages are not theirs
    platform.rectifications.close(
        actor(platform, "builder"),
        defect,
        note="已处理",
        evidence=evidence(platform, defect, tmp_path, "builder"),
    )
    platform.tasks.complete(
        step(platform, defect).id, {"verified": "fail", "verify_note": "阴角仍开裂"}, actor(platform, "eng")
    )
    told = bell("builder")
    assert [m.kind for m in told] == ["task.new", "defect.returned"]  # the rework: one notice, with the note
    assert "阴角仍开裂" in told[-1].body and told[-1].link == f"/contractor/defects/{defect.id}"


def test_a_rectification_is_reminded_a_day_ahead_then_climbs_the_ladder(
    platform: Platform, clock: FixedClock, job: TimerJob
) -> None:
    from notifications.models import InAppMessage

    defect = new_defect(platform, unit_of(platform))
    platform.rectifications.assign(
        actor(platform, "eng_mgr"), [defect.id], contractor_id=builder_company(platform).id, rectify_days=3
    )
    due = fresh(platform, defect).due_at
    assert due is not None
    platform.session.commit()
    job.run_until(due - timedelta(hours=23), clock)
    platform.session.expire_all()
    reminded = platform.session.scalars(
        select(InAppMessage).where(
            InAppMessage.recipient == "user:builder", InAppMessage.kind == "task.reminder"
        )
    ).all()
    assert len(reminded) == 1
    assert escalations(platform, defect) == []
    job.run_until(due + timedelta(days=5, hours=1), clock)
    platform.session.expire_all()
    ladder = [(e.escalation_level, e.department, e.assignee) for e in escalations(platform, defect)]
    assert ladder == [(1, "engineering", "eng_mgr"), (2, "crc", "crc_sup"), (3, "group_crc", "group_crc")]
    # The defect is overdue on every list, still with the company.
    defect = fresh(platform, defect)
    assert defect.status == "rectifying" and defect.due_at == due < clock.now()
