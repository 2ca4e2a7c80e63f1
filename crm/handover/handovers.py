"""Handing a unit over (交付): one `handover` instance per unit (workflows/handover.bpmn, numbered JF-…):
the appointment, then the walk-through and the handover itself with meter readings, keys, documents and the
owner's signed acceptance.

The rule that matters: a unit is handed over while defects are still open only when the owner's agreement
listing them (their numbers) and what the owner said are recorded. The check sits on the step itself
(crm.handover.handover_steps answers the engine's TaskCompleting event), so the pages, the API and the
generic task page all meet it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Contract, Ownership, Unit
from crm.estate.services import Records
from crm.handover.defects import Defects
from crm.handover.models import Defect, Handover
from crm.handover.readiness import Readiness
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from engine.models import HumanTask
from engine.runtime import Runtime
from engine.tasks import TaskService
from lintel.clock import Clock

PROCESS_KEY = "handover"
APPOINTMENT_STEP = "appointment"
HANDOVER_STEP = "hand_over"
ACTIVE = ("waiting", "booked")
MAX_ID = 2**31 - 1
# What the handover step's form holds (forms/definitions/handover_handover.json).
STEP_FIELDS = (
    "water",
    "electricity",
    "gas",
    "keys",
    "documents",
    "agreed_open_defects",
    "agreement_note",
    "signature",
    "handover_note",
)


def acting_for(actor: Actor, department: str) -> Actor:
    """Someone the policy let book or hand over (the centre's MANAGE_HANDOVER, or the owner of the unit on
    the portal) acts on the centre's step of this one instance as the centre would."""
    return Actor(actor.username, actor.departments | {department}, sees_all=actor.sees_all)


