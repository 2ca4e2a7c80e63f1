"""The staff worklist: the engine's task rows joined with the request index, filtered, overdue first,
keyset-paged so that the thousandth page costs what the first does.

Ordering is "due time, then id", nulls (no deadline) last: overdue tasks have the earliest due times, so
they come first by construction. Every query walks `ix_human_tasks_inbox` (department, state, due_at, id)
in order; a person in several departments gets one ordered walk per department, merged (a UNION ALL of
per-department LIMITs), because a single `department IN (...)` cannot be read from that index in order.
A task whose candidateGroups named several departments shows in each of their queues: the open ones of
the scope are read from `ix_human_task_candidates_queue` first (usually none: no second walk), and a walk
over just those ids adds the ones whose own department is not in the scope.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, tuple_, union, union_all
from sqlalchemy.orm import Session

from crm.estate.models import Owner
from crm.estate.search import escape_like, unit_ids
from crm.models import Department, RequestIndex
from engine.actors import Actor
from engine.errors import Forbidden, InvalidData
from engine.inbox import in_candidate_queues, is_overdue, open_candidate_tasks, overdue_clause
from engine.models import HumanTask
from lintel.clock import SHANGHAI, Clock

PAGE_SIZE = 50
VIEWS = ("department", "mine")
STATUSES = ("open", "unclaimed", "claimed", "completed")
DUES = ("overdue", "today", "week")
KINDS = ("task", "escalation")  # a step of the diagram, or the note an escalation timer raised about one
LEVELS = ("1", "2", "3")  # escalated at least this far (3: the group centre)
ALL_DEPARTMENTS = "*"
MAX_FILTER_LENGTH = 100
COUNT_CAP = 1000


@dataclass(frozen=True)
class WorklistFilter:
    view: str = "department"
    department: str = ""  # "" = my departments; "*" = every department (overseers only)
    status: str = "open"
    due: str = ""
    process: str = ""
    project: str = ""
    category: str = ""
    q: str = ""  # request number, owner name or phone, or unit
    kind: str = ""  # "" every task; "task" the diagram's steps only; "escalation" escalations only
    escalated: str = ""  # "" any; "3": escalated at least to level 3

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> WorklistFilter:
        """From query-string arguments; unknown arguments are ignored, bad values refused per field."""
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        for field in dataclasses.fields(cls):
            raw = args.get(field.name)
            if raw is None:
                continue
            if not isinstance(raw, str):
                errors[field.name] = "must be text"
                continue
            value = raw.strip()
            if len(value) > MAX_FILTER_LENGTH:
                errors[field.name] = f"must be at most {MAX_FILTER_LENGTH} characters"
            elif value:
                values[field.name] = value
        choices = (
            ("view", VIEWS),
            ("status", STATUSES),
            ("due", DUES),
            ("kind", KINDS),
            ("escalated", LEVELS),
        )
        for name, allowed in choices:
            if name in values and values[name] not in allowed:
                errors[name] = "must be one of: " + ", ".join(allowed)
        if errors:
            raise InvalidData("the filter has errors", errors)
        return cls(**values)

    def as_query(self) -> dict[str, str]:
        """The arguments that differ from the defaults: what a link or a saved filter needs."""
        default = WorklistFilter()
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != getattr(default, field.name)
        }

    def replace(self, **changes: str) -> WorklistFilter:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class WorklistRow:
    task: HumanTask
    request: RequestIndex | None
    overdue: bool
    owner_tier: str | None = None  # major and group owners are flagged wherever their requests appear


@dataclass(frozen=True)
class WorklistPage:
    rows: list[WorklistRow]
    next_cursor: str | None


@dataclass(frozen=True)
class Counts:
    mine: int
    unclaimed: int  # at most COUNT_CAP: "1000+" is all a queue that long needs to say
    overdue: int
    due_today: int

    @property
    def unclaimed_capped(self) -> bool:
        return self.unclaimed >= COUNT_CAP


@dataclass(frozen=True)
class _Cursor:
    """Where the previous page ended: in the dated part (a), the undated part (b), or by recency (r)."""

    part: str
    id: int
    due: datetime | None = None

    _PATTERN = re.compile(r"^(?:a\.(\d{1,18})\.(\d{1,19})|([br])\.(\d{1,19}))$")

    @classmethod
    def parse(cls, text: str) -> _Cursor:
        match = cls._PATTERN.match(text)
        if match is None:
            raise InvalidData("the page cursor is malformed", {"after": "is not a page cursor"})
        if match.group(1) is not None:
            due = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(match.group(1)))
            return cls("a", int(match.group(2)), due)
        return cls(match.group(3), int(match.group(4)))

    def __str__(self) -> str:
        if self.part == "a" and self.due is not None:
            micros = (self.due - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
            return f"a.{micros}.{self.id}"
        return f"{self.part}.{self.id}"


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of today and of tomorrow in Shanghai, as aware datetimes."""
    local = now.astimezone(SHANGHAI)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def week_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 of this week and of the next, in Shanghai."""
    start, _ = day_bounds(now)
    monday = start - timedelta(days=start.weekday())
    return monday, monday + timedelta(days=7)


def _like_prefix(text: str) -> str:
    return escape_like(text) + "%"


class Worklist:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- scope and conditions ---------------------------------------------------------------------------

    def scope(self, actor: Actor, worklist_filter: WorklistFilter) -> list[str] | None:
        """The departments whose queues are walked; None when the view is not a department queue."""
        if worklist_filter.view == "mine":
            return None
        department = worklist_filter.department
        if department == ALL_DEPARTMENTS:
            if not actor.sees_all:
                raise Forbidden("only supervisors and the group centre can list every department")
            return list(self.session.scalars(select(Department.code).order_by(Department.code)))
        if department:
            if not actor.can_see(department):
                raise Forbidden(f"you are not a member of '{department}'")
            return [department]
        return sorted(actor.departments)

    def _conditions(
        self, actor: Actor, worklist_filter: WorklistFilter, now: datetime
    ) -> list[ColumnElement[bool]]:
        f = worklist_filter
        where: list[ColumnElement[bool]] = [
            HumanTask.state == ("completed" if f.status == "completed" else "open")
        ]
        # Written so that PostgreSQL walks the inbox index in due order and stops after a page: as plain
        # `assignee IS NULL` it trusts ix_human_tasks_assignee's (badly underestimated) row count instead
        # and sorts every unclaimed row of the table.
        if f.status == "unclaimed":
            where.append(func.coalesce(HumanTask.assignee, "") == "")
        elif f.status == "claimed":
            where.append(func.coalesce(HumanTask.assignee, "") != "")
        if f.view == "mine":
            where.append(HumanTask.assignee == actor.username)
            if not actor.sees_all:
                where.append(
                    or_(
                        HumanTask.department.in_(sorted(actor.departments)),
                        in_candidate_queues(actor.departments),
                    )
                )
        if f.due == "overdue":
            where.append(overdue_clause(now))
        elif f.due in ("today", "week"):
            start, end = day_bounds(now) if f.due == "today" else week_bounds(now)
            where.extend([HumanTask.due_at >= start, HumanTask.due_at < end])
        if f.kind:
            where.append(HumanTask.kind == f.kind)
        if f.escalated:
            where.append(HumanTask.escalation_level >= int(f.escalated))
        if f.process:
            where.append(HumanTask.process_key == f.process)
        if f.project:
            where.append(RequestIndex.project == f.project)
        if f.category:
            where.append(RequestIndex.category == f.category)
        if (f.project or f.category) and f.status != "completed":
            # A closed request has no open task: this lets ix_request_index_open_project_category find the
            # few open requests of a project or category first.
            where.append(RequestIndex.status.in_(("open", "error")))
        if f.q:
            where.append(HumanTask.instance_id.in_(self.search(f.q)))
        return where

    def search(self, text: str) -> Select[Any]:
        """Instance ids of the requests whose number, owner (name or phone) or unit matches `text`."""
        text = text.strip()
        compact = re.sub(r"\s+", "", text)
        by_number = select(RequestIndex.instance_id).where(
            RequestIndex.number.like(_like_prefix(compact.upper()), escape="\\")
        )
        owners = select(Owner.id).where(
            or_(
                Owner.name.like(_like_prefix(text), escape="\\"),
                Owner.phone.like(_like_prefix(compact), escape="\\"),
            )
        )
        by_owner = select(RequestIndex.instance_id).where(RequestIndex.owner_id.in_(owners))
        found = [by_number, by_owner]
        # The unit written any common way (`1栋1201`, `1-1201`), or its number alone: one parser for all.
        units = unit_ids(compact, bare_numbers=True)
        if units is not None:
            found.append(select(RequestIndex.instance_id).where(RequestIndex.unit_id.in_(units)))
        return union(*found)  # type: ignore[return-value]

    # -- pages ------------------------------------------------------------------------------------------

    def page(
        self,
        actor: Actor,
        worklist_filter: WorklistFilter,
        *,
        after: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> WorklistPage:
        now = self.clock.now()
        scope = self.scope(actor, worklist_filter)
        where = self._conditions(actor, worklist_filter, now)
        join = bool(worklist_filter.project or worklist_filter.category)
        cursor = _Cursor.parse(after) if after else None
        found: list[tuple[str, int, datetime | None]] = []
        if worklist_filter.status == "completed":
            extra = [HumanTask.id < cursor.id] if cursor is not None else []
            found = [
                ("r", i, d) for i, d in self._ordered(scope, where + extra, [("id", True)], limit + 1, join)
            ]
        else:
            if cursor is None or cursor.part == "a":
                extra: list[ColumnElement[bool]] = [HumanTask.due_at.is_not(None)]
                if cursor is not None:
                    extra.append(tuple_(HumanTask.due_at, HumanTask.id) > tuple_(cursor.due, cursor.id))
                keys = [("due_at", False), ("id", False)]
                found = [("a", i, d) for i, d in self._ordered(scope, where + extra, keys, limit + 1, join)]
            if len(found) <= limit and not worklist_filter.due:
                extra = [HumanTask.due_at.is_(None)]
                if cursor is not None and cursor.part == "b":
                    extra.append(HumanTask.id > cursor.id)
                rest = self._ordered(scope, where + extra, [("id", False)], limit + 1 - len(found), join)
                found += [("b", i, d) for i, d in rest]
        next_cursor = None
        if len(found) > limit:
            found = found[:limit]
            part, last_id, last_due = found[-1]
            next_cursor = str(_Cursor(part, last_id, last_due if part == "a" else None))
        return WorklistPage(self._rows([i for _, i, _ in found], now), next_cursor)

    def count(self, actor: Actor, worklist_filter: WorklistFilter) -> int:
        """How many tasks `page` would list over all its pages: the figure a link to the list shows."""
        return self.count_each(actor, [worklist_filter])[0]

    def count_each(self, actor: Actor, filters: Sequence[WorklistFilter]) -> list[int]:
        """`count` of each filter, reading each department's queue once for all of them: one index range
        per department (the filters' own conditions summed side by side), the candidate tasks apart. A
        dashboard asks a dozen questions of the same queues for the price of one walk."""
        now = self.clock.now()
        scopes = [self.scope(actor, f) for f in filters]
        wheres = [self._conditions(actor, f, now) for f in filters]
        joins = [bool(f.project or f.category) for f in filters]
        totals = [0] * len(filters)

        def counted(indexes: list[int], *extra: ColumnElement[bool]) -> list[int]:
            join = any(joins[i] for i in indexes)
            sums = [func.coalesce(func.sum(case((and_(*wheres[i]), 1), else_=0)), 0) for i in indexes]
            query = select(*sums).select_from(HumanTask)
            if join:
                query = query.join(RequestIndex, RequestIndex.instance_id == HumanTask.instance_id)
            states = {"completed" if filters[i].status == "completed" else "open" for i in indexes}
            row = self.session.execute(query.where(HumanTask.state.in_(sorted(states)), *extra)).one()
            return [int(value or 0) for value in row]

        unscoped = [i for i, scope in enumerate(scopes) if scope is None]
        if unscoped:
            for i, n in zip(unscoped, counted(unscoped), strict=True):
                totals[i] = n
        codes = sorted({code for scope in scopes if scope for code in scope})
        for code in codes:
            indexes = [i for i, scope in enumerate(scopes) if scope and code in scope]
            for i, n in zip(indexes, counted(indexes, HumanTask.department == code), strict=True):
                totals[i] += n
        for i, scope in enumerate(scopes):
            candidates = open_candidate_tasks(self.session, scope) if scope else []
            if candidates:
                extra = (HumanTask.id.in_(candidates), HumanTask.department.not_in(scope or []))
                totals[i] += counted([i], *extra)[0]
        return totals

    def _ordered(
        self,
        scope: Sequence[str] | None,
        where: list[ColumnElement[bool]],
        keys: list[tuple[str, bool]],
        limit: int,
        join: bool,
    ) -> list[tuple[int, datetime | None]]:
        if limit <= 0 or (scope is not None and not scope):
            return []

        def order(columns: Mapping[str, Any]) -> list[Any]:
            return [columns[name].desc() if desc else columns[name].asc() for name, desc in keys]

        def walk(extra: list[ColumnElement[bool]]) -> Select[Any]:
            query = select(HumanTask.id, HumanTask.due_at)
            if join:
                query = query.join(RequestIndex, RequestIndex.instance_id == HumanTask.instance_id)
            columns = {"id": HumanTask.id, "due_at": HumanTask.due_at}
            return query.where(*where, *extra).order_by(*order(columns)).limit(limit)

        if scope is None:
            statement = walk([])
        else:
            walks = [walk([HumanTask.department == code]) for code in scope]
            candidates = open_candidate_tasks(self.session, scope)
            if candidates:
                walks.append(walk([HumanTask.id.in_(candidates), HumanTask.department.not_in(scope)]))
            merged = union_all(*(one.subquery().select() for one in walks)).subquery()
            statement = select(merged.c.id, merged.c.due_at).order_by(*order(merged.c)).limit(limit)
        return [(row[0], row[1]) for row in self.session.execute(statement)]

    def _rows(self, ids: list[int], now: datetime) -> list[WorklistRow]:
        if not ids:
            return []
        found = {
            task.id: (task, request, tier)
            for task, request, tier in self.session.execute(
                select(HumanTask, RequestIndex, Owner.tier)
                .outerjoin(RequestIndex, RequestIndex.instance_id == HumanTask.instance_id)
                .outerjoin(Owner, Owner.id == RequestIndex.owner_id)
                .where(HumanTask.id.in_(ids))
            )
        }
        rows = []
        for task_id in ids:
            task, request, tier = found[task_id]
            rows.append(WorklistRow(task, request, is_overdue(task, now), tier))
        return rows

    # -- counts for the home page -----------------------------------------------------------------------

    def counts(self, actor: Actor) -> Counts:
        now = self.clock.now()
        _, tomorrow = day_bounds(now)
        departments = sorted(actor.departments)

        def count(*where: ColumnElement[bool]) -> int:
            return int(self.session.scalar(select(func.count()).select_from(HumanTask).where(*where)) or 0)

        mine = count(HumanTask.assignee == actor.username, HumanTask.state == "open")
        if not departments:
            return Counts(mine, 0, 0, 0)
        # The own queues and the candidate queues are counted apart: one OR would scan every row.
        queues = [[HumanTask.department.in_(departments), HumanTask.state == "open"]]
        candidates = open_candidate_tasks(self.session, departments)
        if candidates:
            own_elsewhere = HumanTask.department.not_in(departments)
            queues.append([HumanTask.id.in_(candidates), own_elsewhere, HumanTask.state == "open"])

        def unclaimed(queue: list[ColumnElement[bool]]) -> int:
            capped = (
                select(HumanTask.id)
                .where(*queue, func.coalesce(HumanTask.assignee, "") == "")
                .limit(COUNT_CAP)
            ).subquery()
            return int(self.session.scalar(select(func.count()).select_from(capped)) or 0)

        return Counts(
            mine=mine,
            unclaimed=min(COUNT_CAP, sum(unclaimed(queue) for queue in queues)),
            overdue=sum(count(*queue, *_late_steps(now)) for queue in queues),
            due_today=sum(
                count(*queue, HumanTask.due_at >= now, HumanTask.due_at < tomorrow) for queue in queues
            ),
        )

    def overdue_by_department(self) -> list[tuple[str, str, int, int]]:
        """(code, name, open tasks, overdue tasks) of every department: what overseers watch."""
        now = self.clock.now()
        result = []
        for code, name in self.session.execute(
            select(Department.code, Department.name).order_by(Department.code)
        ):
            queue = [HumanTask.department == code, HumanTask.state == "open"]
            open_count = self.session.scalar(select(func.count()).select_from(HumanTask).where(*queue)) or 0
            overdue = (
                self.session.scalar(
                    select(func.count()).select_from(HumanTask).where(*queue, *_late_steps(now))
                )
                or 0
            )
            result.append((code, name, int(open_count), int(overdue)))
        return result


def _late_steps(now: datetime) -> list[ColumnElement[bool]]:
    """Overdue workflow steps: the figure a department is judged by. An escalation raised for one of them
    is not a second breach."""
    return [HumanTask.kind == "task", overdue_clause(now)]
