"""The owner portal: a request found by its number and the owner's phone, told without staff names or
internal notes — with the reply written for the owner and the date they can expect the next answer — the
list of the owner's own requests once their phone is verified, information the owner adds and chases
(催办), both on the request's timeline, and the owner's rating once it is closed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from crm.estate.models import Owner, Ownership
from crm.estate.people import normalise_phone as normalise_records_phone
from crm.models import RequestIndex, RequestRating
from crm.ratings import Ratings
from crm.throttle import Throttle
from engine.audit import AuditLog
from engine.errors import Conflict, InvalidData
from engine.events import EventBus
from engine.models import AuditEvent, HumanTask, ProcessInstance
from lintel.clock import SHANGHAI, Clock

SCOPE = "portal"
MAX_TEXT = 1000
OWNER_CHASED = "owner.chased"
OWNER_ADDED = "owner.added"
PUBLIC_EVENTS = ("instance.started", "task.created", "instance.completed", OWNER_CHASED, OWNER_ADDED)
# One chase a day is a reminder; more would only bury the department's inbox.
CHASE_INTERVAL = timedelta(hours=24)
MINE_LIMIT = 50


def normalise_phone(value: object) -> str:
    """The phone as the records keep it (`+86 138-0000-0001` is 13800000001, a landline keeps its area
    code's 0); anything else as its digits, which then match nothing: how an owner may type their number
    is not our business."""
    try:
        return normalise_records_phone(value)
    except InvalidData:
        digits = re.sub(r"\D", "", value) if isinstance(value, str) else ""
        return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def normalise_number(value: object) -> str:
    return re.sub(r"\s+", "", value).upper() if isinstance(value, str) else ""


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    kind: str  # received | step | closed | chased | added
    element_id: str | None = None
    text: str | None = None  # what the owner added


@dataclass(frozen=True)
class RequestChased:
    """An owner chased the request on the portal (published on the engine's event bus: crm.messaging tells
    whoever holds it). `audit_id`: the chase's line on the timeline."""

    instance: ProcessInstance
    request: RequestIndex
    audit_id: int
    at: datetime


@dataclass(frozen=True)
class PublicView:
    request: RequestIndex
    current: list[str]  # element ids of the steps it waits in
    timeline: list[PublicEvent]
    rating: RequestRating | None
    expected: datetime | None  # when the step it waits in is due
    last_chase: datetime | None

    @property
    def open(self) -> bool:
        return self.request.status == "open"

    @property
    def can_rate(self) -> bool:
        return self.request.status == "closed" and self.rating is None


class Portal:
    def __init__(
        self, session: Session, clock: Clock, throttle: Throttle, events: EventBus | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self.throttle = throttle
        self.events = events

    def lookup(self, number: object, phone: object, client: str) -> RequestIndex | None:
        """The request when both keys match, else None — the same None whichever key was wrong.
        Raises crm.throttle.Throttled while this client waits out the delay its failures for this number,
        or its failures altogether, earned: the owner on another phone or network is never held up."""
        number_text, phone_text = normalise_number(number), normalise_phone(phone)
        subject = f"number:{number_text}"
        self.throttle.check(SCOPE, subject, client)
        found = None
        if number_text and phone_text:
            found = self.session.scalars(
                select(RequestIndex).where(RequestIndex.number == number_text, self.seen_by(phone_text))
            ).first()
        if found is None:
            self.throttle.fail(SCOPE, subject, client)
        else:
            self.throttle.succeed(SCOPE, subject, client)
        return found

    def get(self, number: str) -> RequestIndex | None:
        return self.session.scalars(select(RequestIndex).where(RequestIndex.number == number)).first()

    def seen_by(self, phone: str) -> ColumnElement[bool]:
        """The requests the holder of this phone may follow: those registered with it; every request of
        an owner with this phone — kept after they sold the unit; and, for each unit they co-own now, the
        requests registered for it since their ownership began, about its current owners or about no
        owner (a tenant's) — not a previous owner's."""
        owners = select(Owner.id).where(Owner.phone == phone)
        conditions: list[ColumnElement[bool]] = [
            RequestIndex.owner_phone == phone,
            RequestIndex.owner_id.in_(owners),
        ]
        holdings = self.session.execute(
            select(Ownership.unit_id, Ownership.started_on).where(
                Ownership.owner_id.in_(owners), Ownership.ended_on.is_(None)
            )
        )
        for unit_id, started_on in holdings:
            current = select(Ownership.owner_id).where(
                Ownership.unit_id == unit_id, Ownership.ended_on.is_(None)
            )
            about = or_(RequestIndex.owner_id.is_(None), RequestIndex.owner_id.in_(current))
            condition = (RequestIndex.unit_id == unit_id) & about
            if started_on is not None:
                since = datetime.combine(started_on, time(), SHANGHAI)
                condition = condition & (RequestIndex.created_at >= since)
            conditions.append(condition)
        return or_(*conditions)

    def may_see(self, request: RequestIndex, phone: str) -> bool:
        if not phone:
            return False
        if request.owner_phone == phone:
            return True
        found = self.session.scalar(
            select(RequestIndex.instance_id).where(
                RequestIndex.instance_id == request.instance_id, self.seen_by(phone)
            )
        )
        return found is not None

    def mine(self, phone: str) -> list[RequestIndex]:
        """The requests the holder of this (verified) phone may follow (`seen_by`), newest first."""
        if not phone:
            return []
        return list(
            self.session.scalars(
                select(RequestIndex)
                .where(self.seen_by(phone))
                .order_by(RequestIndex.created_at.desc(), RequestIndex.instance_id.desc())
                .limit(MINE_LIMIT)
            )
        )

    def view(self, request: RequestIndex) -> PublicView:
        tasks = {
            task.id: task
            for task in self.session.scalars(
                select(HumanTask).where(HumanTask.instance_id == request.instance_id)
            )
        }
        steps = {
            task_id for task_id, task in tasks.items() if (getattr(task, "kind", None) or "task") == "task"
        }
        timeline = []
        last_chase = None
        for event in self.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.instance_id == request.instance_id, AuditEvent.kind.in_(PUBLIC_EVENTS))
            .order_by(AuditEvent.id)
        ):
            if event.kind == "instance.started":
                timeline.append(PublicEvent(event.at, "received"))
            elif event.kind == "instance.completed":
                timeline.append(PublicEvent(event.at, "closed"))
            elif event.kind == OWNER_CHASED:
                timeline.append(PublicEvent(event.at, "chased"))
                last_chase = event.at
            elif event.kind == OWNER_ADDED:
                timeline.append(PublicEvent(event.at, "added", text=str((event.data or {}).get("text", ""))))
            elif event.task_id in steps:
                timeline.append(PublicEvent(event.at, "step", event.element_id))
        waiting = [t for t in tasks.values() if t.state == "open" and t.id in steps]
        due = [t.due_at for t in waiting if t.due_at is not None]
        return PublicView(
            request,
            [t.element_id for t in waiting],
            timeline,
            Ratings(self.session, self.clock).of(request.instance_id),
            max(due) if due else None,
            last_chase,
        )

    def rate(self, request: RequestIndex, score: object, comment: object) -> RequestRating:
        if request.status != "closed":
            raise Conflict("the request is not closed yet")
        return Ratings(self.session, self.clock).rate(request.instance_id, score, comment)

    def chase(self, request: RequestIndex) -> AuditEvent:
        """The owner asks for the request to be hurried (催办): a line on its timeline that the staff
        see; at most one per request within CHASE_INTERVAL."""
        view = self.view(request)
        if not view.open:
            raise Conflict("the request is not open")
        if view.last_chase is not None and self.clock.now() - view.last_chase < CHASE_INTERVAL:
            raise Conflict("the request was chased recently")
        chase = self._record(request, OWNER_CHASED, None)
        if self.events is not None:
            instance = self.session.get(ProcessInstance, request.instance_id)
            assert instance is not None
            self.events.publish(self.session, RequestChased(instance, request, chase.id, chase.at))
        return chase

    def add_information(self, request: RequestIndex, text: object) -> AuditEvent:
        """What the owner adds to an open request, on its timeline for the staff."""
        body = text.strip() if isinstance(text, str) else ""
        if not body:
            raise InvalidData("the information is empty", {"text": "required"})
        if len(body) > MAX_TEXT:
            raise InvalidData(
                "the information is too long", {"text": f"must be at most {MAX_TEXT} characters"}
            )
        if request.status != "open":
            raise Conflict("the request is not open")
        return self._record(request, OWNER_ADDED, {"text": body})

    def _record(self, request: RequestIndex, kind: str, data: dict[str, str] | None) -> AuditEvent:
        instance = self.session.get(ProcessInstance, request.instance_id)
        assert instance is not None  # the index row goes with its instance (ON DELETE CASCADE)
        event = AuditLog(self.session, self.clock).record(instance, kind, None, data=data)
        self.session.flush()
        return event