class Handovers:
    def __init__(
        self,
        session: Session,
        runtime: Runtime,
        tasks: TaskService,
        defects: Defects,
        clock: Clock,
    ) -> None:
        self.session = session
        self.runtime = runtime
        self.tasks = tasks
        self.defects = defects
        self.clock = clock
        self.records = Records(session, clock)
        self.readiness = Readiness(session)

    # -- reading -----------------------------------------------------------------------------------------

    def get(self, handover_id: int) -> Handover:
        found = self.session.get(Handover, handover_id) if 0 < handover_id <= 2**63 - 1 else None
        if found is None:
            raise NotFound(f"handover {handover_id} does not exist")
        return found

    def current(self, unit_id: int) -> Handover | None:
        """The unit's handover that is under way or done (not a cancelled one)."""
        return self.session.scalar(
            select(Handover)
            .where(Handover.unit_id == unit_id, Handover.status != "cancelled")
            .order_by(Handover.id.desc())
            .limit(1)
        )

    def of_building(self, building: Building) -> list[Handover]:
        return list(
            self.session.scalars(
                select(Handover)
                .join(Unit, Unit.id == Handover.unit_id)
                .where(Unit.building_id == building.id, Handover.status != "cancelled")
                .order_by(Handover.appointment_at.is_(None), Handover.appointment_at, Unit.floor, Unit.number)
            )
        )

    def open_step(self, handover: Handover, element_id: str | None = None) -> HumanTask | None:
        """The handover's step waiting for someone (the one named, if given)."""
        if handover.instance_id is None:
            return None
        query = select(HumanTask).where(
            HumanTask.instance_id == handover.instance_id, HumanTask.state == "open", HumanTask.kind == "task"
        )
        if element_id is not None:
            query = query.where(HumanTask.element_id == element_id)
        return self.session.scalars(query.order_by(HumanTask.id)).first()

    def open_defects(self, handover: Handover) -> list[Defect]:
        return self.readiness.open_defects(handover.unit_id)

    # -- starting ----------------------------------------------------------------------------------------

    def start(self, unit: Unit, actor: Actor) -> Handover:
        """Start the unit's handover: refused when one is under way or done, or the unit has no contract."""
        existing = self.current(unit.id)
        if existing is not None:
            done = existing.status == "handed_over"
            raise Conflict(f"unit {unit.label} is already {'handed over' if done else 'in handover'}")
        contract = self.records.current_contract(unit)
        if contract is None or contract.status != "signed":
            what = "already handed over" if contract is not None else "not sold (no current contract)"
            raise Conflict(f"unit {unit.label} is {what}")
        handover = Handover(
            unit_id=unit.id, contract_id=contract.id, status="waiting", created_at=self.clock.now()
        )
        self.session.add(handover)
        self.session.flush()
        data = {
            "handover_id": handover.id,
            "unit_id": unit.id,
            "owner_id": self._contact_owner(unit.id),
            "title": f"{unit.label} 交付",
        }
        instance = self.runtime.start(PROCESS_KEY, data, actor)
        handover.instance_id = instance.id
        self.session.flush()
        return handover

    def start_ready(self, building: Building, actor: Actor) -> list[Handover]:
        """Start the handover of every unit of the building that is ready (no open defect), sold and not
        handed over or in handover yet."""
        units = list(self.session.scalars(select(Unit).where(Unit.building_id == building.id)))
        with_open = self.readiness.of_building(building.id, self.clock.now())
        busy = set(
            self.session.scalars(
                select(Handover.unit_id)
                .join(Unit, Unit.id == Handover.unit_id)
                .where(Unit.building_id == building.id, Handover.status != "cancelled")
            )
        )
        signed = set(
            self.session.scalars(
                select(Contract.unit_id)
                .join(Unit, Unit.id == Contract.unit_id)
                .where(Unit.building_id == building.id, Contract.status == "signed")
            )
        )
        started = []
        for unit in sorted(units, key=lambda u: (u.floor or 0, u.number)):
            if unit.id in with_open or unit.id in busy or unit.id not in signed:
                continue
            started.append(self.start(unit, actor))
        return started

    def start_from_data(self, data: Mapping[str, Any], actor: Actor) -> int:
        """The handover started as any process is (API, start page, CLI): its start data names the unit."""
        unknown = {str(k): "unknown field" for k in data if k != "unit_id"}
        raw = data.get("unit_id")
        unit = None
        if isinstance(raw, int | str) and not isinstance(raw, bool) and str(raw).isdigit():
            unit = self.session.get(Unit, int(raw)) if 0 < int(raw) <= MAX_ID else None
        if unit is None:
            unknown["unit_id"] = "not found" if raw not in (None, "") else "required"
        if unknown:
            raise InvalidData("the handover has errors", unknown)
        assert unit is not None
        handover = self.start(unit, actor)
        assert handover.instance_id is not None
        return handover.instance_id

    # -- the walk-through and the handover ------------------------------------------------------------

    def register_defect(self, handover: Handover, values: Mapping[str, Any], actor: Actor) -> Defect:
        """A defect found on the walk-through: into the same rectification loop, source `handover`."""
        if handover.status not in ACTIVE:
            raise Conflict(f"the handover of unit {handover.unit.label} is {handover.status}")
        defect, _created = self.defects.register(
            actor, {**values, "unit_id": handover.unit_id, "source": "handover"}
        )
        return defect

    def hand_over(self, handover: Handover, values: Mapping[str, Any], actor: Actor) -> Handover:
        """Record the handover with what the handover step's form holds (readings, keys, documents, the
        agreement on open defects, the owner's drawn signature as an attachment of the request); refused
        while defects are open unless the agreement lists every one of them."""
        if handover.status not in ACTIVE:
            raise Conflict(f"the handover of unit {handover.unit.label} is {handover.status}")
        step = self.open_step(handover, HANDOVER_STEP)
        if step is None:
            raise Conflict("this handover is still waiting for its appointment")
        data = {k: v for k, v in values.items() if k in STEP_FIELDS}
        self.tasks.complete(step.id, data, acting_for(actor, step.department))
        self.session.flush()
        return handover

    def _contact_owner(self, unit_id: int) -> int | None:
        rows = self.session.execute(
            select(Ownership.owner_id, Ownership.is_contact).where(
                Ownership.unit_id == unit_id, Ownership.ended_on.is_(None)
            )
        ).all()
        contact = next((row.owner_id for row in rows if row.is_contact), None)
        return contact if contact is not None else (rows[0].owner_id if rows else None)
