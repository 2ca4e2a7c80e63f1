"""Handover appointments: the times the centre receives owners (交付预约时段, per project, each taking so many
units) and the bookings of them — by the owner on the portal or by the centre for them. Booking a unit whose
handover waits for its appointment completes that step; rebooking moves it; cancelling frees the place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.estate.models import Project
from crm.handover.handovers import ACTIVE, APPOINTMENT_STEP, Handovers, acting_for
from crm.handover.models import Handover, HandoverSlot
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from lintel.clock import SHANGHAI, Clock

MAX_CAPACITY = 500
MAX_LENGTH = timedelta(hours=12)


@dataclass(frozen=True)
class SlotPlaces:
    slot: HandoverSlot
    booked: int

    @property
    def free(self) -> int:
        return max(self.slot.capacity - self.booked, 0)

    @property
    def full(self) -> bool:
        return self.free == 0


class HandoverSlots:
    def __init__(self, session: Session, handovers: Handovers, clock: Clock) -> None:
        self.session = session
        self.handovers = handovers
        self.clock = clock

    def get(self, slot_id: int) -> HandoverSlot:
        found = self.session.get(HandoverSlot, slot_id) if 0 < slot_id <= 2**31 - 1 else None
        if found is None:
            raise NotFound(f"handover slot {slot_id} does not exist")
        return found

    def create(self, project: Project, day: Any, start: Any, end: Any, capacity: Any) -> HandoverSlot:
        """A new time of the project (its date, from and to in Shanghai wall time, and how many units)."""
        problems: dict[str, str] = {}
        on = _parse(day, date.fromisoformat, "day", "must be a date (YYYY-MM-DD)", problems)
        starts = _parse(start, time.fromisoformat, "start", "must be a time (HH:MM)", problems)
        ends = _parse(end, time.fromisoformat, "end", "must be a time (HH:MM)", problems)
        places = _parse(
            capacity, int, "capacity", f"must be an integer between 1 and {MAX_CAPACITY}", problems
        )
        if places is not None and not 1 <= places <= MAX_CAPACITY:
            problems["capacity"] = f"must be an integer between 1 and {MAX_CAPACITY}"
        starts_at = ends_at = None
        if on is not None and starts is not None and ends is not None:
            starts_at = datetime.combine(on, starts, SHANGHAI)
            ends_at = datetime.combine(on, ends, SHANGHAI)
            if ends_at <= starts_at or ends_at - starts_at > MAX_LENGTH:
                problems["end"] = "must be after the start, on the same day"
            elif starts_at < self.clock.now():
                problems["day"] = "must not be in the past"
            elif self.session.scalar(
                select(HandoverSlot.id).where(
                    HandoverSlot.project_id == project.id, HandoverSlot.starts_at == starts_at
                )
            ):
                problems["start"] = "another slot of the project starts at this time"
        if problems:
            raise InvalidData("the slot has errors", problems)
        assert starts_at is not None and ends_at is not None and places is not None
        slot = HandoverSlot(project_id=project.id, starts_at=starts_at, ends_at=ends_at, capacity=places)
        self.session.add(slot)
        self.session.flush()
        return slot

    def of_project(self, project_id: int, upcoming_only: bool = True) -> list[SlotPlaces]:
        """The project's slots in time order, with the places booked (only those still to come)."""
        booked = (
            select(Handover.slot_id, func.count().label("n"))
            .where(Handover.status == "booked", Handover.slot_id.is_not(None))
            .group_by(Handover.slot_id)
            .subquery()
        )
        query = (
            select(HandoverSlot, func.coalesce(booked.c.n, 0))
            .outerjoin(booked, booked.c.slot_id == HandoverSlot.id)
            .where(HandoverSlot.project_id == project_id)
            .order_by(HandoverSlot.starts_at)
        )
        if upcoming_only:
            query = query.where(HandoverSlot.ends_at > self.clock.now())
        return [SlotPlaces(slot, int(n)) for slot, n in self.session.execute(query)]

    def places(self, slot: HandoverSlot) -> SlotPlaces:
        booked = self.session.scalar(
            select(func.count()).where(Handover.slot_id == slot.id, Handover.status == "booked")
        )
        return SlotPlaces(slot, int(booked or 0))

    def book(self, handover: Handover, slot_id: Any, actor: Actor, booked_by: str) -> Handover:
        """Book (or move) the unit's handover into a slot of its project: refused when the slot is full,
        past, of another project, or the handover is done or cancelled."""
        if handover.status not in ACTIVE:
            raise Conflict(f"the handover of unit {handover.unit.label} is {handover.status}")
        if isinstance(slot_id, bool) or not str(slot_id or "").strip().isdigit():
            raise InvalidData("choose a slot", {"slot_id": "required"})
        # Locked while the places are counted: two owners taking the last place cannot both get it.
        slot = (
            self.session.scalar(
                select(HandoverSlot).where(HandoverSlot.id == int(str(slot_id))).with_for_update()
            )
            if int(str(slot_id)) <= 2**31 - 1
            else None
        )
        if slot is None or slot.project_id != handover.unit.building.project_id:
            raise InvalidData("choose a slot", {"slot_id": "not a slot of this project"})
        if slot.starts_at < self.clock.now():
            raise InvalidData("choose a slot", {"slot_id": "this slot has passed"})
        if handover.slot_id == slot.id and handover.status == "booked":
            return handover
        if self.places(slot).full:
            raise Conflict("the slot is full")
        handover.slot_id = slot.id
        handover.appointment_at = slot.starts_at
        handover.booked_by = booked_by
        handover.status = "booked"
        self.session.flush()
        step = self.handovers.open_step(handover, APPOINTMENT_STEP)
        if step is not None:
            wall = slot.starts_at.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(timespec="minutes")
            data = {"appointment_at": wall, "appointment_note": None}
            self.handovers.tasks.complete(step.id, data, acting_for(actor, step.department))
        return handover

    def cancel(self, handover: Handover) -> Handover:
        """Cancel the booking: the place is free again and the unit waits for a new appointment."""
        if handover.status != "booked":
            raise Conflict("the handover has no booking to cancel")
        handover.slot_id = None
        handover.appointment_at = None
        handover.booked_by = None
        handover.status = "waiting"
        self.session.flush()
        return handover


def _parse(raw: Any, parse: Any, field: str, message: str, problems: dict[str, str]) -> Any:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems[field] = "required"
        return None
    try:
        return parse(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        problems[field] = message
        return None


def _whole(raw: Any) -> int:
    if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())):
        raise ValueError(raw)
    return int(raw)
