"""The case lookup (工单查询): one row per request, any status, any department, with its current step and
who holds it — found by number (whole or partial), the last digits of the owner's phone, the owner's name,
or the unit written any common way (`江南府1栋1201`, `1-1201`, `2幢801室`).

Unlike the inbox, which lists tasks, the lookup lists requests; who sees which is the policy's rule
(`Policy.visible_requests`): overseers every request, others those their departments worked on or that
they registered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select, union
from sqlalchemy.orm import Session

from crm.estate.models import Owner
from crm.estate.search import escape_like, unit_ids
from crm.models import RequestIndex
from crm.policy import Policy
from engine.actors import Actor
from engine.errors import Forbidden
from engine.inbox import is_overdue
from engine.models import HumanTask
from lintel.clock import Clock

PAGE_SIZE = 50
MAX_QUERY = 100
STATUSES = ("", "open", "closed")

_NUMBER = re.compile(r"^[A-Z]{1,4}-?\d{0,4}-?\d*$")
_INITIALS = re.compile(r"^[a-z]{2,6}$")


@dataclass(frozen=True)
class LookupRow:
    request: RequestIndex
    tasks: list[HumanTask]  # its open steps (escalations left out): where it is and who holds it
    owner_tier: str | None
    overdue: bool


def search_matches(text: str) -> list[Select[Any]]:
    """What `text` may mean, each a query for the instance ids it finds (any one matching is enough)."""
    query = text.strip()
    compact = re.sub(r"\s+", "", query)
    if not compact:
        return []
    upper = compact.upper()
    by_columns: list[ColumnElement[bool]] = []
    digits = compact.isdigit()
    if digits:
        # A partial request number: its sequence part ("123" is TS-2026-000123) or any ending.
        by_columns.append(RequestIndex.number.like("%-" + compact.zfill(6), escape="\\"))
        by_columns.append(RequestIndex.number.like("%" + compact, escape="\\"))
        # The owner's phone: its last digits ("1234"), or as much as was typed from the start.
        by_columns.append(RequestIndex.owner_phone.like("%" + compact, escape="\\"))
        if len(compact) >= 7:
            by_columns.append(RequestIndex.owner_phone.like(compact + "%", escape="\\"))
    elif _NUMBER.match(upper):
        by_columns.append(RequestIndex.number.like(escape_like(upper) + "%", escape="\\"))
    if not digits:
        by_columns.append(RequestIndex.owner_name.like(escape_like(query) + "%", escape="\\"))
    found: list[Select[Any]] = []
    if by_columns:
        found.append(select(RequestIndex.instance_id).where(or_(*by_columns)))
    units = unit_ids(compact)
    if units is not None:
        found.append(select(RequestIndex.instance_id).where(RequestIndex.unit_id.in_(units)))
    lower = compact.lower()
    if _INITIALS.match(lower):
        # Pinyin initials (`zw` for 张伟): the owners first (an index lookup), then their requests.
        owners = select(Owner.id).where(Owner.name_initials == lower)
        found.append(select(RequestIndex.instance_id).where(RequestIndex.owner_id.in_(owners)))
    return found


class CaseLookup:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.policy = Policy(session)

    def search(
        self,
        actor: Actor,
        text: str = "",
        *,
        status: str = "",
        department: str = "",
        limit: int = PAGE_SIZE,
    ) -> list[LookupRow]:
        """Requests matching `text` (every request the actor may see when it is empty), newest first."""
        where: list[ColumnElement[bool]] = []
        matches = None
        if text.strip():
            found = search_matches(text[:MAX_QUERY])
            if not found:
                return []
            # The few matches first, on their own (a phone ending or part of a number reads the table
            # once): asked together with who may see them, the database would check visibility row by
            # row across the table, or walk it newest first hoping to meet a match.
            matches = union(*found).cte("matches").prefix_with("MATERIALIZED")
        if status in ("open", "closed"):
            where.append(RequestIndex.status == status)
        if department:
            if not actor.can_see(department):
                raise Forbidden(f"you are not a member of '{department}'")
            where.append(
                exists().where(
                    HumanTask.instance_id == RequestIndex.instance_id, HumanTask.department == department
                )
            )

        def newest(*extra: ColumnElement[bool]) -> Select[Any]:
            query = select(RequestIndex.instance_id)
            if matches is not None:
                query = query.join(matches, matches.c.instance_id == RequestIndex.instance_id)
            return query.where(*where, *extra).order_by(RequestIndex.instance_id.desc()).limit(limit)

        visible = self.policy.visible_requests(actor)
        if visible is None:
            statement = newest()
        else:
            # One newest-first walk per way of seeing a request, merged.
            merged = union(*(newest(condition).subquery().select() for condition in visible)).subquery()
            statement = select(merged.c.instance_id).order_by(merged.c.instance_id.desc()).limit(limit)
        ids = list(self.session.scalars(statement))
        if not ids:
            return []
        found_rows = {
            r.instance_id: r
            for r in self.session.scalars(select(RequestIndex).where(RequestIndex.instance_id.in_(ids)))
        }
        return self._rows([found_rows[i] for i in ids])

    def _rows(self, requests: Sequence[RequestIndex]) -> list[LookupRow]:
        if not requests:
            return []
        ids = [r.instance_id for r in requests]
        tasks: dict[int, list[HumanTask]] = {i: [] for i in ids}
        for task in self.session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id.in_(ids), HumanTask.state == "open", HumanTask.kind == "task")
            .order_by(HumanTask.id)
        ):
            tasks[task.instance_id].append(task)
        owner_ids = {r.owner_id for r in requests if r.owner_id is not None}
        tiers: dict[int, str] = {}
        if owner_ids:
            for owner_id, tier in self.session.execute(
                select(Owner.id, Owner.tier).where(Owner.id.in_(owner_ids))
            ):
                tiers[owner_id] = tier
        now = self.clock.now()
        return [
            LookupRow(
                request=r,
                tasks=tasks[r.instance_id],
                owner_tier=tiers.get(r.owner_id) if r.owner_id is not None else None,
                overdue=any(is_overdue(t, now) for t in tasks[r.instance_id]),
            )
            for r in requests
        ]
