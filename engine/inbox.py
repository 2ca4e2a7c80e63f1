"""Inbox queries over the human task rows, with keyset paging so deep pages stay as fast as the first."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask


class Inbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(
        self,
        *,
        departments: Collection[str] | None,
        department: str | None = None,
        assignee: str | None = None,
        state: str = "open",
        process_key: str | None = None,
        instance_id: int | None = None,
        limit: int = 50,
        after: int | None = None,
    ) -> list[HumanTask]:
        """Tasks visible to someone in `departments` (None: every department), oldest first."""
        query = select(HumanTask)
        if departments is not None:
            query = query.where(HumanTask.department.in_(sorted(departments)))
        if department:
            query = query.where(HumanTask.department == department)
        if assignee:
            query = query.where(HumanTask.assignee == assignee)
        if state != "all":
            query = query.where(HumanTask.state == state)
        if process_key:
            query = query.where(HumanTask.process_key == process_key)
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        if after is not None:
            query = query.where(HumanTask.id > after)
        return list(self.session.scalars(query.order_by(HumanTask.id).limit(limit)))
