"""Online questionnaires (method `online`): the invitation each owner gets when their visit starts, and the
portal's side — the owner's open questionnaires, one questionnaire as its owner reads it, and the answer that
ends the visit.

Invitations: a campaign's visits start in batches (`Runtime.start_many`); one batch subscriber on
InstanceStarted queues the invitations of the whole batch — the visits with their owners in one query, the
owners' channel choices for `visit.questionnaire` in another, the messages through the outbox in bulk
(`queue_many`) — with the portal link `/portal/visits/<id>`. The kind is optional: an owner who chose
不接收 on 消息设置 gets none (their visit still waits, and their open questionnaires are on the portal).

The portal knows a person by the phone they proved they hold: every owner record with it is theirs. A visit
of another owner is not found (404), exactly like a missing one. Answering writes the answers and the summary
(crm.visits.visits: the same rules as a call, the complaint from a low score) and delivers the BPMN message
`visit_answered`: the instance ends, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from crm.bulletins.sending import addresses_of
from crm.estate.models import Building, Owner, Unit
from crm.messaging.notices import Wiring, outbox
from crm.messaging.preferences import NoticePreferences
from crm.models import Complaint
from crm.portal import SCOPE, normalise_phone
from crm.throttle import Throttle
from crm.visits.models import Campaign, Visit
from crm.visits.visits import Visits
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from engine.events import EventBus, InstanceStarted
from engine.models import ProcessInstance
from lintel.clock import Clock

PROCESS_KEY = "return_visit"
METHOD = "online"
KIND = "visit.questionnaire"
MESSAGE = "visit_answered"
OPEN_LIMIT = 50


def portal_path(visit_id: int) -> str:
    return f"/portal/visits/{visit_id}"


def owner_actor(owner_id: int) -> Actor:
    """Who answered on the portal, as the audit and a complaint it opens name them."""
    return Actor(f"owner:{owner_id}")


# -- invitations ----------------------------------------------------------------------------------------


def _online_visit_ids(events: Sequence[InstanceStarted]) -> list[int]:
    ids = []
    for event in events:
        if event.instance.process_key != PROCESS_KEY or event.data.get("method") != METHOD:
            continue
        visit_id = event.data.get("visit_id")
        if isinstance(visit_id, int) and not isinstance(visit_id, bool):
            ids.append(visit_id)
    return ids


def invite(wiring: Wiring, session: Session, events: Sequence[InstanceStarted]) -> int:
    """Queue the invitations of a batch of started visits; how many messages were queued."""
    visit_ids = _online_visit_ids(events)
    if not visit_ids:
        return 0
    total = 0
    for start in range(0, len(visit_ids), 2_000):
        total += _invite_chunk(wiring, session, visit_ids[start : start + 2_000])
    return total


def _invite_chunk(wiring: Wiring, session: Session, visit_ids: list[int]) -> int:
    rows = list(
        session.execute(
            select(
                Visit.id.label("visit_id"),
                Visit.campaign_id,
                Owner.id,
                Owner.name,
                Owner.phone,
                Owner.email,
            )
            .join(Owner, Owner.id == Visit.owner_id)
            .where(Visit.id.in_(visit_ids))
            .order_by(Visit.id)
        )
    )
    if not rows:
        return 0
    campaigns = {
        c.id: c
        for c in session.scalars(select(Campaign).where(Campaign.id.in_({r.campaign_id for r in rows})))
    }
    channels = NoticePreferences(session, wiring.clock).channels_for_owners({r.id for r in rows}, KIND)
    config = wiring.messaging
    messages = []
    # One person held as several owner records, or owning two of the campaign's units, hears once (about
    # the first); the portal lists every questionnaire waiting for them.
    for row, to in addresses_of(rows, channels):
        if not to:
            continue
        campaign = campaigns[row.campaign_id]
        context = {
            "name": row.name,
            "campaign": campaign.name,
            "questionnaire": campaign.questionnaire.title,
            "days": campaign.visit_days,
            "link": config.public_url + portal_path(row.visit_id),
            "path": portal_path(row.visit_id),
        }
        messages.append((to, context))
    link: Callable[[dict[str, Any]], str | None] = lambda context: context.get("path")  # noqa: E731
    return outbox(session, wiring).queue_many(KIND, messages, link=link)


def subscribe(events: EventBus, wiring: Wiring) -> None:
    """The visit's status follows its instance's end (crm.visits.visits): answered, or given up when its
    days ran out."""
    events.subscribe_many(InstanceStarted, partial(invite, wiring))


# -- the portal -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerVisit:
    """A questionnaire as its owner reads it."""

    visit: Visit
    campaign: Campaign
    place: str  # 江南府 1栋 1201
    state: str  # open | answered | expired
    due_at: datetime | None

    @property
    def open(self) -> bool:
        return self.state == "open"


class AlreadyAnswered(Conflict):
    def __init__(self, at: datetime | None) -> None:
        super().__init__("the questionnaire was already answered")
        self.at = at


class Expired(Conflict):
    def __init__(self) -> None:
        super().__init__("the questionnaire is closed")


class OnlineVisits:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        visits: Visits,
        send_message: Callable[[int, str, dict[str, Any], Actor], Any],
    ) -> None:
        self.session = session
        self.clock = clock
        self.visits = visits
        self.send_message = send_message

    def owner_ids(self, phone: str) -> list[int]:
        if not phone:
            return []
        return list(self.session.scalars(select(Owner.id).where(Owner.phone == phone).order_by(Owner.id)))

    def open_for(self, owner_ids: Sequence[int]) -> list[OwnerVisit]:
        """The person's questionnaires waiting for their answers, the soonest due first."""
        if not owner_ids:
            return []
        visits = self.session.scalars(
            select(Visit)
            .join(Campaign, Campaign.id == Visit.campaign_id)
            .where(Visit.owner_id.in_(list(owner_ids)), Visit.status == "open", Campaign.method == METHOD)
            .order_by(Visit.created_at, Visit.id)
            .limit(OPEN_LIMIT)
        )
        shown = [self._view(v) for v in visits]
        return sorted([v for v in shown if v.open], key=lambda v: (v.due_at is None, v.due_at, v.visit.id))

    def get(self, owner_ids: Sequence[int], visit_id: int) -> OwnerVisit:
        """The questionnaire when one of these owner records is its owner; NotFound otherwise, as for a
        missing one (and for a visit made by a visitor, which has no questionnaire on the portal)."""
        found = None
        if owner_ids and 0 < visit_id < 2**63:
            found = self.session.scalar(
                select(Visit)
                .options(joinedload(Visit.unit).joinedload(Unit.building).joinedload(Building.project))
                .join(Campaign, Campaign.id == Visit.campaign_id)
                .where(Visit.id == visit_id, Visit.owner_id.in_(list(owner_ids)), Campaign.method == METHOD)
            )
        if found is None or found.status == "queued":
            raise NotFound(f"visit {visit_id} does not exist")
        return self._view(found)

    def _view(self, visit: Visit) -> OwnerVisit:
        instance = self.session.get(ProcessInstance, visit.instance_id) if visit.instance_id else None
        due = instance.next_timer_at if instance is not None and instance.status == "running" else None
        if visit.status == "answered" or visit.answered_at is not None:
            state = "answered"
        elif visit.status != "open" or instance is None or instance.status != "running":
            state = "expired"
        elif due is not None and due <= self.clock.now():
            state = "expired"  # its days ran out; the timer job has not ended it yet
        else:
            state = "open"
        unit = visit.unit
        place = f"{unit.building.project.name} {unit.building.name} {unit.number}"
        return OwnerVisit(visit, visit.campaign, place, state, due)

    def verify(self, throttle: Throttle, visit_id: int, phone: object, client: str) -> str | None:
        """The phone (normalised) when an owner with it owns the questionnaire, else None — the same None for
        a missing one. Throttled like the portal's look-ups (raises crm.throttle.Throttled meanwhile)."""
        subject = f"visit:{visit_id}"
        throttle.check(SCOPE, subject, client)
        number = normalise_phone(phone)
        try:
            self.get(self.owner_ids(number), visit_id)
        except NotFound:
            throttle.fail(SCOPE, subject, client)
            return None
        throttle.succeed(SCOPE, subject, client)
        return number

    def answer(self, owner_ids: Sequence[int], visit_id: int, answers: Mapping[str, Any]) -> Complaint | None:
        """The owner's answers: written with the visit's summary and the complaint a low score opens
        (crm.visits.visits, the same rules as a call), and the workflow told (`visit_answered`), which ends
        the visit — all in the caller's transaction. The complaint opened, if any. Raises NotFound,
        InvalidData (per question), AlreadyAnswered, Expired."""
        shown = self.get(owner_ids, visit_id)
        if shown.state == "answered":
            raise AlreadyAnswered(shown.visit.answered_at)
        if shown.state != "open":
            raise Expired()
        visit = shown.visit
        # A second submission racing this one waits here, then finds the visit answered.
        self.session.execute(select(Visit.id).where(Visit.id == visit.id).with_for_update())
        self.session.refresh(visit)
        if visit.status != "open" or visit.answered_at is not None:
            raise AlreadyAnswered(visit.answered_at)
        actor = owner_actor(visit.owner_id)
        try:
            complaint = self.visits.save_answers(visit, answers, actor)
        except InvalidData as invalid:  # the questions by their own names, as the page shows them
            fields = {k.removeprefix("answers."): v for k, v in invalid.fields.items()}
            raise InvalidData(str(invalid), fields) from None
        assert visit.instance_id is not None and visit.answered_at is not None
        payload = {"visit_id": visit.id, "answered_at": visit.answered_at.isoformat()}
        try:
            self.send_message(visit.instance_id, MESSAGE, payload, actor)
        except Conflict:
            # Not waiting any more: its days ran out in the meantime. The caller rolls everything back.
            raise Expired() from None
        return complaint
