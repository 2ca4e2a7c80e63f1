"""Inbox queries over the human task rows: overdue first (earliest due first), keyset paging so deep pages
stay as fast as the first, and the time left on each task's own clock."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, inspect, or_, select, true, update
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.business_time import BusinessCalendar
from engine.models import HumanTask, HumanTaskCandidate

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


def candidate_departments(session: Session, task_id: int) -> list[str]:
    """The further departments whose queues show the task (besides its own), in no particular order."""
    return list(
        session.scalars(select(HumanTaskCandidate.department).where(HumanTaskCandidate.task_id == task_id))
    )


def departments_of(session: Session, row: HumanTask) -> list[str]:
    """Every department that may work the task: its own first."""
    return [row.department, *sorted(candidate_departments(session, row.id))]


def works_on(session: Session, actor: Actor, row: HumanTask) -> bool:
    """Whether `actor` is a member of a department that may work the task (its own, or a candidate)."""
    if actor.member_of(row.department):
        return True
    return row.kind == "task" and any(
        actor.member_of(code) for code in candidate_departments(session, row.id)
    )


def sees(session: Session, actor: Actor, row: HumanTask) -> bool:
    """Whether the task is in a queue `actor` sees."""
    return actor.sees_all or works_on(session, actor, row)


def in_candidate_queues(departments: Collection[str]) -> ColumnElement[bool]:
    """Tasks, open or not, that further candidate departments among `departments` may work (a condition for
    rows found some other way, e.g. by assignee: it is no way to walk a queue)."""
    return HumanTask.id.in_(
        select(HumanTaskCandidate.task_id).where(HumanTaskCandidate.department.in_(sorted(departments)))
    )


def open_candidate_tasks(session: Session, departments: Collection[str]) -> list[int]:
    """Ids of the open tasks in the queues of `departments` as a further candidate department, read from
    the index alone. Usually there are none, and a queue then needs no second walk."""
    if not departments:
        return []
    return list(
        session.scalars(
            select(HumanTaskCandidate.task_id)
            .where(HumanTaskCandidate.department.in_(sorted(departments)), HumanTaskCandidate.open == true())
            .distinct()
        )
    )


def close_candidates(session: Session, row: HumanTask) -> None:
    """The task left its queues (completed or cancelled), so it leaves its candidate departments' too."""
    _candidates_open(session, row, False)


def reopen_candidates(session: Session, row: HumanTask) -> None:
    """The task is back in its queues (a retried incident reopened it), its candidate departments' too."""
    _candidates_open(session, row, True)


def _candidates_open(session: Session, row: HumanTask, is_open: bool) -> None:
    if row.id is None:  # not written yet: its candidate rows are still in the session with it
        loaded = inspect(row).attrs.candidates.loaded_value
        for candidate in loaded if isinstance(loaded, list) else ():
            candidate.open = is_open
        return
    # On the session's connection: nothing is flushed early (a stale task row is still caught where it is
    # written).
    session.connection().execute(
        update(HumanTaskCandidate)
        .where(
            HumanTaskCandidate.task_id == row.id,
            HumanTaskCandidate.open == (true() if not is_open else false()),
        )
        .values(open=is_open)
    )


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
        """Tasks visible to someone in `departments` (None: every department), the most overdue first.

        A task shows in its own department's queue and, while open, in those of its further candidate
        departments: the two are found apart (each on its own index) and merged, never or-ed into one scan."""
        where: list[ColumnElement[bool]] = []
        if assignee:
            where.append(HumanTask.assignee == assignee)
        if state != "all":
            where.append(HumanTask.state == state)
        if process_key:
            where.append(HumanTask.process_key == process_key)
        if instance_id is not None:
            where.append(HumanTask.instance_id == instance_id)
        if after is not None:
            due, task_id = after
            if due is None:
                where.extend([HumanTask.due_at.is_(None), HumanTask.id > task_id])
            else:
                where.append(
                    or_(
                        HumanTask.due_at > due,
                        and_(HumanTask.due_at == due, HumanTask.id > task_id),
                        HumanTask.due_at.is_(None),
                    )
                )
        codes: list[str] | None = None
        if department:
            codes = [department] if departments is None or department in departments else []
        elif departments is not None:
            codes = sorted(departments)
        order = (HumanTask.due_at.asc().nulls_last(), HumanTask.id)
        if codes is None:
            query = select(HumanTask).where(*where).order_by(*order).limit(limit)
            return list(self.session.scalars(query))
        if not codes:
            return []
        own = (
            select(HumanTask.id).where(*where, HumanTask.department.in_(codes)).order_by(*order).limit(limit)
        )
        ids = list(self.session.scalars(own))
        candidates = open_candidate_tasks(self.session, codes) if state in ("open", "all") else []
        if candidates:
            further = (
                select(HumanTask.id)
                .where(*where, HumanTask.id.in_(candidates), HumanTask.department.not_in(codes))
                .order_by(*order)
                .limit(limit)
            )
            ids += self.session.scalars(further)
        if not ids:
            return []
        query = select(HumanTask).where(HumanTask.id.in_(ids)).order_by(*order).limit(limit)
        return list(self.session.scalars(query))
