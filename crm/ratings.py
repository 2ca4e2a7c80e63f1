"""The owner's satisfaction with a request: one record per request, however it was given — on the portal by
the owner, or on the phone, where the centre records the score in the step that confirms with the owner."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.models import RequestRating
from engine.errors import Conflict, InvalidData
from engine.events import EventBus, TaskCompleted
from lintel.clock import Clock

MAX_COMMENT = 1000


def of(session: Session, instance_id: int) -> RequestRating | None:
    return session.scalars(select(RequestRating).where(RequestRating.instance_id == instance_id)).first()


def score_of(value: object) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    return None


class Ratings:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def of(self, instance_id: int) -> RequestRating | None:
        return of(self.session, instance_id)

    def rate(self, instance_id: int, score: object, comment: object) -> RequestRating:
        """The owner's own rating on the portal: refused when the request already has one."""
        value = score_of(score)
        errors: dict[str, str] = {}
        if value is None:
            errors["score"] = "must be an integer between 1 and 5"
        text = comment.strip() if isinstance(comment, str) else ""
        if len(text) > MAX_COMMENT:
            errors["comment"] = f"must be at most {MAX_COMMENT} characters"
        if errors:
            raise InvalidData("the rating has errors", errors)
        assert value is not None
        if self.of(instance_id) is not None:
            raise Conflict("the handling of this request has already been rated")
        rating = RequestRating(
            instance_id=instance_id, score=value, comment=text or None, rated_at=self.clock.now()
        )
        try:
            with self.session.begin_nested():
                self.session.add(rating)
        except IntegrityError:
            raise Conflict("the handling of this request has already been rated") from None
        return rating


def _on_task_completed(session: Session, event: TaskCompleted) -> None:
    """A step in which the owner said they are satisfied and gave a score (on the phone) records the
    request's rating; a later score in another round replaces it, so the request keeps one."""
    data: dict[str, Any] = event.data
    score = score_of(data.get("score"))
    if data.get("satisfied") != "yes" or score is None:
        return
    comment = data.get("comment") if isinstance(data.get("comment"), str) else None
    values = {
        "score": score,
        "comment": (comment or "").strip()[:MAX_COMMENT] or None,
        "rated_at": event.task.completed_at,
        "source": "phone",
        "recorded_by": event.actor,
    }
    rating = of(session, event.instance.id)
    if rating is None:
        session.add(RequestRating(instance_id=event.instance.id, **values))
    else:
        for name, value in values.items():
            setattr(rating, name, value)


def subscribe(events: EventBus) -> None:
    events.subscribe(TaskCompleted, _on_task_completed)
