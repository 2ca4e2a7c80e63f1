"""Return-visit campaigns, their visits, attempts and answers, and the questionnaires they ask."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.estate.models import Owner, Unit
from lintel.db import Base, BigId

# post_signing / post_handover: visits started by themselves `days_after` days after a contract's signing or
# a unit's handover (automatic campaigns); thematic: a subject chosen by the centre; four_year: 四年之约.
KINDS = ("post_signing", "post_handover", "thematic", "four_year")
AUTOMATIC_KINDS = ("post_signing", "post_handover")
# How owners are reached: a call, a visit at home, at an event, or a questionnaire sent by their channels and
# answered on the portal (online: no visitor).
METHODS = ("phone", "home", "event", "online")
# draft: being prepared, nothing created; launching: its visits being created in the background; paused:
# creation stopped by the centre, resumed at will; running: every visit created (an automatic campaign stays
# running and takes in new owners every day); finished: closed by the centre, open visits cancelled.
STATUSES = ("draft", "launching", "paused", "running", "finished")
# A visit: queued (chosen at launch, its instance not yet started), open, answered, given_up (no answer after
# the last attempt, a wrong number, an online questionnaire left unanswered), refused (the owner declined),
# cancelled (its campaign finished first).
VISIT_STATUSES = ("queued", "open", "answered", "given_up", "refused", "cancelled")
# What a call came to. no_answer and busy are tried again on another day at another time of day.
OUTCOMES = ("answered", "no_answer", "busy", "refused", "wrong_number")
MAX_ATTEMPTS = 3
# A score at or below this on any rating question (1–5), or the answer "dissatisfied", opens a complaint.
DISSATISFIED_SCORE = 2


class Questionnaire(Base):
    """One version of a questionnaire: a form (forms format: rating 1–5, choice, textarea, NPS as an integer
    0–10). Editing writes a new version; a campaign keeps the version it was created with."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_questionnaires_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Campaign(Base):
    """A return-visit campaign: whom it reaches (`audience`, a filter), how, with which questionnaire, and
    who makes its visits."""

    __tablename__ = "visit_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # KINDS
    method: Mapped[str] = mapped_column(String(20))  # METHODS
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    # {"project_ids": [...], "building_ids": [...], "signed_from": "2026-01-01", "signed_to": ...,
    #  "handed_over_from": ..., "handed_over_to": ..., "with_complaints": true, "not_visited_months": 6}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the visitor says and asks, shown beside the questionnaire (话术).
    script: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # STATUSES
    # Automatic campaigns: visit owners this many days after the signing or the handover.
    days_after: Mapped[int | None] = mapped_column(Integer)
    # Working days a visitor has for each visit (the visit step's deadline); online: days to answer.
    visit_days: Mapped[int] = mapped_column(Integer, default=5)
    # Visits chosen at launch, and how many of them have their instance started.
    total: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    launched_by: Mapped[str | None] = mapped_column(String(100))
    launched_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    questionnaire: Mapped[Questionnaire] = relationship(lazy="joined")
    visitors: Mapped[list[CampaignVisitor]] = relationship(
        cascade="all, delete-orphan", order_by="CampaignVisitor.username"
    )


class CampaignVisitor(Base):
    """A member of staff who makes the campaign's visits (none for an online campaign)."""

    __tablename__ = "visit_campaign_visitors"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("visit_campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(100), primary_key=True)


class Visit(Base):
    """One owner's visit in a campaign: its own small instance of workflows/return_visit.bpmn."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("campaign_id", "owner_id", "unit_id", name="uq_visits_campaign_owner_unit"),
        Index("ix_visits_campaign_status", "campaign_id", "status"),
        Index("ix_visits_visitor_status", "visitor", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("visit_campaigns.id"))
    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("owners.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("process_instances.id"), unique=True)
    visitor: Mapped[str | None] = mapped_column(String(100))  # None: online
    status: Mapped[str] = mapped_column(String(20), default="queued")  # VISIT_STATUSES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The last call's outcome (OUTCOMES), and when the owner answered.
    outcome: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None]
    # Summary of the answers: the lowest rating, the mean of the ratings, the NPS answer (0–10).
    lowest_score: Mapped[int | None] = mapped_column(Integer)
    average_score: Mapped[float | None]
    nps: Mapped[int | None] = mapped_column(Integer)
    dissatisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    # The complaint a dissatisfied answer opened (linked back by complaints.visit_id).
    complaint_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("complaints.id"), index=True)
    # The event that brought an automatic campaign's visit: the signing or handover day.
    event_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    owner: Mapped[Owner] = relationship()
    unit: Mapped[Unit] = relationship()


class VisitAttempt(Base):
    """One try at reaching the owner: when, by whom, what came of it."""

    __tablename__ = "visit_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(BigId, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))  # OUTCOMES
    note: Mapped[str] = mapped_column(Text, default="")


class VisitAnswer(Base):
    """One answer: `score` for ratings (1–5) and NPS (0–10), `value` for a choice or free text."""

    __tablename__ = "visit_answers"
    __table_args__ = (Index("ix_visit_answers_campaign_question", "campaign_id", "question"),)

    visit_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(String(100), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("visit_campaigns.id"))
    score: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[str | None] = mapped_column(Text)
