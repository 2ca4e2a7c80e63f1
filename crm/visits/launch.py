"""Starting a campaign's visits in the background, a chunk at a time, and cancelling a finished one's.

Launch leaves the campaign `launching` with its visits queued; the scheduler job in `lintel serve` and every
`lintel worker` (and `lintel campaigns launch`) start them in chunks, each chunk one transaction: the queued
visits taken (PostgreSQL: FOR UPDATE SKIP LOCKED, so two workers never take one visit), one return_visit
instance started for each (`start_many`: the way to the first wait state run once for the chunk), the visits
marked open with their instance and the campaign's `started` raised. A crash or a failure mid-chunk rolls the
chunk back with its instances: the next pass takes the same visits again and nothing is started twice. A
paused campaign is left alone after the chunk being started; when none is left queued it is `running`.

A running automatic campaign gets queued visits every day (crm.visits.automatic): the same job starts them.
A finished campaign's open visits have their instances cancelled, a chunk at a time, with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from crm.estate.models import Building, Owner, Unit
from crm.visits.models import Campaign, Visit
from engine.actors import SYSTEM, Actor
from engine.models import ProcessInstance
from engine.runtime import Runtime
from lintel.clock import Clock

log = logging.getLogger("lintel.visits")
PROCESS_KEY = "return_visit"
CHUNK = 500
FINISHED_REASON = "回访活动已结束"


@dataclass
class LaunchReport:
    started: int = 0  # visits whose instance was started
    cancelled: int = 0  # open visits of finished campaigns cancelled
    running: list[int] = field(default_factory=list)  # campaigns with every visit started now

    @property
    def busy(self) -> bool:
        return bool(self.started or self.cancelled or self.running)


def visit_title(campaign_name: str, owner: str, building: str, number: str) -> str:
    return f"{campaign_name}：{owner}（{building} {number}）"


@dataclass
class Launcher:
    """Starts the queued visits of launching and running campaigns; owns its transactions."""

    sessions: sessionmaker[Session]
    runtime_for: Callable[[Session], Runtime]
    clock: Clock
    chunk: int = CHUNK
    actor: Actor = SYSTEM

    def run_once(self) -> LaunchReport:
        report = LaunchReport()
        with self.sessions() as session:
            waiting = list(
                session.scalars(
                    select(Campaign.id)
                    .where(
                        Campaign.status.in_(("launching", "running", "finished")),
                        exists().where(
                            Visit.campaign_id == Campaign.id, Visit.status.in_(("queued", "open"))
                        ),
                    )
                    .order_by(Campaign.id)
                )
            )
            # A launching campaign whose last chunk was started elsewhere is running now.
            waiting += list(
                session.scalars(
                    select(Campaign.id).where(Campaign.status == "launching").order_by(Campaign.id)
                )
            )
        for campaign_id in dict.fromkeys(waiting):
            self.launch(campaign_id, report)
        return report

    def launch(
        self,
        campaign_id: int,
        report: LaunchReport | None = None,
        on_chunk: Callable[[int], None] | None = None,
    ) -> LaunchReport:
        """Chunks until the campaign has nothing left for us (paused, all started, or held by another
        worker); `on_chunk` is told how many each chunk started or cancelled."""
        report = report or LaunchReport()
        while True:
            with self.sessions.begin() as session:
                done = self._chunk(session, campaign_id, report)
            if done == 0:
                return report
            if on_chunk is not None:
                on_chunk(done)

    def _chunk(self, session: Session, campaign_id: int, report: LaunchReport) -> int:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return 0
        if campaign.status == "finished":
            return self._cancel_chunk(session, campaign, report)
        if campaign.status not in ("launching", "running"):
            return 0
        postgres = session.get_bind().dialect.name == "postgresql"
        waiting = (
            select(
                Visit.id, Visit.owner_id, Visit.unit_id, Visit.visitor, Owner.name, Building.name, Unit.number
            )
            .join(Owner, Owner.id == Visit.owner_id)
            .join(Unit, Unit.id == Visit.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Visit.campaign_id == campaign_id, Visit.status == "queued")
            .order_by(Visit.id)
            .limit(self.chunk)
        )
        if postgres:
            waiting = waiting.with_for_update(of=Visit, skip_locked=True)
        rows = session.execute(waiting).all()
        if not rows:
            self._all_started(session, campaign, report)
            return 0
        shared = {"method": campaign.method, "visit_days": campaign.visit_days, "attempts": 0}
        items = [
            {
                "visit_id": visit_id,
                "visitor": visitor,
                "owner_id": owner_id,
                "unit_id": unit_id,
                "title": visit_title(campaign.name, owner, building, number),
            }
            for visit_id, owner_id, unit_id, visitor, owner, building, number in rows
        ]
        instance_ids = self.runtime_for(session).start_many(PROCESS_KEY, shared, items, self.actor)
        session.execute(
            update(Visit),
            [
                {"id": item["visit_id"], "instance_id": instance_id, "status": "open"}
                for item, instance_id in zip(items, instance_ids, strict=True)
            ],
        )
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(started=Campaign.started + len(rows))
            .execution_options(synchronize_session=False)
        )
        report.started += len(rows)
        return len(rows)

    def _all_started(self, session: Session, campaign: Campaign, report: LaunchReport) -> None:
        """No queued visit left (none merely held by another worker): a launching campaign is running."""
        if campaign.status != "launching":
            return
        left = exists().where(Visit.campaign_id == campaign.id, Visit.status == "queued")
        done = session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.status == "launching", ~left)
            .values(status="running")
            .execution_options(synchronize_session=False)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            report.running.append(campaign.id)
            log.info("campaign %d running: all of its visits started", campaign.id)

    def _cancel_chunk(self, session: Session, campaign: Campaign, report: LaunchReport) -> int:
        """Cancel a chunk of a finished campaign's open visits with their instances."""
        postgres = session.get_bind().dialect.name == "postgresql"
        waiting = (
            select(Visit)
            .where(Visit.campaign_id == campaign.id, Visit.status.in_(("open", "queued")))
            .order_by(Visit.id)
            .limit(self.chunk)
        )
        if postgres:
            waiting = waiting.with_for_update(of=Visit, skip_locked=True)
        visits = list(session.scalars(waiting))
        if not visits:
            return 0
        runtime = self.runtime_for(session)
        now = self.clock.now()
        instances = {
            i.id: i
            for i in session.scalars(
                select(ProcessInstance).where(
                    ProcessInstance.id.in_([v.instance_id for v in visits if v.instance_id])
                )
            )
        }
        for visit in visits:
            instance = instances.get(visit.instance_id) if visit.instance_id else None
            if instance is not None:
                runtime.cancel(instance, self.actor, FINISHED_REASON)
            visit.status = "cancelled"
            visit.closed_at = now
        session.flush()
        report.cancelled += len(visits)
        return len(visits)
