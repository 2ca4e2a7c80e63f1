"""Owner satisfaction: one figure per project, department or month, combining the two places owners score us.

Definition (the KPI work builds its dashboards on it):

- An *answer* is one score on the 1–5 scale given by an owner:
  - the rating an owner gives a complaint once it is closed (`request_ratings`, on the portal or told on the
    phone; one per complaint), dated when it was given;
  - each rating question (1–5) of an answered return visit (`visit_answers`; the 0–10 recommendation question
    is not a rating), dated when the visit was answered.
- *average* = sum of the scores ÷ number of answers (1–5);
- *satisfied %* = answers of 4 or 5 ÷ number of answers × 100;
- *NPS* (where asked: the visits whose questionnaire has the 0–10 question) = (promoters, 9–10 − detractors,
  0–6) ÷ visits that answered it × 100, in points from −100 to 100.
- Grouping: *project* — of the complaint's unit, of the visit's unit; *department* — the department that
  handled the complaint (its responsible department, chosen at triage); a visit is about the owner's whole
  experience, not one department, so its scores are one row of their own (`department` None, 回访评分) —
  *month* — Asia/Shanghai calendar month of the date above.
- The period `start`…`end` is of Shanghai calendar days, both included.

Every figure carries its numerator and denominator, so figures can be added up across groups exactly (sum the
numerators and the denominators, never average the averages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Project, Unit
from crm.models import Complaint, Department, RequestRating
from crm.visits.models import Campaign, Visit, VisitAnswer
from crm.visits.questionnaires import as_form
from lintel.clock import SHANGHAI
from lintel.db import month_of

BY = ("project", "department", "month")
SATISFIED = 4  # 4 and 5
PROMOTER = 9
DETRACTOR = 6
LONGEST = timedelta(days=3 * 366)  # the longest period asked for at once


def default_period(today: date) -> tuple[date, date]:
    """Twelve months up to today: from the first day of the month eleven months before, through today."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


