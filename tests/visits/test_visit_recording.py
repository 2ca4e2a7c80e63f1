"""Making a visit through the services: a no-answer tried again on other days at other times of day, then
given up; a refusal or a wrong number ends it; the answers summarised; a low score opens exactly one complaint
linked both ways, in the same transaction; and the workflow's step cannot be completed around the visit."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.models import Complaint
from crm.platform import Foundation, Platform
from crm.visits.models import Visit, VisitAnswer, VisitAttempt
from engine.errors import Conflict, InvalidData
from engine.models import HumanTask, ProcessInstance
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.visits.support import CONTENT, actor, call_step, campaign, visit, visits_at_once


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_no_answer_is_tried_again_at_15_then_19_30_on_later_working_days_then_given_up(
    session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock
) -> None:
    # Friday 20 November 2026, 10:00.
    with session_factory() as session:
        platform = Platform(session, foundation)
        made = visit(platform, campaign(platform))
        visit_id = made.id
        first = call_step(platform, made)
        assert (first.assignee, first.department) == ("crc", "crc")
        platform.visits.record(visit_id, actor(platform, "crc"), outcome="no_answer", note="响铃无人接")
        session.commit()
    job = TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)

    with session_factory() as session:
        platform = Platform(session, foundation)
        made = platform.visits.get(visit_id)
        assert (made.status, made.attempts, made.outcome) == ("open", 1, "no_answer")
        assert platform.visits.call_step(made) is None  # waiting for another day
        assert platform.visits.next_call_at(made).astimezone(SHANGHAI) == sh(2026, 11, 23, 15, 0)

    # Monday 15:00: the call is back in the visitor's inbox.
    clock.set(sh(2026, 11, 23, 14, 59))
    job.run_due(clock.now())
    with session_factory() as session:
        assert Platform(session, foundation).visits.call_step(session.get(Visit, visit_id)) is None
    clock.set(sh(2026, 11, 23, 15, 0, 1))
    job.run_due(clock.now())
    with session_factory() as session:
        platform = Platform(session, foundation)
        made = platform.visits.get(visit_id)
        second = call_step(platform, made)
        assert second.assignee == "crc" and second.id != first.id
        platform.visits.record(visit_id, actor(platform, "crc"), outcome="busy", attempt=2)
        session.commit()

    # Tuesday evening, 19:30.
    with session_factory() as session:
        made = session.get(Visit, visit_id)
        assert made is not None
        assert Platform(session, foundation).visits.next_call_at(made).astimezone(SHANGHAI) == sh(
            2026, 11, 24, 19, 30
        )
    clock.set(sh(2026, 11, 24, 19, 30, 1))
    job.run_due(clock.now())
    with session_factory() as session:
        platform = Platform(session, foundation)
        made = platform.visits.get(visit_id)
        call_step(platform, made)
        platform.visits.record(visit_id, actor(platform, "crc"), outcome="no_answer", attempt=3)
        session.commit()

    with session_factory() as session:
        platform = Platform(session, foundation)
        made = platform.visits.get(visit_id)
        assert (made.status, made.attempts) == ("given_up", 3)
        assert made.closed_at is not None
        instance = session.get(ProcessInstance, made.instance_id)
        assert instance is not None and instance.status == "completed"
        attempts = platform.visits.attempts(made)
        assert [(a.outcome, a.at.astimezone(SHANGHAI).hour) for a in attempts] == [
            ("no_answer", 10),
            ("busy", 15),
            ("no_answer", 19),
        ]
        assert attempts[0].note == "响铃无人接"


@pytest.mark.parametrize(("outcome", "status"), [("refused", "refused"), ("wrong_number", "given_up")])
def test_a_refusal_or_a_wrong_number_ends_the_visit_at_once(
    platform: Platform, outcome: str, status: str
) -> None:
    made = visit(platform, campaign(platform))
    platform.visits.record(made.id, actor(platform, "crc"), outcome=outcome)
    assert (made.status, made.attempts, made.outcome) == (status, 1, outcome)
    assert platform.visits.call_step(made) is None
    assert platform.visits.next_call_at(made) is None
    assert count(platform.session, VisitAnswer, VisitAnswer.visit_id == made.id) == 0


def test_an_answered_visit_keeps_each_answer_and_its_summary(platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    answers = {**CONTENT, "q_quality": 3, "comment": "整体不错"}
    recorded = platform.visits.record(made.id, actor(platform, "crc"), outcome="answered", answers=answers)
    assert recorded.complaint is None
    assert (made.status, made.attempts, made.lowest_score, made.average_score, made.nps) == (
        "answered",
        1,
        3,
        4.25,
        9,
    )
    assert made.dissatisfied is False and made.answered_at == platform.clock.now()
    kept = platform.visits.answers(made)
    assert (kept["q_quality"].score, kept["overall"].value, kept["nps"].score) == (3, "satisfied", 9)
    assert kept["comment"].value == "整体不错"


def test_answers_are_checked_question_by_question_and_nothing_is_written(platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    wrong = {**CONTENT, "q_quality": 6, "nps": 11, "overall": None}
    with pytest.raises(InvalidData) as refused:
        platform.visits.record(made.id, actor(platform, "crc"), outcome="answered", answers=wrong)
    assert set(refused.value.fields) == {"answers.q_quality", "answers.nps", "answers.overall"}
    with pytest.raises(InvalidData) as refused:
        platform.visits.record(made.id, actor(platform, "crc"), outcome="answered")
    assert set(refused.value.fields) == {"answers"}
    with pytest.raises(InvalidData) as refused:
        platform.visits.record(made.id, actor(platform, "crc"), outcome="maybe", note="x" * 2001)
    assert set(refused.value.fields) == {"outcome", "note"}
    assert (made.attempts, made.status) == (0, "open")
    assert count(platform.session, VisitAttempt, VisitAttempt.visit_id == made.id) == 0
    assert call_step(platform, made).state == "open"


@pytest.mark.parametrize(
    ("low", "said"),
    [({"q_rectification": 2}, "问题整改的及时性：2 分"), ({"overall": "dissatisfied"}, "总体评价：不满意")],
)
def test_a_low_score_or_dissatisfied_opens_one_complaint_linked_both_ways(
    platform: Platform, low: dict[str, object], said: str
) -> None:
    made = visit(platform, campaign(platform))
    answers = {**CONTENT, **low, "comment": "卫生间返水一直没修好"}
    recorded = platform.visits.record(made.id, actor(platform, "crc"), outcome="answered", answers=answers)
    complaint = recorded.complaint
    assert complaint is not None
    assert made.dissatisfied is True and made.complaint_id == complaint.id
    assert complaint.visit_id == made.id
    assert (complaint.channel, complaint.owner_id, complaint.unit_id) == (
        "return_visit",
        made.owner_id,
        made.unit_id,
    )
    assert complaint.category is None  # left for triage
    assert said in complaint.description and "卫生间返水一直没修好" in complaint.description
    assert complaint.number.startswith("TS-")
    # Routed like any complaint: its triage waits in the centre's queue.
    assert complaint.instance_id is not None
    [triage] = platform.tasks.open_tasks_of(complaint.instance_id)
    assert (triage.element_id, triage.department) == ("triage", "crc")
    assert count(platform.session, Complaint, Complaint.visit_id == made.id) == 1


def test_a_complaint_that_cannot_be_registered_leaves_no_answers_behind(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = visit(platform, campaign(platform))
    step = call_step(platform, made)

    def broken(*args: object, **kwargs: object) -> None:
        raise Conflict("the complaint workflow is not deployed")

    monkeypatch.setattr(platform.complaints, "register", broken)
    with pytest.raises(Conflict):
        platform.visits.record(
            made.id, actor(platform, "crc"), outcome="answered", answers={**CONTENT, "q_quality": 1}
        )
    platform.session.expire_all()
    assert count(platform.session, VisitAnswer, VisitAnswer.visit_id == made.id) == 0
    assert count(platform.session, VisitAttempt, VisitAttempt.visit_id == made.id) == 0
    made = platform.visits.get(made.id)
    assert (made.attempts, made.status, made.complaint_id, made.answered_at) == (0, "open", None, None)
    assert platform.session.get(HumanTask, step.id).state == "open"


def test_a_stale_page_is_refused(platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    step = call_step(platform, made)
    with pytest.raises(Conflict, match="recorded meanwhile"):
        platform.visits.record(made.id, actor(platform, "crc"), outcome="busy", attempt=2)
    platform.visits.record(made.id, actor(platform, "crc"), outcome="refused", task_id=step.id, attempt=1)
    with pytest.raises(Conflict, match="not waiting for a call"):
        platform.visits.record(made.id, actor(platform, "crc"), outcome="refused", task_id=step.id, attempt=1)


def test_only_the_visitor_records_unless_an_overseer_takes_it_over(platform: Platform) -> None:
    made = visit(platform, campaign(platform, visitors=("crc",)))
    with pytest.raises(Conflict, match="claimed by crc"):
        platform.visits.record(made.id, actor(platform, "crc_sup"), outcome="busy")
    assert made.attempts == 0
    platform.visits.record(made.id, actor(platform, "crc_sup"), outcome="busy", take_over=True)
    [attempt] = platform.visits.attempts(made)
    assert attempt.by == "crc_sup"


def test_the_step_completed_elsewhere_cannot_claim_an_answer_without_answers(platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    step = call_step(platform, made)
    crc = actor(platform, "crc")
    with pytest.raises(Conflict, match=f"/visits/{made.id}"):
        platform.tasks.complete(step.id, {"outcome": "answered", "visit_note": ""}, crc)
    assert made.attempts == 0 and step.state == "open"
    # Another outcome goes through, and is recorded as an attempt all the same.
    platform.tasks.complete(step.id, {"outcome": "no_answer", "visit_note": "关机"}, crc)
    [attempt] = platform.visits.attempts(made)
    assert (attempt.outcome, attempt.note, attempt.by, made.attempts) == ("no_answer", "关机", "crc", 1)
    assert made.status == "open" and platform.visits.next_call_at(made) is not None


def test_answers_given_online_are_kept_the_same_way(platform: Platform) -> None:
    made = visit(platform, campaign(platform, method="online"))
    owner = actor(platform, "crc")
    with pytest.raises(InvalidData) as refused:
        platform.visits.save_answers(made, {**CONTENT, "nps": -1}, owner)
    assert set(refused.value.fields) == {"answers.nps"}
    complaint = platform.visits.save_answers(made, {**CONTENT, "overall": "dissatisfied"}, owner)
    assert complaint is not None and complaint.visit_id == made.id and made.complaint_id == complaint.id
    assert made.dissatisfied and made.answered_at is not None and made.lowest_score == 4
    with pytest.raises(Conflict, match="already answered"):
        platform.visits.save_answers(made, CONTENT, owner)


def test_visits_started_together_are_made_like_any(platform: Platform) -> None:
    run = campaign(platform)
    first, second = visits_at_once(platform, run, ("13800000001", "13800000002"))
    assert call_step(platform, first).assignee == "crc" and call_step(platform, second).assignee == "crc"
    platform.visits.record(first.id, actor(platform, "crc"), outcome="refused")
    platform.visits.record(second.id, actor(platform, "crc"), outcome="answered", answers=CONTENT)
    assert (first.status, second.status) == ("refused", "answered")


def test_an_online_visit_closes_when_the_owner_answers_or_when_its_days_run_out(
    session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock
) -> None:
    with session_factory() as session:
        platform = Platform(session, foundation)
        run = campaign(platform, method="online", visit_days=3)
        answered_visit, silent = visits_at_once(platform, run, ("13800000001", "13800000002"), None)
        assert platform.visits.call_step(answered_visit) is None
        owner_side = actor(platform, "crc")
        platform.visits.save_answers(answered_visit, CONTENT, owner_side)
        assert answered_visit.instance_id is not None
        platform.runtime.send_message(
            answered_visit.instance_id, "visit_answered", {"answers": CONTENT}, owner_side
        )
        assert answered_visit.status == "answered" and answered_visit.closed_at is not None
        ids = (answered_visit.id, silent.id)
        session.commit()
    job = TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)
    job.run_until(sh(2026, 11, 27, 12, 0), clock)
    with session_factory() as session:
        done, expired = (session.get(Visit, i) for i in ids)
        assert done is not None and expired is not None
        assert (done.status, expired.status) == ("answered", "given_up")
        assert expired.answered_at is None and expired.closed_at is not None
