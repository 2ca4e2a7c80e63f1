"""Automatic campaigns (post_signing, post_handover): every day each running one takes in the owners whose
contract was signed, or whose unit was handed over, exactly `days_after` days before.

A day missed (the job down, `lintel campaigns run-automatic --at` run late) is caught up: the campaign takes
in every signing or handover day from its launch through today (each less `days_after`) that it has not yet
taken in — an owner and unit already visited by the campaign is never added twice (the visits' unique
constraint backs this). The visits are queued and started by the launcher like a launch's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.visits import audience as audiences
from crm.visits.models import AUTOMATIC_KINDS, Campaign
from lintel.clock import SHANGHAI, Clock, FixedClock

_EVENT = {"post_signing": "signing", "post_handover": "handover"}


@dataclass
class AutomaticReport:
    added: dict[int, int] = field(default_factory=dict)  # campaign id → visits added

    @property
    def total(self) -> int:
        return sum(self.added.values())


def window(campaign: Campaign, today: date) -> audiences.EventWindow | None:
    """The signing or handover days the campaign takes in on `today` (None: none yet)."""
    if campaign.launched_at is None or campaign.days_after is None:
        return None
    launched = campaign.launched_at.astimezone(SHANGHAI).date()
    first = launched - timedelta(days=campaign.days_after)
    last = today - timedelta(days=campaign.days_after)
    if last < first:
        return None
    return audiences.EventWindow(_EVENT[campaign.kind], first, last)


def take_in(session: Session, campaign: Campaign, today: date, now: datetime) -> int:
    """Queue visits for the owners whose day has come by `today`; returns how many were added."""
    from crm.visits.campaigns import Campaigns

    event = window(campaign, today)
    if event is None:
        return 0
    audience = audiences.parse(session, campaign.audience)
    candidates = audiences.candidates(audience, now=now, per_owner=False, event=event)
    return Campaigns(session, FixedClock(now)).write_visits(campaign, candidates)


def run_automatic(session: Session, clock: Clock, today: date | None = None) -> AutomaticReport:
    """Every running automatic campaign takes in its owners due by `today` (default: today in Shanghai)."""
    now = clock.now()
    today = today or now.astimezone(SHANGHAI).date()
    report = AutomaticReport()
    for campaign in session.scalars(
        select(Campaign)
        .where(Campaign.kind.in_(AUTOMATIC_KINDS), Campaign.status == "running")
        .order_by(Campaign.id)
        .with_for_update(of=Campaign, skip_locked=True)
    ):
        added = take_in(session, campaign, today, now)
        if added:
            report.added[campaign.id] = added
    return report