@dataclass(frozen=True)
class Ratio:
    numerator: float
    denominator: int

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 4) if self.denominator else None

    def as_dict(self, scale: float = 1.0) -> dict[str, Any]:
        value = self.value
        return {
            "value": round(value * scale, 2) if value is not None else None,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass
class Figure:
    """One group's satisfaction: sums, from which every figure is computed."""

    key: str | int | None  # project id, department code, "2026-11"; None: visits (by department)
    label: str
    answers: int = 0
    score_sum: int = 0
    satisfied: int = 0
    complaint_ratings: int = 0
    visit_ratings: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def average(self) -> Ratio:
        return Ratio(self.score_sum, self.answers)

    @property
    def satisfied_share(self) -> Ratio:
        return Ratio(self.satisfied, self.answers)

    @property
    def nps(self) -> Ratio:
        return Ratio(self.promoters - self.detractors, self.nps_answers)

    @property
    def average_value(self) -> float | None:
        return round(self.score_sum / self.answers, 2) if self.answers else None

    @property
    def satisfied_pct(self) -> float | None:
        return round(100 * self.satisfied / self.answers, 1) if self.answers else None

    @property
    def nps_value(self) -> float | None:
        return (
            round(100 * (self.promoters - self.detractors) / self.nps_answers, 1)
            if self.nps_answers
            else None
        )

    def add(self, other: Figure) -> None:
        for name in (
            "answers",
            "score_sum",
            "satisfied",
            "complaint_ratings",
            "visit_ratings",
            "nps_answers",
            "promoters",
            "detractors",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """Shanghai days `start`…`end` (both included) as a UTC half-open range."""
    return (
        datetime.combine(start, time(), SHANGHAI),
        datetime.combine(end + timedelta(days=1), time(), SHANGHAI),
    )


class Satisfaction:
    def __init__(self, session: Session) -> None:
        self.session = session

    def figures(self, start: date, end: date, by: str) -> list[Figure]:
        """One figure per group over the period, in the group's order (projects and departments by name,
        months in order; the visits' row last by department); groups with no answer are left out."""
        if by not in BY:
            raise ValueError(f"by must be one of {', '.join(BY)}")
        since, until = period(start, end)
        found: dict[Any, Figure] = {}

        def figure(key: Any) -> Figure:
            if key not in found:
                found[key] = Figure(key, "")
            return found[key]

        # The complaints' ratings.
        rating_key = self._complaint_key(by)
        rated = (
            select(
                rating_key.label("key"),
                func.count(),
                func.coalesce(func.sum(RequestRating.score), 0),
                func.coalesce(func.sum(case((RequestRating.score >= SATISFIED, 1), else_=0)), 0),
            )
            .select_from(RequestRating)
            .join(Complaint, Complaint.instance_id == RequestRating.instance_id)
            .where(RequestRating.rated_at >= since, RequestRating.rated_at < until)
            .group_by(rating_key)
        )
        if by == "project":
            rated = rated.join(Unit, Unit.id == Complaint.unit_id).join(
                Building, Building.id == Unit.building_id
            )
        for key, count, total, satisfied in self.session.execute(rated):
            f = figure(key)
            f.answers += count
            f.score_sum += int(total)
            f.satisfied += int(satisfied)
            f.complaint_ratings += count

        # The visits' rating questions.
        visit_key = self._visit_key(by)
        ratings = self._rating_questions(since, until)
        answered = and_(Visit.answered_at >= since, Visit.answered_at < until)
        scored = (
            select(
                visit_key.label("key"),
                func.count(),
                func.coalesce(func.sum(VisitAnswer.score), 0),
                func.coalesce(func.sum(case((VisitAnswer.score >= SATISFIED, 1), else_=0)), 0),
            )
            .select_from(VisitAnswer)
            .join(Visit, Visit.id == VisitAnswer.visit_id)
            .where(answered, VisitAnswer.score.is_not(None), ratings)
            .group_by(visit_key)
        )
        nps = (
            select(
                visit_key.label("key"),
                func.count(),
                func.coalesce(func.sum(case((Visit.nps >= PROMOTER, 1), else_=0)), 0),
                func.coalesce(func.sum(case((Visit.nps <= DETRACTOR, 1), else_=0)), 0),
            )
            .select_from(Visit)
            .where(answered, Visit.nps.is_not(None))
            .group_by(visit_key)
        )
        if by == "project":
            scored = scored.join(Unit, Unit.id == Visit.unit_id).join(
                Building, Building.id == Unit.building_id
            )
            nps = nps.join(Unit, Unit.id == Visit.unit_id).join(Building, Building.id == Unit.building_id)
        for key, count, total, satisfied in self.session.execute(scored):
            f = figure(key)
            f.answers += count
            f.score_sum += int(total)
            f.satisfied += int(satisfied)
            f.visit_ratings += count
        for key, count, promoters, detractors in self.session.execute(nps):
            f = figure(key)
            f.nps_answers += count
            f.promoters += int(promoters)
            f.detractors += int(detractors)

        self._label(by, found.values())
        return sorted(found.values(), key=lambda f: _order(by, f))

    def total(self, figures: Iterable[Figure]) -> Figure:
        """The figures added up (the period's overall figure): numerators and denominators summed."""
        whole = Figure(None, "合计")
        for f in figures:
            whole.add(f)
        return whole

    def _complaint_key(self, by: str) -> ColumnElement[Any]:
        if by == "project":
            return Building.project_id
        if by == "department":
            return func.coalesce(Complaint.department, "")  # "": not yet given one (None is the visits')
        return month_of(self.session, RequestRating.rated_at, moment=True)

    def _visit_key(self, by: str) -> ColumnElement[Any]:
        if by == "project":
            return Building.project_id
        if by == "department":
            return literal(None)
        return month_of(self.session, Visit.answered_at, moment=True)

    def _rating_questions(self, since: datetime, until: datetime) -> ColumnElement[bool]:
        """Which answers are ratings: per campaign answered in the period, its questionnaire's rating
        questions (a score of the 0–10 question is not a rating)."""
        campaigns = self.session.scalars(
            select(Campaign).where(
                Campaign.id.in_(
                    select(Visit.campaign_id)
                    .where(Visit.answered_at >= since, Visit.answered_at < until)
                    .distinct()
                )
            )
        )
        conditions = []
        for campaign in campaigns:
            names = [f.name for f in as_form(campaign.questionnaire).fields if f.type == "rating"]
            if names:
                conditions.append(
                    and_(VisitAnswer.campaign_id == campaign.id, VisitAnswer.question.in_(names))
                )
        return or_(*conditions) if conditions else false()

    def _label(self, by: str, figures: Iterable[Figure]) -> None:
        figures = list(figures)
        if by == "project":
            ids = [f.key for f in figures if f.key is not None]
            names = dict(
                self.session.execute(select(Project.id, Project.name).where(Project.id.in_(ids))).all()
            )
            for f in figures:
                f.label = names.get(f.key, "未关联项目") if f.key is not None else "未关联项目"
        elif by == "department":
            codes = [f.key for f in figures if f.key]
            names = dict(
                self.session.execute(
                    select(Department.code, Department.name).where(Department.code.in_(codes))
                ).all()
            )
            for f in figures:
                if f.key is None:
                    f.label = "回访评分（不分部门）"
                elif f.key == "":
                    f.label = "未分派部门"
                else:
                    f.label = names.get(f.key, str(f.key))
        else:
            for f in figures:
                year, month = str(f.key).split("-")
                f.label = f"{year}年{int(month)}月"


def _order(by: str, f: Figure) -> tuple[Any, ...]:
    if by == "month":
        return (str(f.key),)
    return (f.key is None, f.key == "", f.label)
