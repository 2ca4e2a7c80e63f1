"""Campaigns: created as drafts, their audience previewed, launched (the visits written at once, their
instances started in the background by crm.visits.launch), paused, resumed, finished; their visits listed.

Launch writes the whole audience as queued visits in one INSERT … SELECT, each given a visitor so that the
visitors' loads (their open inbox rows and visits still queued for them, one GROUP BY) come out as even as
they can: a visitor with more work on hand gets fewer. An automatic campaign (post_signing, post_handover)
starts empty and running: the daily job (crm.visits.automatic) adds the owners whose day has come.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, insert, literal, null, select, update
from sqlalchemy.orm import Session

from crm.estate.models import Building, Owner, Unit
from crm.models import User, UserDepartment
from crm.visits import audience as audiences
from crm.visits.models import (
    AUTOMATIC_KINDS,
    KINDS,
    METHODS,
    Campaign,
    CampaignVisitor,
    Questionnaire,
    Visit,
)
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from engine.models import HumanTask
from lintel.clock import SHANGHAI, Clock

CENTRE = "crc"  # visitors are active members of the customer-relations centre
NAME_MAX = 200
SCRIPT_MAX = 20_000
MAX_VISIT_DAYS = 60
MAX_DAYS_AFTER = 3_650
MAX_VISITORS = 200
PAGE = 50


@dataclass(frozen=True)
class Progress:
    total: int
    started: int
    open: int
    answered: int
    closed: int  # answered, given up, refused or cancelled

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.started * 100 / self.total)

    @property
    def reached_percent(self) -> int:
        return 0 if not self.total else round(self.answered * 100 / self.total)


@dataclass(frozen=True)
class VisitPage:
    rows: list[Any]
    total: int
    page: int
    pages: int


def balance(loads: Mapping[str, int], count: int) -> dict[str, int]:
    """How many of `count` new visits each visitor gets so that the loads end as even as possible: the
    least loaded visitor takes the next one (ties by username)."""
    given = dict.fromkeys(loads, 0)
    heap = [(load, name) for name, load in loads.items()]
    heapq.heapify(heap)
    for _ in range(count if heap else 0):
        load, name = heapq.heappop(heap)
        given[name] += 1
        heapq.heappush(heap, (load + 1, name))
    return given


class Campaigns:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------------------

    def get(self, campaign_id: int) -> Campaign:
        campaign = self.session.get(Campaign, campaign_id) if 0 < campaign_id < 2**31 else None
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist")
        return campaign

    def listing(self, status: str | None = None, kind: str | None = None) -> list[Campaign]:
        query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
        if status:
            query = query.where(Campaign.status == status)
        if kind:
            query = query.where(Campaign.kind == kind)
        return list(self.session.scalars(query))

    def progress(self, campaign_ids: Sequence[int]) -> dict[int, Progress]:
        """Each campaign's figures, in one GROUP BY."""
        counts: dict[int, dict[str, int]] = {i: {} for i in campaign_ids}
        if campaign_ids:
            for campaign_id, status, number in self.session.execute(
                select(Visit.campaign_id, Visit.status, func.count())
                .where(Visit.campaign_id.in_(list(campaign_ids)))
                .group_by(Visit.campaign_id, Visit.status)
            ):
                counts[campaign_id][status] = number
        found = {}
        for campaign_id, by_status in counts.items():
            total = sum(by_status.values())
            queued = by_status.get("queued", 0)
            opened = by_status.get("open", 0)
            found[campaign_id] = Progress(
                total=total,
                started=total - queued,
                open=opened,
                answered=by_status.get("answered", 0),
                closed=total - queued - opened,
            )
        return found

    def questionnaires(self) -> list[Questionnaire]:
        """The latest active version of each questionnaire."""
        latest = (
            select(Questionnaire.key, func.max(Questionnaire.version).label("version"))
            .where(Questionnaire.active.is_(True))
            .group_by(Questionnaire.key)
            .subquery()
        )
        return list(
            self.session.scalars(
                select(Questionnaire)
                .join(
                    latest,
                    (latest.c.key == Questionnaire.key) & (latest.c.version == Questionnaire.version),
                )
                .order_by(Questionnaire.id)
            )
        )

    def visitor_choices(self) -> list[tuple[str, str]]:
        """The centre's active staff, by display name: who may make a campaign's visits."""
        return [
            (username, name)
            for username, name in self.session.execute(
                select(User.username, User.display_name)
                .join(UserDepartment, UserDepartment.user_id == User.id)
                .where(UserDepartment.department_code == CENTRE, User.active.is_(True))
                .order_by(User.display_name)
            )
        ]

    def visits(
        self,
        campaign_id: int,
        *,
        status: str | None = None,
        visitor: str | None = None,
        page: int = 1,
        size: int = PAGE,
    ) -> VisitPage:
        """The campaign's visits with their owner and unit, `size` a page, by building and unit."""
        terms = [Visit.campaign_id == campaign_id]
        if status:
            terms.append(Visit.status == status)
        if visitor:
            terms.append(Visit.visitor == visitor)
        total = self.session.scalar(select(func.count()).select_from(Visit).where(*terms)) or 0
        pages = max(1, -(-total // size))
        page = min(max(1, page), pages)
        rows = self.session.execute(
            select(Visit, Owner.name, Owner.phone, Unit.number, Building.name)
            .join(Owner, Owner.id == Visit.owner_id)
            .join(Unit, Unit.id == Visit.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(*terms)
            .order_by(Visit.id)
            .offset((page - 1) * size)
            .limit(size)
        ).all()
        return VisitPage(list(rows), total, page, pages)

    # -- drafting --------------------------------------------------------------------------------------

    def preview(self, kind: str, raw_audience: Mapping[str, Any] | None) -> audiences.Preview:
        """How many visits a campaign of this kind over this audience would make, and a sample."""
        if kind not in KINDS:
            raise InvalidData("the campaign is invalid", {"kind": f"must be one of {', '.join(KINDS)}"})
        audience = audiences.parse(self.session, raw_audience)
        return audiences.preview(self.session, self._candidates(kind, audience))

    def create(self, values: Mapping[str, Any], actor: Actor) -> Campaign:
        """A draft campaign; raises InvalidData naming every field at fault."""
        checked, visitors = self._checked(values)
        campaign = Campaign(
            **checked,
            status="draft",
            total=0,
            started=0,
            created_by=actor.username,
            created_at=self.clock.now(),
        )
        campaign.visitors = [CampaignVisitor(username=u) for u in visitors]
        self.session.add(campaign)
        self.session.flush()
        return campaign

    def _checked(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        problems: dict[str, str] = {}
        name = values.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            problems["name"] = "required"
        elif len(name) > NAME_MAX:
            problems["name"] = f"must be at most {NAME_MAX} characters"
        kind = values.get("kind")
        if kind not in KINDS:
            problems["kind"] = f"must be one of {', '.join(KINDS)}"
        method = values.get("method")
        if method not in METHODS:
            problems["method"] = f"must be one of {', '.join(METHODS)}"
        script = values.get("script") or ""
        if not isinstance(script, str):
            problems["script"] = "must be text"
        elif len(script) > SCRIPT_MAX:
            problems["script"] = f"must be at most {SCRIPT_MAX} characters"
        questionnaire_id = _whole(values.get("questionnaire_id"))
        questionnaire = self.session.get(Questionnaire, questionnaire_id) if questionnaire_id else None
        if questionnaire is None or not questionnaire.active:
            problems["questionnaire_id"] = "no such questionnaire"
        visit_days = _whole(values.get("visit_days", 5))
        if visit_days is None or not 1 <= visit_days <= MAX_VISIT_DAYS:
            problems["visit_days"] = f"must be a whole number of days from 1 to {MAX_VISIT_DAYS}"
        days_after = _whole(values.get("days_after"))
        if kind in AUTOMATIC_KINDS:
            if days_after is None or not 0 <= days_after <= MAX_DAYS_AFTER:
                problems["days_after"] = f"must be a whole number of days from 0 to {MAX_DAYS_AFTER}"
        else:
            days_after = None
        visitors = _usernames(values.get("visitors"))
        if visitors is None:
            problems["visitors"] = "must be a list of usernames"
            visitors = []
        elif method == "online":
            visitors = []
        elif method in METHODS and not visitors:
            problems["visitors"] = "choose at least one visitor for a phone, home or event campaign"
        elif len(visitors) > MAX_VISITORS:
            problems["visitors"] = f"at most {MAX_VISITORS} visitors"
        else:
            allowed = dict(self.visitor_choices())
            strangers = [u for u in visitors if u not in allowed]
            if strangers:
                problems["visitors"] = f"not an active member of the centre: {', '.join(strangers)}"
        try:
            audience = audiences.parse(self.session, values.get("audience"))
        except InvalidData as bad:
            problems.update({f"audience.{k}": v for k, v in bad.fields.items()})
            audience = audiences.Audience()
        if problems:
            raise InvalidData("the campaign is invalid", problems)
        checked = {
            "name": name,
            "kind": kind,
            "method": method,
            "questionnaire_id": questionnaire_id,
            "audience": audience.as_json(),
            "script": script,
            "days_after": days_after,
            "visit_days": visit_days,
        }
        return checked, visitors

    # -- launching and after ---------------------------------------------------------------------------

    def launch(self, campaign_id: int, actor: Actor) -> Campaign:
        """Write the campaign's visits, queued, each with its visitor; their instances are started by the
        launcher (in the background, or `lintel campaigns launch`). An automatic campaign starts running
        with the owners whose day is today."""
        campaign = self._locked(campaign_id)
        if campaign.status != "draft":
            raise Conflict(f"campaign {campaign_id} was launched already (it is {campaign.status})")
        if campaign.method != "online" and not campaign.visitors:
            raise InvalidData(
                "the campaign has no visitor", {"visitors": "choose at least one visitor before launching"}
            )
        now = self.clock.now()
        campaign.launched_by = actor.username
        campaign.launched_at = now
        if campaign.kind in AUTOMATIC_KINDS:
            campaign.status = "running"
            self.session.flush()
            from crm.visits.automatic import take_in

            take_in(self.session, campaign, now.astimezone(SHANGHAI).date(), now)
        else:
            campaign.status = "launching"
            self.session.flush()
            audience = audiences.parse(self.session, campaign.audience)
            self.write_visits(campaign, self._candidates(campaign.kind, audience))
        return campaign

    def write_visits(self, campaign: Campaign, candidates: Select[Any]) -> int:
        """Insert the candidates not yet visited by the campaign as queued visits, balanced over its
        visitors; raise the campaign's total. Returns how many were added."""
        rows = candidates.subquery("candidates")
        fresh = (
            select(rows)
            .where(
                ~select(Visit.id)
                .where(
                    Visit.campaign_id == campaign.id,
                    Visit.owner_id == rows.c.owner_id,
                    Visit.unit_id == rows.c.unit_id,
                )
                .exists()
            )
            .subquery("fresh")
        )
        number = func.row_number().over(order_by=fresh.c.ordinal)
        numbered = select(fresh, number.label("n")).subquery("numbered")
        count = self.session.scalar(select(func.count()).select_from(fresh)) or 0
        if count == 0:
            return 0
        visitor: Any = null()
        usernames = [v.username for v in campaign.visitors]
        if campaign.method != "online" and usernames:
            given = balance(self.loads(usernames), count)
            whens, end = [], 0
            for username in usernames:
                if given[username]:
                    end += given[username]
                    whens.append((numbered.c.n <= end, literal(username)))
            visitor = case(*whens, else_=null())
        now = self.clock.now()
        self.session.execute(
            insert(Visit).from_select(
                [
                    "campaign_id",
                    "owner_id",
                    "unit_id",
                    "visitor",
                    "status",
                    "attempts",
                    "dissatisfied",
                    "event_on",
                    "created_at",
                ],
                select(
                    literal(campaign.id),
                    numbered.c.owner_id,
                    numbered.c.unit_id,
                    visitor,
                    literal("queued"),
                    literal(0),
                    literal(False),
                    numbered.c.event_on,
                    literal(now, Visit.created_at.type),
                ),
            )
        )
        self.session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(total=Campaign.total + count)
            .execution_options(synchronize_session=False)
        )
        self.session.refresh(campaign, ["total"])
        return count

    def loads(self, usernames: Sequence[str]) -> dict[str, int]:
        """Each visitor's work on hand: open inbox rows assigned to them and visits queued for them."""
        found = dict.fromkeys(usernames, 0)
        for username, number in self.session.execute(
            select(HumanTask.assignee, func.count())
            .where(HumanTask.state == "open", HumanTask.assignee.in_(list(usernames)))
            .group_by(HumanTask.assignee)
        ):
            found[username] += number
        for username, number in self.session.execute(
            select(Visit.visitor, func.count())
            .where(Visit.status == "queued", Visit.visitor.in_(list(usernames)))
            .group_by(Visit.visitor)
        ):
            found[username] += number
        return found

    def pause(self, campaign_id: int, actor: Actor) -> Campaign:
        """Stop starting visits (after the chunk being started)."""
        campaign = self._locked(campaign_id)
        if campaign.status != "launching":
            raise Conflict(f"only a campaign being launched can be paused (it is {campaign.status})")
        campaign.status = "paused"
        self.session.flush()
        return campaign

    def resume(self, campaign_id: int, actor: Actor) -> Campaign:
        campaign = self._locked(campaign_id)
        if campaign.status != "paused":
            raise Conflict(f"only a paused campaign can be resumed (it is {campaign.status})")
        campaign.status = "launching"
        self.session.flush()
        return campaign

    def finish(self, campaign_id: int, actor: Actor) -> Campaign:
        """Close the campaign: visits not yet started are cancelled now, open ones by the launcher (their
        instances cancelled, a chunk at a time)."""
        campaign = self._locked(campaign_id)
        if campaign.status == "finished":
            raise Conflict(f"campaign {campaign_id} is finished already")
        now = self.clock.now()
        campaign.status = "finished"
        campaign.finished_at = now
        self.session.execute(
            update(Visit)
            .where(Visit.campaign_id == campaign.id, Visit.status == "queued")
            .values(status="cancelled", closed_at=now)
            .execution_options(synchronize_session=False)
        )
        self.session.flush()
        return campaign

    def _locked(self, campaign_id: int) -> Campaign:
        if not 0 < campaign_id < 2**31:
            raise NotFound(f"campaign {campaign_id} does not exist")
        campaign = self.session.scalars(
            select(Campaign).where(Campaign.id == campaign_id).with_for_update(of=Campaign)
        ).first()
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist")
        self.session.refresh(campaign)
        return campaign

    def _candidates(self, kind: str, audience: audiences.Audience) -> Select[Any]:
        return audiences.candidates(
            audience, now=self.clock.now(), per_owner=kind in audiences.PER_OWNER_KINDS
        )


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _usernames(value: Any) -> list[str] | None:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",")]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return None
    seen: list[str] = []
    for v in value:
        v = v.strip()
        if v and v not in seen:
            seen.append(v)
    return seen


def refuse_manual_start(_data: Mapping[str, Any], _actor: Actor) -> int:
    """The generic start page and API: a return visit is only ever started by its campaign."""
    raise InvalidData(
        "return visits are started by their campaign (回访由回访活动发起)",
        {"process": "回访由回访活动发起"},
    )
