"""The owner's history beside the questionnaire: what is still open for them, the ratings they gave when
their requests closed, and what they answered at earlier visits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from crm.models import RequestIndex, RequestRating
from crm.policy import Policy
from crm.visits.models import Campaign, Visit
from engine.actors import Actor

MAX_ROWS = 10  # the newest of each: a visitor on the phone reads a few lines, not the archive


@dataclass(frozen=True)
class PastRating:
    number: str
    title: str
    score: int
    comment: str | None
    rated_at: object


@dataclass(frozen=True)
class PastVisit:
    visit: Visit
    campaign: str


@dataclass(frozen=True)
class History:
    open_requests: list[RequestIndex]
    ratings: list[PastRating]
    visits: list[PastVisit]


class OwnerHistory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, visit: Visit, viewer: Actor) -> History:
        """The history of the visit's owner as `viewer` may see it (requests they may not open are left
        out, as on the owner's page)."""
        conditions = Policy(self.session).visible_requests(viewer)
        visible = (
            RequestIndex.instance_id.is_not(None)
            if conditions is None
            else (or_(*conditions) if conditions else false())
        )
        about = RequestIndex.owner_id == visit.owner_id
        own = RequestIndex.instance_id != visit.instance_id if visit.instance_id else true()
        open_requests = list(
            self.session.scalars(
                select(RequestIndex)
                .where(about, RequestIndex.status == "open", own, visible)
                .order_by(RequestIndex.created_at.desc())
                .limit(MAX_ROWS)
            )
        )
        ratings = [
            PastRating(request.number, request.title, rating.score, rating.comment, rating.rated_at)
            for rating, request in self.session.execute(
                select(RequestRating, RequestIndex)
                .join(RequestIndex, RequestIndex.instance_id == RequestRating.instance_id)
                .where(about, visible)
                .order_by(RequestRating.rated_at.desc())
                .limit(MAX_ROWS)
            ).all()
        ]
        visits = [
            PastVisit(past, name)
            for past, name in self.session.execute(
                select(Visit, Campaign.name)
                .join(Campaign, Campaign.id == Visit.campaign_id)
                .where(Visit.owner_id == visit.owner_id, Visit.id != visit.id, Visit.answered_at.is_not(None))
                .order_by(Visit.answered_at.desc())
                .limit(MAX_ROWS)
            ).all()
        ]
        return History(open_requests, ratings, visits)
