"""`lintel demo`: the demo project's open day, its defects played through their rectification up to now, so
that every state of the loop has something to show — and played once only."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from crm.handover.demo_open_day_data import DEFECTS
from crm.handover.models import Defect, InspectionSession, UnitWalk
from crm.models import Attachment, Department, User, UserDepartment
from engine.models import HumanTask, ProcessInstance
from webapp.demo import load_demo_open_day


def test_the_demo_open_day_has_defects_in_every_state_of_their_rectification(
    session_factory, foundation, platform, clock, tmp_path: Path
) -> None:
    assert load_demo_open_day(session_factory, foundation, tmp_path) == len(DEFECTS)
    session = platform.session
    now = clock.now()
    inspection = session.scalars(select(InspectionSession)).one()
    assert inspection.kind == "open_day" and inspection.title == "江南府业主开放日"
    walks = session.scalars(select(UnitWalk).where(UnitWalk.session_id == inspection.id)).all()
    assert len(walks) == 8 and any(w.owner_id is not None for w in walks)
    defects = session.scalars(select(Defect).where(Defect.session_id == inspection.id)).all()
    assert len(defects) == len(DEFECTS) and all(d.number and d.number.startswith("ZG-") for d in defects)
    assert len({d.unit_id for d in defects if d.unit_id}) == 8 and any(d.unit_id is None for d in defects)

    # Where each defect's workflow stands (the engine is the truth the defect rows follow).
    where: dict[int, str] = {}
    overdue = 0
    for defect in defects:
        instance = session.get(ProcessInstance, defect.instance_id)
        assert instance is not None and instance.status in ("running", "completed"), instance
        open_steps = [t for t in platform.tasks.open_tasks_of(instance.id) if (t.kind or "task") == "task"]
        if instance.status == "completed":
            where[defect.id] = "closed"
            continue
        (step,) = open_steps
        where[defect.id] = step.element_id
        if step.element_id == "rectify" and step.due_at is not None and step.due_at < now:
            overdue += 1
    states = Counter(where.values())
    assert states == {"assign": 3, "rectify": 7, "verify": 2, "confirm": 3, "closed": 7}
    assert overdue == 3
    # The defect rows follow their workflows: what the boards and the reports read.
    assert Counter(d.status for d in defects) == {
        "assigning": 3,
        "rectifying": 7,
        "verifying": 2,
        "confirming": 3,
        "closed": 7,
    }
    # A defect re-verified after a failed round, and one sent back twice.
    failed_rounds = Counter(
        session.scalars(
            select(HumanTask.instance_id).where(
                HumanTask.element_id == "verify", HumanTask.state == "completed"
            )
        )
    )
    verifying_again = [d for d in defects if where[d.id] == "verify" and failed_rounds[d.instance_id] == 1]
    assert len(verifying_again) == 2
    assert any(where[d.id] == "rectify" and failed_rounds[d.instance_id] == 2 for d in defects)
    # Two units have every defect closed: ready for handover.
    by_unit: dict[int, set[str]] = {}
    for d in defects:
        if d.unit_id is not None:
            by_unit.setdefault(d.unit_id, set()).add(where[d.id])
    assert sum(1 for states_of in by_unit.values() if states_of == {"closed"}) == 2

    # Several contractors rectify, each in its department with someone to sign in; photos before and after.
    worked_by = {
        t.department for t in session.scalars(select(HumanTask).where(HumanTask.element_id == "rectify"))
    }
    companies = {code for code in worked_by if code.startswith("contractor_")}
    assert len(companies) >= 4 and "engineering" in worked_by
    for code in companies:
        department = session.get(Department, code)
        assert department is not None and department.contractor_id is not None
        members = session.scalars(
            select(User)
            .join(UserDepartment, UserDepartment.user_id == User.id)
            .where(UserDepartment.department_code == code)
        ).all()
        assert any(m.roles == "contractor" for m in members), code
    decorator = platform.directory.user("zhuangshi")  # the demo's account for its fit-out company
    assert decorator is not None and decorator.roles == "contractor"
    fields = Counter(session.scalars(select(Attachment.field)))
    assert fields["photos"] == len(DEFECTS) and fields["evidence"] >= 10
    assert all(
        (tmp_path / str(a.instance_id) / a.stored_name).exists() for a in session.scalars(select(Attachment))
    )

    # Played once: a second `lintel demo` adds nothing.
    assert load_demo_open_day(session_factory, foundation, tmp_path) == 0
    assert session.scalar(select(User).where(User.username == "zhuangshi")) is not None
