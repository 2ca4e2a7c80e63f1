"""`lintel demo`: complaints in every state a centre meets, so the first look shows a working centre."""

from __future__ import annotations

from sqlalchemy import select

from crm.models import Complaint, RequestIndex, RequestRating
from engine.models import HumanTask
from webapp.demo import load_demo_cases


def test_the_demo_has_complaints_in_every_state(session_factory, foundation, platform, clock) -> None:
    assert load_demo_cases(session_factory, foundation) == 8
    now = clock.now()
    session = platform.session
    steps = list(
        session.scalars(select(HumanTask).where(HumanTask.state == "open", HumanTask.kind == "task"))
    )
    complaints = list(session.scalars(select(Complaint)))
    index = list(session.scalars(select(RequestIndex)))

    new = [t for t in steps if t.element_id == "triage" and t.due_at and t.due_at > now]
    overdue = [t for t in steps if t.due_at and t.due_at < now and t.waiting_since is None]
    escalated = [t for t in steps if (t.escalation_level or 0) >= 2]
    waiting = [t for t in steps if t.waiting_since is not None]
    replied = [r for r in index if r.status == "open" and r.owner_reply]
    reworked = [c for c in complaints if c.rework_count and c.status == "handle"]
    rated = session.scalars(select(RequestRating)).all()
    closed = [c for c in complaints if c.status == "closed"]
    assert new and overdue and escalated and waiting and replied and reworked
    assert [r.score for r in rated] == [4] and len(closed) == 1
    # Several requests of one owner, for the portal's list.
    assert sum(1 for r in index if r.owner_phone == "13800000001") >= 2

    assert load_demo_cases(session_factory, foundation) == 0  # never twice
