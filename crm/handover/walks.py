"""Walking a unit (验房): the inspector starts a walk with the owner who came along (or whoever came in their
place), records the unit's defects, and at the end the owner signs the unit's defect list on the tablet.

Starting a walk of a unit the same inspector is still walking in the same session (not yet signed) takes up
that walk again: a tablet that sends the start twice — once offline, once when back online — or an inspector
who comes back to the unit after lunch gets one walk, not two."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm.estate.models import Owner, Ownership, Unit
from crm.handover.models import OPEN_DEFECT_STATUSES, Defect, InspectionSession, UnitWalk
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from lintel.clock import Clock

PNG = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 512 * 1024  # a drawn signature is a few tens of KB
MAX_NAME = 100


class Walks:
    def __init__(self, session: Session, clock: Clock, folder: Path) -> None:
        self.session = session
        self.clock = clock
        self.folder = folder  # where drawn signatures are kept (instance folder / signatures)
        self.written: list[Path] = []

    def get(self, walk_id: int) -> UnitWalk:
        found = self.session.get(UnitWalk, walk_id) if 0 < walk_id < 2**63 else None
        if found is None:
            raise NotFound(f"walk {walk_id} does not exist")
        return found

    def owners(self, unit_id: int) -> list[Owner]:
        """The unit's current owners, the contact owner first (whom an inspector walks the unit with)."""
        rows = self.session.scalars(
            select(Ownership).where(Ownership.unit_id == unit_id, Ownership.ended_on.is_(None))
        )
        ordered = sorted(rows, key=lambda o: (not o.is_contact, o.owner.name))
        return [o.owner for o in ordered]

    def owners_of(self, unit_ids: list[int]) -> dict[int, list[Owner]]:
        """`owners` of many units at once (the capture page carries every unit of a session)."""
        found: dict[int, list[Ownership]] = {}
        if unit_ids:
            rows = self.session.scalars(
                select(Ownership).where(Ownership.unit_id.in_(unit_ids), Ownership.ended_on.is_(None))
            )
            for row in rows:
                found.setdefault(row.unit_id, []).append(row)
        return {
            unit_id: [o.owner for o in sorted(rows, key=lambda o: (not o.is_contact, o.owner.name))]
            for unit_id, rows in found.items()
        }

    def start(
        self,
        actor: Actor,
        inspection: InspectionSession,
        unit_id: Any,
        *,
        owner_id: Any = None,
        companion: Any = None,
    ) -> tuple[UnitWalk, bool]:
        """Start (or take up again) the actor's walk of a unit of the session; returns it and whether it is
        new. The companion is an owner of the unit (`owner_id`) or a name."""
        problems: dict[str, str] = {}
        unit = _unit(self.session, unit_id, problems)
        if unit is not None and unit.building_id not in (inspection.building_ids or []):
            problems["unit_id"] = "the unit is not in a building of this inspection"
        owner = None
        if owner_id not in (None, ""):
            wanted = _number(owner_id, 2**63)
            owner = self.session.get(Owner, wanted) if wanted is not None else None
            if owner is None or (unit is not None and owner.id not in {o.id for o in self.owners(unit.id)}):
                problems["owner_id"] = "not a current owner of this unit"
        name = None
        if companion not in (None, ""):
            if not isinstance(companion, str) or len(companion.strip()) > MAX_NAME:
                problems["companion"] = f"must be text of at most {MAX_NAME} characters"
            else:
                name = companion.strip() or None
        if problems:
            raise InvalidData("the walk has errors", problems)
        assert unit is not None
        walk = self.session.scalars(
            select(UnitWalk)
            .where(
                UnitWalk.session_id == inspection.id,
                UnitWalk.unit_id == unit.id,
                UnitWalk.inspector == actor.username,
                UnitWalk.signed_at.is_(None),
            )
            .order_by(UnitWalk.started_at.desc())
            .limit(1)
        ).first()
        created = walk is None
        if walk is None:
            walk = UnitWalk(
                session_id=inspection.id,
                unit_id=unit.id,
                inspector=actor.username,
                started_at=self.clock.now(),
            )
            self.session.add(walk)
        if owner is not None or name is not None:
            walk.owner_id = owner.id if owner is not None else None
            walk.companion = name if owner is None else None
        self.session.flush()
        return walk, created

    def defect_list(self, walk: UnitWalk) -> list[Defect]:
        """What the owner signs: the defects recorded on this walk and every other defect of the unit that
        is still open, oldest first."""
        return list(
            self.session.scalars(
                select(Defect)
                .where(
                    Defect.unit_id == walk.unit_id,
                    or_(Defect.walk_id == walk.id, Defect.status.in_(OPEN_DEFECT_STATUSES)),
                )
                .order_by(Defect.created_at, Defect.id)
            )
        )

    def sign(self, walk: UnitWalk, signed_by: Any, png: bytes) -> UnitWalk:
        """The owner (or their companion) signed the list: the drawn signature is kept, and the walk ends."""
        if walk.signed_at is not None:
            raise Conflict("this walk's list is already signed")
        problems: dict[str, str] = {}
        if not isinstance(signed_by, str) or not signed_by.strip():
            problems["signed_by"] = "required"
        elif len(signed_by.strip()) > MAX_NAME:
            problems["signed_by"] = f"must be at most {MAX_NAME} characters"
        if not png.startswith(PNG) or len(png) < 64:
            problems["signature"] = "draw the signature (a PNG image)"
        elif len(png) > MAX_SIGNATURE_BYTES:
            problems["signature"] = "the signature image is too large"
        if problems:
            raise InvalidData("the signature has errors", problems)
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = f"{secrets.token_hex(16)}.png"
        path = self.folder / stored
        path.write_bytes(png)
        self.written.append(path)
        walk.signature = stored
        walk.signed_by = str(signed_by).strip()
        walk.signed_at = self.clock.now()
        self.session.flush()
        return walk

    def signature_path(self, walk: UnitWalk) -> Path | None:
        name = walk.signature or ""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return None
        found = self.folder / name
        return found if found.is_file() else None

    def discard_written(self) -> None:
        """Remove the signatures this unit of work wrote: its transaction was rolled back."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()


def _number(raw: Any, limit: int = 2**31) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit():
        return None
    number = int(str(raw).strip())
    return number if 0 < number < limit else None


def _unit(session: Session, raw: Any, problems: dict[str, str]) -> Unit | None:
    number = _number(raw)
    found = session.get(Unit, number) if number is not None else None
    if found is None:
        problems["unit_id"] = "not found"
    return found
