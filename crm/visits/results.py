"""A campaign's results: how many owners it reached, how many calls that took, what they answered.

Every figure comes from a handful of GROUP BY queries over `visits` and `visit_answers` (indexed by campaign
and status, and by campaign and question), so a campaign of 50,000 visits reads as fast as one of fifty:

- reached % = answered visits ÷ visits chosen (queued ones included: they are the campaign's too);
- attempts: of the answered visits, how many were reached on the 1st, 2nd, 3rd call (an online answer takes
  none), and how many visits were given up or refused;
- per rating question: the number of answers, their mean (1–5) and how many gave each score;
- NPS (the 0–10 question) = % promoters (9–10) − % detractors (0–6) of those who answered it, in points;
- per choice question: how many chose each answer;
- the dissatisfied visits (any rating ≤ 2 or 不满意) with the complaint each opened, and the comments, the
  newest first, up to LIST_LIMIT each (the export has them all).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Owner, Project, Unit
from crm.models import Complaint
from crm.visits.models import MAX_ATTEMPTS, VISIT_STATUSES, Campaign, Visit, VisitAnswer
from crm.visits.questionnaires import as_form
from crm.visits.visits import is_nps
from engine.errors import NotFound
from forms import Field, Form

LIST_LIMIT = 200
PROMOTER = 9  # 9–10
DETRACTOR = 6  # 0–6


@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        """Promoters minus detractors, in percentage points of those who answered (−100 … 100)."""
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers, 1)

    @staticmethod
    def of(counts: dict[int, int]) -> Nps:
        return Nps(
            answers=sum(counts.values()),
            promoters=sum(n for s, n in counts.items() if s >= PROMOTER),
            passives=sum(n for s, n in counts.items() if DETRACTOR < s < PROMOTER),
            detractors=sum(n for s, n in counts.items() if s <= DETRACTOR),
        )


@dataclass(frozen=True)
class QuestionResult:
    field: Field
    kind: str  # rating | nps | choice | text
    answers: int
    # rating: score -> count for every score 1..max; nps: 0..10
    distribution: dict[int, int] = field(default_factory=dict)
    average: float | None = None
    # choice: (value, label, count) in the questionnaire's order, then any value it no longer offers
    choices: list[tuple[str, str, int]] = field(default_factory=list)
    nps: Nps | None = None

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def label(self) -> str:
        return self.field.label

    def share(self, count: int) -> float:
        return round(100 * count / self.answers, 1) if self.answers else 0.0


@dataclass(frozen=True)
class Dissatisfied:
    visit_id: int
    owner: str
    place: str
    answered_at: datetime | None
    lowest_score: int | None
    complaint_id: int | None
    complaint_number: str | None
    complaint_status: str | None
    complaint_instance_id: int | None


@dataclass(frozen=True)
class Comment:
    visit_id: int
    owner: str
    question: str
    text: str


@dataclass(frozen=True)
class Results:
    campaign: Campaign
    form: Form
    total: int
    by_status: dict[str, int]
    # Answered visits by the call that reached the owner: 0 (online), 1, 2, 3.
    reached_on: dict[int, int]
    questions: list[QuestionResult]
    nps: Nps | None
    dissatisfied_count: int
    dissatisfied: list[Dissatisfied]
    comment_count: int
    comments: list[Comment]

    @property
    def answered(self) -> int:
        return self.by_status.get("answered", 0)

    @property
    def reached(self) -> float | None:
        """Answered ÷ visits, in %."""
        return round(100 * self.answered / self.total, 1) if self.total else None

    @property
    def given_up(self) -> int:
        return self.by_status.get("given_up", 0)

    @property
    def refused(self) -> int:
        return self.by_status.get("refused", 0)

    @property
    def open(self) -> int:
        return self.by_status.get("open", 0) + self.by_status.get("queued", 0)


def kind_of(field: Field) -> str:
    if field.type == "rating":
        return "rating"
    if is_nps(field) and field.type == "number":  # the 0–10 question (crm.visits.visits: named nps)
        return "nps"
    if field.type in ("choice", "multichoice", "yesno"):
        return "choice"
    return "text"


def _place(project: str, building: str, unit: str) -> str:
    return f"{project} {building} {unit}"


class CampaignResults:
    def __init__(self, session: Session) -> None:
        self.session = session

    def campaign(self, campaign_id: int) -> Campaign:
        found = self.session.get(Campaign, campaign_id) if 0 < campaign_id < 2**31 else None
        if found is None:
            raise NotFound(f"campaign {campaign_id} does not exist")
        return found

    def of(self, campaign_id: int, limit: int = LIST_LIMIT) -> Results:
        campaign = self.campaign(campaign_id)
        form = as_form(campaign.questionnaire)
        # The visits in one pass: by status, the call that reached them, and whether they were dissatisfied.
        by_status = {status: 0 for status in VISIT_STATUSES}
        reached_on = {n: 0 for n in range(MAX_ATTEMPTS + 1)}
        dissatisfied_count = 0
        for status, attempts, dissatisfied, count in self.session.execute(
            select(Visit.status, Visit.attempts, Visit.dissatisfied, func.count())
            .where(Visit.campaign_id == campaign_id)
            .group_by(Visit.status, Visit.attempts, Visit.dissatisfied)
        ):
            by_status[status] = by_status.get(status, 0) + count
            if status == "answered":
                reached_on[attempts] = reached_on.get(attempts, 0) + count
            if dissatisfied:
                dissatisfied_count += count
        questions, comment_count = self._questions(campaign_id, form)
        nps = next((q.nps for q in questions if q.nps is not None), None)
        return Results(
            campaign=campaign,
            form=form,
            total=sum(by_status.values()),
            by_status=by_status,
            reached_on=reached_on,
            questions=questions,
            nps=nps,
            dissatisfied_count=dissatisfied_count,
            dissatisfied=list(self.dissatisfied(campaign_id, limit)),
            comment_count=comment_count,
            comments=list(self.comments(campaign_id, form, limit)),
        )

    def _questions(self, campaign_id: int, form: Form) -> tuple[list[QuestionResult], int]:
        """Every question's figures from one pass over the campaign's answers (scores and chosen values
        counted; a written answer only counted), and how many written answers there are."""
        text_names = [f.name for f in form.fields if kind_of(f) == "text"]
        value = (
            case((VisitAnswer.question.in_(text_names), None), else_=VisitAnswer.value)
            if text_names
            else VisitAnswer.value
        )
        scores: dict[str, dict[int, int]] = {}
        values: dict[str, dict[str, int]] = {}
        answered: dict[str, int] = {}
        for question, score, chosen, count in self.session.execute(
            select(VisitAnswer.question, VisitAnswer.score, value, func.count())
            .where(VisitAnswer.campaign_id == campaign_id)
            .group_by(VisitAnswer.question, VisitAnswer.score, value)
        ):
            answered[question] = answered.get(question, 0) + count
            if score is not None:
                scores.setdefault(question, {})[score] = count
            if chosen:
                counted = values.setdefault(question, {})
                # A multichoice answer is stored as its values joined by commas.
                for one in chosen.split(","):
                    counted[one] = counted.get(one, 0) + count
        results = []
        for f in form.fields:
            kind = kind_of(f)
            if kind in ("rating", "nps"):
                counted_scores = scores.get(f.name, {})
                low, high = (1, f.rating_max) if kind == "rating" else (0, 10)
                distribution = {n: counted_scores.get(n, 0) for n in range(low, high + 1)}
                answers = sum(counted_scores.values())
                total = sum(s * n for s, n in counted_scores.items())
                average = round(total / answers, 2) if answers else None
                nps = Nps.of(counted_scores) if kind == "nps" else None
                results.append(QuestionResult(f, kind, answers, distribution, average, nps=nps))
            elif kind == "choice":
                counted = values.get(f.name, {})
                offered = [(c.value, c.label) for c in f.choices]
                if f.type == "yesno":
                    offered = [("yes", "是"), ("no", "否")]
                known = {v for v, _label in offered}
                choices = [(v, label, counted.get(v, 0)) for v, label in offered]
                choices += [(v, v, n) for v, n in sorted(counted.items()) if v not in known]
                # The share is of those who answered (a multichoice answer may tick several).
                results.append(QuestionResult(f, kind, answered.get(f.name, 0), choices=choices))
            else:
                results.append(QuestionResult(f, kind, answered.get(f.name, 0)))
        return results, sum(answered.get(name, 0) for name in text_names)

    def dissatisfied(self, campaign_id: int, limit: int | None = LIST_LIMIT) -> Iterator[Dissatisfied]:
        query = (
            select(
                Visit.id,
                Owner.name,
                Project.name.label("project"),
                Building.name.label("building"),
                Unit.number,
                Visit.answered_at,
                Visit.lowest_score,
                Complaint.id.label("complaint_id"),
                Complaint.number.label("complaint_number"),
                Complaint.status.label("complaint_status"),
                Complaint.instance_id,
            )
            .join(Owner, Owner.id == Visit.owner_id)
            .join(Unit, Unit.id == Visit.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Project, Project.id == Building.project_id)
            .outerjoin(Complaint, Complaint.id == Visit.complaint_id)
            .where(Visit.campaign_id == campaign_id, Visit.dissatisfied.is_(True))
            .order_by(Visit.answered_at.desc(), Visit.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        for row in self.session.execute(query):
            yield Dissatisfied(
                visit_id=row.id,
                owner=row.name,
                place=_place(row.project, row.building, row.number),
                answered_at=row.answered_at,
                lowest_score=row.lowest_score,
                complaint_id=row.complaint_id,
                complaint_number=row.complaint_number,
                complaint_status=row.complaint_status,
                complaint_instance_id=row.instance_id,
            )

    def comments(self, campaign_id: int, form: Form, limit: int | None = LIST_LIMIT) -> Iterator[Comment]:
        labels = {f.name: f.label for f in form.fields if kind_of(f) == "text"}
        if not labels:
            return
        query = (
            select(VisitAnswer.visit_id, VisitAnswer.question, VisitAnswer.value, Owner.name)
            .join(Visit, Visit.id == VisitAnswer.visit_id)
            .join(Owner, Owner.id == Visit.owner_id)
            .where(VisitAnswer.campaign_id == campaign_id, VisitAnswer.question.in_(list(labels)))
            .order_by(VisitAnswer.visit_id.desc(), VisitAnswer.question)
        )
        if limit is not None:
            query = query.limit(limit)
        for visit_id, question, value, owner in self.session.execute(query):
            yield Comment(visit_id, owner, labels[question], value or "")

    def rows(self, campaign_id: int, chunk: int = 2_000) -> Iterator[tuple[Any, dict[str, Any]]]:
        """Every visit of the campaign with its answers by question (rows with `score` and `value`), in visit
        order, a chunk at a time (the export): the campaign's visit ids once, then per chunk one query for
        the visits and one for their answers."""
        ids = list(
            self.session.scalars(select(Visit.id).where(Visit.campaign_id == campaign_id).order_by(Visit.id))
        )
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            visits = list(
                self.session.execute(
                    select(
                        Visit.id,
                        Visit.status,
                        Visit.visitor,
                        Visit.attempts,
                        Visit.outcome,
                        Visit.answered_at,
                        Visit.lowest_score,
                        Visit.average_score,
                        Visit.nps,
                        Visit.dissatisfied,
                        Owner.name.label("owner"),
                        Project.name.label("project"),
                        Building.name.label("building"),
                        Unit.number.label("unit"),
                        Complaint.number.label("complaint"),
                    )
                    .join(Owner, Owner.id == Visit.owner_id)
                    .join(Unit, Unit.id == Visit.unit_id)
                    .join(Building, Building.id == Unit.building_id)
                    .join(Project, Project.id == Building.project_id)
                    .outerjoin(Complaint, Complaint.id == Visit.complaint_id)
                    .where(Visit.id.in_(part))
                    .order_by(Visit.id)
                )
            )
            answers: dict[int, dict[str, Any]] = {}
            for answer in self.session.execute(
                select(
                    VisitAnswer.visit_id, VisitAnswer.question, VisitAnswer.score, VisitAnswer.value
                ).where(VisitAnswer.visit_id.in_(part))
            ):
                answers.setdefault(answer.visit_id, {})[answer.question] = answer
            for visit in visits:
                yield visit, answers.get(visit.id, {})
