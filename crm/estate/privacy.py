"""The personal-data log (PIPL): every view of an owner's full phone or ID number and every export of
personal data is written down — who, when, whose, what, and how (page, API, CLI). `record_access` is the
one function every reveal and export calls; `PersonalData` reveals a value and reads the log back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Owner, PersonalDataAccess
from engine.errors import InvalidData, NotFound
from lintel.clock import Clock

WHAT = ("phone", "id_number", "export")
VIA = ("page", "api", "cli")
LOG_PAGE = 100


def record_access(
    session: Session,
    at: datetime,
    actor: str,
    owner_ids: Iterable[int | None],
    what: str,
    via: str,
    detail: dict[str, Any] | None = None,
) -> list[PersonalDataAccess]:
    """One row per owner whose data `actor` saw or exported (`owner_ids` may hold None for an export of
    rows without an owner); flushed with the caller's transaction, so a view that fails leaves no row and
    a row is never lost for a view that happened."""
    if what not in WHAT or via not in VIA:
        raise ValueError(f"unknown personal-data access {what!r} via {via!r}")
    rows = [
        PersonalDataAccess(at=at, actor=actor, owner_id=owner_id, what=what, via=via, detail=detail)
        for owner_id in owner_ids
    ]
    session.add_all(rows)
    session.flush()
    return rows


class PersonalData:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def reveal(self, actor: str, owner_id: int, what: Any, via: str = "page") -> str:
        """The owner's full phone or ID number, the view written to the log."""
        if what not in ("phone", "id_number"):
            raise InvalidData("unknown field to reveal", {"what": "must be one of: phone, id_number"})
        owner = self.session.get(Owner, owner_id)
        if owner is None:
            raise NotFound(f"owner {owner_id} does not exist")
        value = owner.phone if what == "phone" else owner.id_number or ""
        record_access(self.session, self.clock.now(), actor, [owner.id], what, via)
        return value

    def log(
        self, *, owner_id: int | None = None, actor: str | None = None, before: int | None = None
    ) -> list[PersonalDataAccess]:
        """The log newest first, a page at a time (`before`: the last id of the page before)."""
        query = select(PersonalDataAccess)
        if owner_id is not None:
            query = query.where(PersonalDataAccess.owner_id == owner_id)
        if actor:
            query = query.where(PersonalDataAccess.actor == actor)
        if before is not None:
            query = query.where(PersonalDataAccess.id < before)
        return list(self.session.scalars(query.order_by(PersonalDataAccess.id.desc()).limit(LOG_PAGE)))

    def owner_names(self, rows: Iterable[PersonalDataAccess]) -> dict[int, str]:
        ids = {r.owner_id for r in rows if r.owner_id is not None}
        if not ids:
            return {}
        rows = self.session.execute(select(Owner.id, Owner.name).where(Owner.id.in_(ids)))
        return {owner_id: name for owner_id, name in rows}
