"""Staff notes on a request. They are internal: the owner portal never shows them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Comment
from engine.errors import InvalidData
from engine.models import HumanTask
from lintel.clock import Clock

MAX_LENGTH = 2000
MAX_ID = 2**63 - 1


class Comments:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def add(self, instance_id: int, author: str, body: object, *, task_id: int | None = None) -> Comment:
        text = body.replace("\r\n", "\n").strip() if isinstance(body, str) else ""
        if not text:
            raise InvalidData("the comment is empty", {"body": "required"})
        if len(text) > MAX_LENGTH:
            raise InvalidData("the comment is too long", {"body": f"must be at most {MAX_LENGTH} characters"})
        if task_id is not None:
            task_instance = (
                self.session.scalar(select(HumanTask.instance_id).where(HumanTask.id == task_id))
                if 0 < task_id <= MAX_ID
                else None
            )
            if task_instance != instance_id:
                raise InvalidData(
                    "the task is not part of this request", {"task_id": "not a step of this request"}
                )
        comment = Comment(
            instance_id=instance_id, task_id=task_id, author=author, body=text, created_at=self.clock.now()
        )
        self.session.add(comment)
        self.session.flush()
        return comment

    def of(self, instance_id: int) -> list[Comment]:
        return list(
            self.session.scalars(
                select(Comment).where(Comment.instance_id == instance_id).order_by(Comment.id)
            )
        )
