"""Making a visit: the visitor records each call (the attempt, the owner's answers, the visit's summary) and
completes the workflow's `call` step in one go, so the diagram decides between done, another day and giving
up; a dissatisfied answer opens a complaint linked both ways, in the same transaction. The visit's status is
kept in step with its workflow, whichever path completed the step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.complaints import ComplaintService
from crm.models import Complaint
from crm.visits.models import DISSATISFIED_SCORE, OUTCOMES, Visit, VisitAnswer, VisitAttempt
from crm.visits.questionnaires import DISSATISFIED, as_form
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from engine.events import (
    EventBus,
    InstanceCancelled,
    InstanceCompleted,
    TaskCompleted,
    TaskCompleting,
)
from engine.models import HumanTask, ProcessInstance
from engine.tasks import TaskService
from forms import Field, Form, FormInvalid
from lintel.clock import Clock

PROCESS_KEY = "return_visit"
CALL_STEP = "call"
COMPLAINT_CHANNEL = "return_visit"
NOTE_LENGTH = 2000
# How the workflow ended, by the last call's outcome (an online questionnaire left unanswered has none).
ENDED_AS = {
    "answered": "answered",
    "refused": "refused",
    "no_answer": "given_up",
    "busy": "given_up",
    "wrong_number": "given_up",
}


@dataclass(frozen=True)
class Recorded:
    visit: Visit
    attempt: VisitAttempt
    complaint: Complaint | None


def call_step(session: Session, visit: Visit) -> HumanTask | None:
    """The visit's open `call` step, if its workflow is waiting for one."""
    if visit.instance_id is None:
        return None
    return session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == visit.instance_id,
            HumanTask.element_id == CALL_STEP,
            HumanTask.kind == "task",
            HumanTask.state == "open",
        )
    ).first()


def visit_of_instance(session: Session, instance_id: int) -> Visit | None:
    return session.scalars(select(Visit).where(Visit.instance_id == instance_id)).first()


def attempt_of(session: Session, step: HumanTask) -> int:
    """Which attempt the `call` step `step` is: one more than the calls completed before it. (Event handlers
    run without autoflush: the step's own new state may not be written yet, so it is left out.)"""
    before = session.scalar(
        select(func.count())
        .select_from(HumanTask)
        .where(
            HumanTask.instance_id == step.instance_id,
            HumanTask.element_id == CALL_STEP,
            HumanTask.kind == "task",
            HumanTask.state == "completed",
            HumanTask.id != step.id,
        )
    )
    return (before or 0) + 1


def is_rating(field: Field) -> bool:
    return field.type == "rating"


def is_nps(field: Field) -> bool:
    return field.name == "nps"


def low_answers(form: Form, answers: Mapping[str, Any]) -> list[str]:
    """The answers that make the owner dissatisfied, as the complaint describes them."""
    lines = []
    for field in form.fields:
        value = answers.get(field.name)
        if value is None:
            continue
        if is_rating(field) and int(value) <= DISSATISFIED_SCORE:
            lines.append(f"{field.label}：{int(value)} 分")
        elif field.type == "choice" and value == DISSATISFIED:
            shown = next((c.label for c in field.choices if c.value == value), str(value))
            lines.append(f"{field.label}：{shown}")
    return lines


