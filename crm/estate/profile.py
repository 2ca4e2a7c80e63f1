"""The owner's page (客户360), what a coordinator opens when an owner calls: the units they hold now and held
before, with each unit's contract and co-owners; every request of any process about them, open ones first;
the ratings they gave; and the people who called about their units without owning them.

Requests are listed as the viewer may see them (crm.policy): the rest are only counted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from crm.estate.models import Caller, Contract, Owner, Ownership
from crm.models import RequestIndex, RequestRating
from crm.policy import Policy
from engine.actors import Actor

MAX_REQUESTS = 200


@dataclass(frozen=True)
class Holding:
    """One unit the owner holds (or held): the ownership, the contract it came with, the co-owners."""

    ownership: Ownership
    contract: Contract | None
    co_owners: list[Ownership]

    @property
    def current(self) -> bool:
        return self.ownership.ended_on is None


@dataclass(frozen=True)
class RatingRow:
    rating: RequestRating
    request: RequestIndex


@dataclass(frozen=True)
class OwnerProfile:
    owner: Owner
    holdings: list[Holding]  # the current ones first
    requests: list[RequestIndex]  # open first, then newest
    hidden_requests: int  # requests about the owner the viewer may not see
    ratings: list[RatingRow]
    callers: list[Caller]

    @property
    def current(self) -> list[Holding]:
        return [h for h in self.holdings if h.current]

    @property
    def past(self) -> list[Holding]:
        return [h for h in self.holdings if not h.current]


class OwnerProfiles:
    def __init__(self, session: Session) -> None:
        self.session = session

    def profile(self, owner: Owner, viewer: Actor) -> OwnerProfile:
        holdings = self.holdings(owner)
        visible = self._visible(viewer)
        about = RequestIndex.owner_id == owner.id
        requests = list(
            self.session.scalars(
                select(RequestIndex)
                .where(about, visible)
                .order_by((RequestIndex.status == "open").desc(), RequestIndex.created_at.desc())
                .limit(MAX_REQUESTS)
            )
        )
        total = self.session.scalar(select(func.count()).select_from(RequestIndex).where(about)) or 0
        shown = self.session.scalar(select(func.count()).select_from(RequestIndex).where(about, visible)) or 0
        ratings = [
            RatingRow(rating, request)
            for rating, request in self.session.execute(
                select(RequestRating, RequestIndex)
                .join(RequestIndex, RequestIndex.instance_id == RequestRating.instance_id)
                .where(about, visible)
                .order_by(RequestRating.rated_at.desc())
            ).all()
        ]
        unit_ids = [h.ownership.unit_id for h in holdings if h.current]
        callers = (
            list(
                self.session.scalars(
                    select(Caller)
                    .where(Caller.unit_id.in_(unit_ids))
                    .order_by(Caller.created_at.desc(), Caller.id.desc())
                )
            )
            if unit_ids
            else []
        )
        return OwnerProfile(owner, holdings, requests, total - shown, ratings, callers)

    def holdings(self, owner: Owner) -> list[Holding]:
        ownerships = list(
            self.session.scalars(
                select(Ownership)
                .where(Ownership.owner_id == owner.id)
                .order_by(Ownership.ended_on.is_not(None), Ownership.ended_on.desc(), Ownership.unit_id)
            )
        )
        found: list[Holding] = []
        for ownership in ownerships:
            contract = (
                self.session.get(Contract, ownership.contract_id)
                if ownership.contract_id is not None
                else None
            )
            # Co-owners: those under the same contract; without one, the unit's other owners at the time.
            if contract is not None:
                together: ColumnElement[bool] = Ownership.contract_id == contract.id
            elif ownership.ended_on is None:
                together = Ownership.ended_on.is_(None) & Ownership.contract_id.is_(None)
            else:
                together = Ownership.ended_on == ownership.ended_on
            co_owners = list(
                self.session.scalars(
                    select(Ownership)
                    .where(Ownership.unit_id == ownership.unit_id, Ownership.owner_id != owner.id, together)
                    .order_by(Ownership.is_contact.desc(), Ownership.owner_id)
                )
            )
            found.append(Holding(ownership, contract, co_owners))
        return found

    def _visible(self, viewer: Actor) -> ColumnElement[bool]:
        conditions = Policy(self.session).visible_requests(viewer)
        if conditions is None:
            return RequestIndex.instance_id.is_not(None)
        return or_(*conditions) if conditions else false()
