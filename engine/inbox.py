"""Inbox queries over the human task rows: overdue first (earliest due first), keyset paging so deep pages
stay as fast as the first, and the time left on each task's own clock."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from engine.business_time import BusinessCalendar
from engine.models import HumanTask

Cursor = tuple[datetime | None, int]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(row: HumanTask) -> str:
    """The position after `row`, as URL-safe text: due time in epoch microseconds (or "-") and the id."""
    due = "-" if row.due_at is None else str((row.due_at - _EPOCH) // _MICROSECOND)
    return f"{due}.{row.id}"


def decode_cursor(text: str) -> Cursor:
    """Raises ValueError for anything that is not a cursor this module made."""
    due, _, task_id = text.partition(".")
    moment = None if due == "-" else _EPOCH + int(due) * _MICROSECOND
    return moment, int(task_id)


def is_overdue(row: HumanTask, now: datetime) -> bool:
    """Past its deadline. Waiting for the owner stops the clock from then on, but a deadline already
    breached when the wait began stays breached: a breach is a fact, not a state the pause can undo."""
    if row.state != "open" or row.due_at is None or row.due_at >= now:
        return False
    return row.waiting_since is None or row.due_at <= row.waiting_since


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """`is_overdue` for a query over open rows."""
    return and_(
        HumanTask.due_at < now,
        or_(HumanTask.waiting_since.is_(None), HumanTask.due_at <= HumanTask.waiting_since),
    )


def time_left(row: HumanTask, now: datetime, calendar: BusinessCalendar) -> float | None:
    """Seconds until the task is due (negative once overdue), counted on its deadline's clock."""
    if row.due_at is None or (row.waiting_since is not None and not is_overdue(row, now)):
        return None
    if row.deadline_clock == "business":
        return calendar.business_seconds_between(now, row.due_at)
    return (row.due_at - now).total_seconds()


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
        after: Cursor | None = None,
    ) -> list[HumanTask]:
        """Tasks visible to someone in `departments` (None: every department), the most overdue first."""
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
            due, task_id = after
            if due is None:
                query = query.where(HumanTask.due_at.is_(None), HumanTask.id > task_id)
            else:
                query = query.where(
                    or_(
                        HumanTask.due_at > due,
                        and_(HumanTask.due_at == due, HumanTask.id > task_id),
                        HumanTask.due_at.is_(None),
                    )
                )
        query = query.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id).limit(limit)
        return list(self.session.scalars(query))