class Visits:
    def __init__(
        self, session: Session, tasks: TaskService, complaints: ComplaintService, clock: Clock
    ) -> None:
        self.session = session
        self.tasks = tasks
        self.complaints = complaints
        self.clock = clock

    def get(self, visit_id: int) -> Visit:
        visit = self.session.get(Visit, visit_id) if 0 < visit_id < 2**63 else None
        if visit is None:
            raise NotFound(f"visit {visit_id} does not exist")
        return visit

    def form(self, visit: Visit) -> Form:
        return as_form(visit.campaign.questionnaire)

    def call_step(self, visit: Visit) -> HumanTask | None:
        return call_step(self.session, visit)

    def attempts(self, visit: Visit) -> list[VisitAttempt]:
        return list(
            self.session.scalars(
                select(VisitAttempt).where(VisitAttempt.visit_id == visit.id).order_by(VisitAttempt.id)
            )
        )

    def answers(self, visit: Visit) -> dict[str, VisitAnswer]:
        rows = self.session.scalars(select(VisitAnswer).where(VisitAnswer.visit_id == visit.id))
        return {row.question: row for row in rows}

    def next_call_at(self, visit: Visit) -> Any:
        """When a visit waiting for another day comes back to its visitor (the retry timer's due time)."""
        if visit.status != "open" or visit.instance_id is None or self.call_step(visit) is not None:
            return None
        instance = self.session.get(ProcessInstance, visit.instance_id)
        return instance.next_timer_at if instance is not None else None

    def record(
        self,
        visit_id: int,
        actor: Actor,
        *,
        outcome: Any,
        note: Any = None,
        answers: Mapping[str, Any] | None = None,
        task_id: int | None = None,
        attempt: int | None = None,
        take_over: bool = False,
    ) -> Recorded:
        """Record one call of the visit and complete its `call` step, all or nothing.

        `task_id` and `attempt` are what the visitor's page showed: another step or another attempt by now
        means the page is stale (Conflict). `take_over`: the caller's policy lets `actor` record a visit
        another visitor holds (an overseer), and the step is reassigned to them first (audited)."""
        visit = self.get(visit_id)
        step = self.call_step(visit)
        if step is None:
            raise Conflict(f"visit {visit.id} is not waiting for a call (it is {visit.status})")
        if (task_id is not None and task_id != step.id) or (
            attempt is not None and attempt != visit.attempts + 1
        ):
            raise Conflict(
                f"visit {visit.id} was recorded meanwhile: this is now attempt {visit.attempts + 1}"
            )
        problems: dict[str, str] = {}
        if outcome not in OUTCOMES:
            problems["outcome"] = "must be one of: " + ", ".join(OUTCOMES)
        text = note.strip() if isinstance(note, str) else ""
        if note is not None and not isinstance(note, str):
            problems["note"] = "must be text"
        elif len(text) > NOTE_LENGTH:
            problems["note"] = f"must be at most {NOTE_LENGTH} characters"
        form = self.form(visit)
        cleaned: dict[str, Any] = {}
        if outcome == "answered":
            if answers is None or not isinstance(answers, Mapping):
                problems["answers"] = "the owner's answers are required when the call was answered"
            else:
                try:
                    cleaned = form.validate(answers)
                except FormInvalid as invalid:
                    problems.update({f"answers.{k}": v for k, v in invalid.errors.items()})
        if problems:
            raise InvalidData("the visit has errors", problems)
        if take_over and step.assignee != actor.username:
            self.tasks.reassign(step.id, actor, actor)
        savepoint = self.session.begin_nested()
        try:
            recorded = self._write(visit, step, actor, outcome, text, form, cleaned)
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        savepoint.commit()
        return recorded

    def save_answers(self, visit: Visit, answers: Any, actor: Actor) -> Complaint | None:
        """The owner's answers given some other way than a call (an online questionnaire answered on the
        portal): checked question by question, kept with the visit's summary and, when dissatisfied, the
        complaint linked both ways — all or nothing. The caller then delivers the workflow's message."""
        if visit.answered_at is not None:
            raise Conflict(f"visit {visit.id} was already answered")
        form = self.form(visit)
        if not isinstance(answers, Mapping):
            raise InvalidData("the visit has errors", {"answers": "must be an object of answers"})
        try:
            cleaned = form.validate(answers)
        except FormInvalid as invalid:
            raise InvalidData(
                "the visit has errors", {f"answers.{k}": v for k, v in invalid.errors.items()}
            ) from invalid
        savepoint = self.session.begin_nested()
        try:
            self._answer(visit, form, cleaned, self.clock.now())
            complaint = self._complaint(visit, form, cleaned, actor) if visit.dissatisfied else None
            self.session.flush()
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        savepoint.commit()
        return complaint

    def _write(
        self,
        visit: Visit,
        step: HumanTask,
        actor: Actor,
        outcome: str,
        note: str,
        form: Form,
        answers: dict[str, Any],
    ) -> Recorded:
        now = self.clock.now()
        attempt = VisitAttempt(visit_id=visit.id, at=now, by=actor.username, outcome=outcome, note=note)
        self.session.add(attempt)
        visit.attempts += 1
        visit.outcome = outcome
        complaint = None
        if outcome == "answered":
            self._answer(visit, form, answers, now)
            if visit.dissatisfied:
                complaint = self._complaint(visit, form, answers, actor)
        self.session.flush()
        # The diagram decides what comes next: done, another day at another time, or giving up.
        self.tasks.complete(step.id, {"outcome": outcome, "visit_note": note}, actor)
        self.session.flush()
        return Recorded(visit, attempt, complaint)

    def _answer(self, visit: Visit, form: Form, answers: dict[str, Any], now: Any) -> None:
        ratings: list[int] = []
        dissatisfied = False
        for field in form.fields:
            value = answers.get(field.name)
            if value is None or value == "":
                continue
            score: int | None = None
            text: str | None = None
            if is_rating(field) or (is_nps(field) and field.type == "number"):
                score = int(value)
                if is_rating(field):
                    ratings.append(score)
                    dissatisfied = dissatisfied or score <= DISSATISFIED_SCORE
            else:
                text = str(value)
                dissatisfied = dissatisfied or (field.type == "choice" and value == DISSATISFIED)
            if is_nps(field) and score is not None:
                visit.nps = score
            self.session.add(
                VisitAnswer(
                    visit_id=visit.id,
                    question=field.name,
                    campaign_id=visit.campaign_id,
                    score=score,
                    value=text,
                )
            )
        visit.lowest_score = min(ratings) if ratings else None
        visit.average_score = round(sum(ratings) / len(ratings), 2) if ratings else None
        visit.dissatisfied = dissatisfied
        visit.answered_at = now

    def _complaint(self, visit: Visit, form: Form, answers: dict[str, Any], actor: Actor) -> Complaint:
        """The dissatisfied owner's complaint, routed like any: the category is left for triage."""
        lines = [f"回访（{visit.campaign.name}）中业主表示不满意：", *low_answers(form, answers)]
        comment = next(
            (
                str(answers[f.name]).strip()
                for f in form.fields
                if f.type == "textarea" and answers.get(f.name)
            ),
            "",
        )
        if comment:
            lines.append(f"业主意见：{comment}")
        complaint = self.complaints.register(
            actor,
            channel=COMPLAINT_CHANNEL,
            description="\n".join(lines),
            owner_id=visit.owner_id,
            unit_id=visit.unit_id,
        )
        complaint.visit_id = visit.id
        visit.complaint_id = complaint.id
        return complaint


