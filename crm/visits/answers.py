"""Recording an owner's answers to a visit's questionnaire, however they were given — told to the visitor on
the phone or at home, or typed by the owner on the portal: the answers, the visit's summary, and the complaint
a dissatisfied answer opens, all in the caller's transaction.

The rules, one place for both paths:
- the answers are checked against the campaign's questionnaire version (forms: every error at once);
- a rating (1–5) and an NPS answer (0–10) are stored as `score`, a choice or text as `value` (several
  choices joined by commas); unanswered optional questions are not stored;
- the summary: the lowest and the mean of the ratings, the NPS answer, `dissatisfied` when any rating is at
  most DISSATISFIED_SCORE or any choice is "dissatisfied";
- dissatisfied: a complaint (channel 回访) about the visit's owner and unit, its description written from the
  low answers and the comment, category left for triage, linked both ways (Visit.complaint_id,
  Complaint.visit_id).
A visit answered once is not answered again (Conflict): nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from crm.complaints import ComplaintService
from crm.models import Complaint
from crm.visits.models import DISSATISFIED_SCORE, Visit, VisitAnswer
from crm.visits.questionnaires import DISSATISFIED, as_form
from engine.actors import Actor
from engine.errors import Conflict, InvalidData
from forms import Field, Form
from forms.model import FormInvalid
from lintel.clock import Clock

COMPLAINT_CHANNEL = "return_visit"
NPS_FIELD = "nps"


def is_nps(field: Field) -> bool:
    """The 0–10 recommendation question: the field named `nps`, or any integer question from 0 to 10."""
    return field.type == "number" and (field.name == NPS_FIELD or (field.min == 0 and field.max == 10))


def is_scored(field: Field) -> bool:
    return field.type == "rating" or is_nps(field)


@dataclass(frozen=True)
class Summary:
    lowest_score: int | None
    average_score: float | None
    nps: int | None
    dissatisfied: bool
    low: list[str]  # what made it dissatisfied, as the complaint's description says it


def summarise(form: Form, cleaned: Mapping[str, Any]) -> Summary:
    ratings: list[int] = []
    nps: int | None = None
    low: list[str] = []
    for field in form.fields:
        value = cleaned.get(field.name)
        if value is None or value == []:
            continue
        if field.type == "rating":
            ratings.append(int(value))
            if int(value) <= DISSATISFIED_SCORE:
                low.append(f"{field.label}：{int(value)} 分")
        elif is_nps(field):
            nps = int(value)
        elif field.type in ("choice", "multichoice"):
            chosen = value if isinstance(value, list) else [value]
            if DISSATISFIED in chosen:
                shown = next((c.label for c in field.choices if c.value == DISSATISFIED), "不满意")
                low.append(f"{field.label}：{shown}")
    return Summary(
        lowest_score=min(ratings) if ratings else None,
        average_score=round(sum(ratings) / len(ratings), 2) if ratings else None,
        nps=nps,
        dissatisfied=bool(low),
        low=low,
    )


def answer_rows(form: Form, visit: Visit, cleaned: Mapping[str, Any]) -> list[VisitAnswer]:
    rows = []
    for field in form.fields:
        value = cleaned.get(field.name)
        if value is None or value == [] or value == "":
            continue
        if is_scored(field):
            rows.append(
                VisitAnswer(
                    visit_id=visit.id, question=field.name, campaign_id=visit.campaign_id, score=int(value)
                )
            )
        else:
            text = ",".join(value) if isinstance(value, list) else str(value)
            rows.append(
                VisitAnswer(visit_id=visit.id, question=field.name, campaign_id=visit.campaign_id, value=text)
            )
    return rows


@dataclass(frozen=True)
class Recorded:
    visit: Visit
    answers: dict[str, Any]  # the cleaned answers, every question of the form
    complaint: Complaint | None


class AnswerRecorder:
    """Writes a visit's answers; the caller owns the transaction (and rolls it back on any error)."""

    def __init__(self, session: Session, clock: Clock, complaints: ComplaintService) -> None:
        self.session = session
        self.clock = clock
        self.complaints = complaints

    def validate(self, visit: Visit, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers cleaned by the campaign's questionnaire; InvalidData naming each question's error."""
        form = as_form(visit.campaign.questionnaire)
        try:
            return form.validate(answers)
        except FormInvalid as invalid:
            raise InvalidData("the answers have errors", invalid.errors) from None

    def answered(self, visit: Visit) -> bool:
        return bool(self.session.scalar(select(exists().where(VisitAnswer.visit_id == visit.id))))

    def record_answers(self, visit: Visit, answers: Mapping[str, Any], actor: Actor) -> Recorded:
        """The owner's answers, the visit's summary (status answered) and, when dissatisfied, the complaint.
        Raises InvalidData (per question) or Conflict (the visit has its answers already)."""
        if visit.answered_at is not None or self.answered(visit):
            raise Conflict(f"visit {visit.id} was already answered")
        form = as_form(visit.campaign.questionnaire)
        cleaned = self.validate(visit, answers)
        summary = summarise(form, cleaned)
        self.session.add_all(answer_rows(form, visit, cleaned))
        now = self.clock.now()
        visit.lowest_score = summary.lowest_score
        visit.average_score = summary.average_score
        visit.nps = summary.nps
        visit.dissatisfied = summary.dissatisfied
        visit.answered_at = now
        visit.outcome = "answered"
        visit.status = "answered"
        visit.closed_at = now
        self.session.flush()
        complaint = None
        if summary.dissatisfied:
            complaint = self._open_complaint(visit, summary, cleaned, form, actor)
        return Recorded(visit, cleaned, complaint)

    def _open_complaint(
        self, visit: Visit, summary: Summary, cleaned: Mapping[str, Any], form: Form, actor: Actor
    ) -> Complaint:
        comments = [
            str(cleaned[f.name]).strip()
            for f in form.fields
            if f.type in ("textarea", "text") and isinstance(cleaned.get(f.name), str) and cleaned[f.name]
        ]
        lines = [f"回访（{visit.campaign.name}）中业主表示不满意：", *summary.low]
        if comments:
            lines.append("业主意见：" + "；".join(comments))
        complaint = self.complaints.register(
            actor,
            channel=COMPLAINT_CHANNEL,
            description="\n".join(lines)[:4000],
            owner_id=visit.owner_id,
            unit_id=visit.unit_id,
        )
        complaint.visit_id = visit.id
        visit.complaint_id = complaint.id
        self.session.flush()
        return complaint
