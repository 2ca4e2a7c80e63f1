"""The owner portal: a request found by its number and the owner's phone, told without staff names or
internal notes, and rated by the owner once it is closed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.models import RequestIndex, RequestRating
from crm.throttle import Throttle
from engine.errors import Conflict, InvalidData
from engine.models import AuditEvent, HumanTask
from lintel.clock import Clock

SCOPE = "portal"
MAX_COMMENT = 1000
PUBLIC_EVENTS = ("instance.started", "task.created", "instance.completed")


def normalise_phone(value: object) -> str:
    """Digits only, without China's +86: how an owner may type their number is not our business."""
    digits = re.sub(r"\D", "", value) if isinstance(value, str) else ""
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def normalise_number(value: object) -> str:
    return re.sub(r"\s+", "", value).upper() if isinstance(value, str) else ""


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    kind: str  # received | step | closed
    element_id: str | None = None


@dataclass(frozen=True)
class PublicView:
    request: RequestIndex
    current: list[str]  # element ids of the steps it waits in
    timeline: list[PublicEvent]
    rating: RequestRating | None

    @property
    def can_rate(self) -> bool:
        return self.request.status == "closed" and self.rating is None


class Portal:
    def __init__(self, session: Session, clock: Clock, throttle: Throttle) -> None:
        self.session = session
        self.clock = clock
        self.throttle = throttle

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
                select(RequestIndex).where(
                    RequestIndex.number == number_text, RequestIndex.owner_phone == phone_text
                )
            ).first()
        if found is None:
            self.throttle.fail(SCOPE, subject, client)
        else:
            self.throttle.succeed(SCOPE, subject, client)
        return found

    def get(self, number: str) -> RequestIndex | None:
        return self.session.scalars(select(RequestIndex).where(RequestIndex.number == number)).first()

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
        for event in self.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.instance_id == request.instance_id, AuditEvent.kind.in_(PUBLIC_EVENTS))
            .order_by(AuditEvent.id)
        ):
            if event.kind == "instance.started":
                timeline.append(PublicEvent(event.at, "received"))
            elif event.kind == "instance.completed":
                timeline.append(PublicEvent(event.at, "closed"))
            elif event.task_id in steps:
                timeline.append(PublicEvent(event.at, "step", event.element_id))
        current = [t.element_id for t in tasks.values() if t.state == "open" and t.id in steps]
        rating = self.session.scalars(
            select(RequestRating).where(RequestRating.instance_id == request.instance_id)
        ).first()
        return PublicView(request, current, timeline, rating)

    def rate(self, request: RequestIndex, score: object, comment: object) -> RequestRating:
        if request.status != "closed":
            raise Conflict("the request is not closed yet")
        errors: dict[str, str] = {}
        value: int | None = None
        if isinstance(score, str) and score.strip().isdigit():
            value = int(score.strip())
        elif isinstance(score, int) and not isinstance(score, bool):
            value = score
        if value is None or not 1 <= value <= 5:
            errors["score"] = "must be an integer between 1 and 5"
        text = comment.strip() if isinstance(comment, str) else ""
        if len(text) > MAX_COMMENT:
            errors["comment"] = f"must be at most {MAX_COMMENT} characters"
        if errors:
            raise InvalidData("the rating has errors", errors)
        assert value is not None
        rating = RequestRating(
            instance_id=request.instance_id, score=value, comment=text or None, rated_at=self.clock.now()
        )
        try:
            with self.session.begin_nested():
                self.session.add(rating)
        except IntegrityError:
            raise Conflict("the handling of this request has already been rated") from None
        return rating