# -- the visit kept in step with its workflow, whichever path completes its step ---------------------------
# Nothing listens to TaskCreated: a visit stays open between its attempts (the launcher opens it), and a
# launch of tens of thousands of visits must not cost a query per instance.


def subscribe(events: EventBus, clock: Clock) -> None:
    def visit_for(
        session: Session, instance: ProcessInstance, data: Mapping[str, Any] | None = None
    ) -> Visit | None:
        if instance.process_key != PROCESS_KEY:
            return None
        visit_id = (data or {}).get("visit_id")
        if isinstance(visit_id, int):
            found = session.get(Visit, visit_id)
            if found is not None:
                return found
        return visit_of_instance(session, instance.id)

    def completing(session: Session, event: TaskCompleting) -> None:
        if event.task.element_id != CALL_STEP or event.data.get("outcome") != "answered":
            return
        visit = visit_for(session, event.instance, event.data)
        if visit is None:
            return
        if (
            visit.attempts != attempt_of(session, event.task)
            or visit.outcome != "answered"
            or visit.answered_at is None
        ):
            raise Conflict(f"record the owner's answers on the visit's page: /visits/{visit.id}")

    def completed(session: Session, event: TaskCompleted) -> None:
        if event.task.element_id != CALL_STEP or event.task.kind != "task":
            return
        visit = visit_for(session, event.instance)
        if visit is None:
            return
        # Completed elsewhere than the visit's page (the task page, the task API): the attempt is recorded
        # from the step's form.
        if visit.attempts < attempt_of(session, event.task):
            outcome = str(event.data.get("outcome") or "")
            note = str(event.data.get("visit_note") or "")
            session.add(
                VisitAttempt(visit_id=visit.id, at=clock.now(), by=event.actor, outcome=outcome, note=note)
            )
            visit.attempts += 1
            visit.outcome = outcome
        session.flush()

    def ended(session: Session, event: InstanceCompleted) -> None:
        visit = visit_for(session, event.instance, event.data)
        if visit is None:
            return
        outcome = event.data.get("outcome")
        if isinstance(outcome, str) and outcome in ENDED_AS:
            visit.status = ENDED_AS[outcome]
        else:  # online: answered on the portal, or the questionnaire's days ran out
            visit.status = "answered" if visit.answered_at is not None else "given_up"
        visit.closed_at = event.instance.completed_at or clock.now()
        session.flush()

    def cancelled(session: Session, event: InstanceCancelled) -> None:
        visit = visit_for(session, event.instance)
        if visit is not None and visit.status in ("queued", "open"):
            visit.status = "cancelled"
            visit.closed_at = clock.now()
            session.flush()

    events.subscribe(TaskCompleting, completing)
    events.subscribe(TaskCompleted, completed)
    events.subscribe(InstanceCompleted, ended)
    events.subscribe(InstanceCancelled, cancelled)
