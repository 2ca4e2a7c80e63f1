"""Entering and changing the records one at a time (the pages, registration of a caller not on file), with
the rules every way in shares — imports included: natural keys, one contact owner per unit, a contract's
status from its dates, and a unit changing hands without losing its history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from crm.estate.models import (
    CALLER_RELATIONS,
    Building,
    Caller,
    Contract,
    Contractor,
    Layout,
    Owner,
    Ownership,
    Project,
    ProjectPhase,
    Unit,
)
from crm.estate.people import name_keys, normalise_id_number, normalise_phone
from crm.handover.contractors import ensure_department
from engine.errors import InvalidData
from lintel.clock import SHANGHAI, Clock
from lintel.db import Base

TIERS = ("regular", "major", "group")
MAX_ROOMS = 30
MAX_TRADES = 20


def contract_status(handed_over_on: date | None, cancelled_on: date | None) -> str:
    """cancelled once cancelled, else handed_over once the keys are handed over, else signed."""
    if cancelled_on is not None:
        return "cancelled"
    return "handed_over" if handed_over_on is not None else "signed"


def contract_problems(
    signed_on: date | None,
    planned_handover_on: date | None,
    handed_over_on: date | None,
    cancelled_on: date | None,
) -> dict[str, str]:
    """What is wrong with a contract's dates, by field."""
    problems: dict[str, str] = {}
    if signed_on is None:
        problems["signed_on"] = "required"
        return problems
    for name, value in (
        ("planned_handover_on", planned_handover_on),
        ("handed_over_on", handed_over_on),
        ("cancelled_on", cancelled_on),
    ):
        if value is not None and value < signed_on:
            problems[name] = "must not be before the signing date"
    return problems


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise InvalidData(f"{field} is required", {field: "required"})
        return None
    if len(text) > limit:
        raise InvalidData(f"{field} is too long", {field: f"must be at most {limit} characters"})
    return text


def _checked(checks: dict[str, Callable[[], Any]]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every check run, so that a form shows all its problems at once: the values, and the problems by
    field."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, check in checks.items():
        try:
            values[field] = check()
        except InvalidData as invalid:
            problems.update(invalid.fields)
    return values, problems


def _names(values: Sequence[Any], field: str, limit: int, each: int) -> list[str]:
    """Distinct, non-empty names in the order given (rooms of a layout, trades of a contractor)."""
    names: list[str] = []
    for value in values:
        name = value.strip() if isinstance(value, str) else ""
        if name and name not in names:
            if len(name) > each:
                raise InvalidData(f"{field} too long", {field: f"must be at most {each} characters"})
            names.append(name)
    if len(names) > limit:
        raise InvalidData(f"too many {field}", {field: f"at most {limit} entries"})
    return names


def parse_area(value: Any) -> Decimal | None:
    """A unit's area in m², e.g. 89.5; None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        area = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidData("area is not a number", {"area_m2": "must be a number"}) from None
    if not area.is_finite() or area <= 0 or area >= 100_000:
        raise InvalidData("area out of range", {"area_m2": "must be a number between 0 and 100000"})
    return area.quantize(Decimal("0.01"))


def parse_floor(value: Any) -> int | None:
    """A floor number; basements are negative (-1 for B1). None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        floor = int(str(value).strip())
    except ValueError:
        raise InvalidData("floor is not a number", {"floor": "must be an integer"}) from None
    if not -10 <= floor <= 200:
        raise InvalidData("floor out of range", {"floor": "must be an integer between -10 and 200"})
    return floor


class Records:
    """The records, written one by one; the caller owns the transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def today(self) -> date:
        return self.clock.now().astimezone(SHANGHAI).date()

    def _taken(self, record: Base | None, model: type[Base], *where: ColumnElement[bool]) -> bool:
        """Whether another `model` row than `record` matches `where` (a natural key already in use)."""
        found = self.session.scalar(select(model).where(*where).limit(1))
        return found is not None and found is not record

    # -- projects, buildings, layouts, units -------------------------------------------------------------

    def save_project(
        self,
        project: Project | None,
        *,
        code: Any,
        name: Any,
        city: Any = None,
        phases: Sequence[Any] = (),
    ) -> Project:
        """Create (project None) or change a project; `phases` are the names of its phases — phases not
        named any more are kept while buildings still belong to them."""
        values, problems = _checked(
            {
                "code": lambda: (_text(code, "code", 50) or "").upper(),
                "name": lambda: _text(name, "name", 200),
                "city": lambda: _text(city, "city", 100, required=False),
                "phases": lambda: _names(phases, "phases", 50, 50),
            }
        )
        if "code" in values:
            if self._taken(project, Project, Project.code == values["code"]):
                problems["code"] = "another project has this code"
        if problems:
            raise InvalidData("the project has errors", problems)
        if project is None:
            project = Project(code=values["code"], name="")
            self.session.add(project)
        project.code = values["code"]
        project.name = values["name"]
        project.city = values["city"]
        self.session.flush()
        existing = {p.name for p in project.phases}
        for phase in values["phases"]:
            if phase not in existing:
                self.session.add(ProjectPhase(project_id=project.id, name=phase))
        self.session.flush()
        self.session.expire(project, ["phases"])
        return project

    def phase(self, project: Project, name: Any) -> ProjectPhase | None:
        """The project's phase of this name, added when new; None for no name."""
        text = _text(name, "phase", 50, required=False)
        if text is None:
            return None
        found = self.session.scalar(
            select(ProjectPhase).where(ProjectPhase.project_id == project.id, ProjectPhase.name == text)
        )
        if found is None:
            found = ProjectPhase(project_id=project.id, name=text)
            self.session.add(found)
            self.session.flush()
        return found

    def save_building(
        self, building: Building | None, *, project: Project, name: Any, phase: Any = None
    ) -> Building:
        values, problems = _checked(
            {
                "name": lambda: _text(name, "name", 50),
                "phase": lambda: _text(phase, "phase", 50, required=False),
            }
        )
        if "name" in values:
            if self._taken(
                building, Building, Building.project_id == project.id, Building.name == values["name"]
            ):
                problems["name"] = "the project already has a building of this name"
        if problems:
            raise InvalidData("the building has errors", problems)
        if building is None:
            building = Building(project=project, name=values["name"])
            self.session.add(building)
        building.name = values["name"]
        building.phase = self.phase(project, values["phase"])
        self.session.flush()
        return building

    def save_layout(
        self, layout: Layout | None, *, project: Project, name: Any, rooms: Sequence[Any] = ()
    ) -> Layout:
        values, problems = _checked(
            {"name": lambda: _text(name, "name", 50), "rooms": lambda: _names(rooms, "rooms", MAX_ROOMS, 20)}
        )
        if "name" in values:
            if self._taken(layout, Layout, Layout.project_id == project.id, Layout.name == values["name"]):
                problems["name"] = "the project already has a layout of this name"
        if problems:
            raise InvalidData("the layout has errors", problems)
        if layout is None:
            layout = Layout(project_id=project.id, name=values["name"], rooms=[])
            self.session.add(layout)
        layout.name = values["name"]
        layout.rooms = values["rooms"]
        self.session.flush()
        return layout

    def set_floor_plan(self, layout: Layout, stored_name: str | None, content_type: str | None) -> str | None:
        """The layout's floor plan is now the stored image `stored_name` (crm.estate.floor_plans; None for
        none). Returns the stored name it replaces: the caller removes that file once this is committed."""
        before = layout.floor_plan
        layout.floor_plan = stored_name
        layout.floor_plan_type = content_type if stored_name is not None else None
        self.session.flush()
        return before if before != stored_name else None

    def save_unit(
        self,
        unit: Unit | None,
        *,
        building: Building,
        number: Any,
        floor: Any = None,
        layout: Layout | None = None,
        area_m2: Any = None,
    ) -> Unit:
        values, problems = _checked(
            {
                "number": lambda: _text(number, "number", 50),
                "floor": lambda: parse_floor(floor),
                "area_m2": lambda: parse_area(area_m2),
            }
        )
        if "number" in values:
            if self._taken(unit, Unit, Unit.building_id == building.id, Unit.number == values["number"]):
                problems["number"] = "the building already has a unit of this number"
        if layout is not None and layout.project_id != building.project_id:
            problems["layout_id"] = "not a layout of this project"
        if problems:
            raise InvalidData("the unit has errors", problems)
        number_text, floor_value, area = values["number"], values["floor"], values["area_m2"]
        if unit is None:
            unit = Unit(building=building, number=number_text)
            self.session.add(unit)
        unit.building = building
        unit.number = number_text
        unit.floor = floor_value
        unit.layout = layout
        unit.area_m2 = area
        self.session.flush()
        return unit

    # -- owners ---------------------------------------------------------------------------------------

    def find_owner(self, *, id_number: str | None, phone: str, name: str) -> Owner | None:
        """The owner these details name: by ID number when given, else by phone and name."""
        if id_number:
            return self.session.scalar(select(Owner).where(Owner.id_number == id_number))
        return self.session.scalar(
            select(Owner).where(Owner.phone == phone, Owner.name == name).order_by(Owner.id).limit(1)
        )

    def save_owner(
        self,
        owner: Owner | None,
        *,
        name: Any,
        phone: Any,
        id_number: Any = None,
        email: Any = None,
        tier: Any = "regular",
    ) -> Owner:
        """Create (owner None) or change an owner; every problem is reported at once, by field."""
        values, problems = _checked(
            {
                "name": lambda: _text(name, "name", 100),
                "phone": lambda: normalise_phone(phone),
                "id_number": lambda: normalise_id_number(id_number),
                "email": lambda: _email(email),
            }
        )
        tier_value = tier or "regular"
        if tier_value not in TIERS:
            problems["tier"] = "must be one of: " + ", ".join(TIERS)
        if not problems and values["id_number"]:
            if self._taken(owner, Owner, Owner.id_number == values["id_number"]):
                problems["id_number"] = "another owner has this ID number"
        elif not problems:
            same = self.find_owner(id_number=None, phone=values["phone"], name=values["name"])
            if same is not None and same is not owner:
                problems["phone"] = "another owner has this name and phone"
        if problems:
            raise InvalidData("the owner's details have errors", problems)
        if owner is None:
            owner = Owner(name="", phone="", created_at=self.clock.now())
            self.session.add(owner)
        owner.name = values["name"]
        owner.phone = values["phone"]
        owner.id_number = values["id_number"]
        owner.email = values["email"]
        owner.tier = tier_value
        owner.name_initials, owner.name_pinyin = name_keys(owner.name)
        self.session.flush()
        return owner

    def current_owners(self, unit: Unit) -> list[Ownership]:
        """The unit's owners now, the contact owner first."""
        return list(
            self.session.scalars(
                select(Ownership)
                .where(Ownership.unit_id == unit.id, Ownership.ended_on.is_(None))
                .order_by(Ownership.is_contact.desc(), Ownership.owner_id)
            )
        )

    def current_contract(self, unit: Unit) -> Contract | None:
        """The unit's latest contract that is not cancelled."""
        return self.session.scalar(
            select(Contract)
            .where(Contract.unit_id == unit.id, Contract.status != "cancelled")
            .order_by(Contract.signed_on.desc(), Contract.id.desc())
            .limit(1)
        )

    def add_owner_to_unit(
        self, owner: Owner, unit: Unit, *, contact: bool = False, started_on: date | None = None
    ) -> Ownership:
        """The owner owns (or co-owns) the unit from now, under its current contract. The first owner of a
        unit is its contact owner; `contact` makes this one the contact owner instead of the one before."""
        contract = self.current_contract(unit)
        ownership = self.session.get(Ownership, (owner.id, unit.id))
        if ownership is None:
            ownership = Ownership(owner_id=owner.id, unit_id=unit.id, is_contact=False)
            self.session.add(ownership)
        elif ownership.ended_on is None:
            if contact:
                self.set_contact(unit, owner)
            return ownership
        ownership.ended_on = None
        ownership.contract_id = contract.id if contract is not None else None
        ownership.started_on = started_on or (contract.signed_on if contract is not None else self.today())
        self.session.flush()
        others = [o for o in self.current_owners(unit) if o.owner_id != owner.id]
        if contact or not any(o.is_contact for o in others):
            self.set_contact(unit, owner)
        return ownership

    def set_contact(self, unit: Unit, owner: Owner) -> None:
        """`owner`, a current owner of the unit, becomes its one contact owner."""
        ownership = self.session.get(Ownership, (owner.id, unit.id))
        if ownership is None or ownership.ended_on is not None:
            raise InvalidData("not an owner of the unit", {"owner_id": "not a current owner of this unit"})
        self.session.execute(
            update(Ownership)
            .where(Ownership.unit_id == unit.id, Ownership.owner_id != owner.id)
            .values(is_contact=False)
        )
        ownership.is_contact = True
        self.session.flush()

    def end_ownership(self, owner: Owner, unit: Unit, ended_on: date | None = None) -> None:
        """The owner no longer owns the unit (their requests and history stay theirs). When they were the
        contact owner, the co-owner listed first takes over."""
        ownership = self.session.get(Ownership, (owner.id, unit.id))
        if ownership is None or ownership.ended_on is not None:
            raise InvalidData("not an owner of the unit", {"owner_id": "not a current owner of this unit"})
        ownership.ended_on = ended_on or self.today()
        was_contact, ownership.is_contact = ownership.is_contact, False
        self.session.flush()
        if was_contact:
            remaining = self.current_owners(unit)
            if remaining:
                self.set_contact(unit, remaining[0].owner)

    # -- contracts ------------------------------------------------------------------------------------

    def record_contract(
        self,
        contract: Contract | None,
        *,
        unit: Unit,
        number: Any,
        signed_on: date | None,
        planned_handover_on: date | None = None,
        handed_over_on: date | None = None,
        cancelled_on: date | None = None,
    ) -> Contract:
        """Record a new contract (contract None) or change one. A new contract that becomes the unit's
        current one ends the ownerships of the contract before it (the unit changed hands); owners recorded
        without a contract come under it. Cancelling the current contract ends its ownerships."""
        problems = contract_problems(signed_on, planned_handover_on, handed_over_on, cancelled_on)
        try:
            number_text = _text(number, "number", 50) or ""
        except InvalidData as invalid:
            problems.update(invalid.fields)
            number_text = ""
        if number_text:
            if self._taken(contract, Contract, Contract.number == number_text):
                problems["number"] = "another contract has this number"
        if problems:
            raise InvalidData("the contract has errors", problems)
        assert signed_on is not None
        before = self.current_contract(unit)
        if contract is None:
            contract = Contract(
                unit_id=unit.id, number=number_text, signed_on=signed_on, created_at=self.clock.now()
            )
            self.session.add(contract)
        was_cancelled = contract.status == "cancelled"
        contract.unit_id = unit.id
        contract.number = number_text
        contract.signed_on = signed_on
        contract.planned_handover_on = planned_handover_on
        contract.handed_over_on = handed_over_on
        contract.cancelled_on = cancelled_on
        contract.status = contract_status(handed_over_on, cancelled_on)
        self.session.flush()
        current = self.current_contract(unit)
        if contract.status == "cancelled" and not was_cancelled:
            self._end_under(contract, cancelled_on)
        if current is contract and before is not None and before is not contract:
            self._end_under(before, signed_on)
        if current is not None:
            # Owners recorded before any contract come under the current one.
            self.session.execute(
                update(Ownership)
                .where(
                    Ownership.unit_id == unit.id,
                    Ownership.ended_on.is_(None),
                    Ownership.contract_id.is_(None),
                )
                .values(contract_id=current.id)
            )
        self.session.flush()
        return contract

    def _end_under(self, contract: Contract, on: date | None) -> None:
        for ownership in self.session.scalars(
            select(Ownership).where(Ownership.contract_id == contract.id, Ownership.ended_on.is_(None))
        ):
            ownership.ended_on = on or self.today()
            ownership.is_contact = False
        self.session.flush()

    def transfer(
        self,
        unit: Unit,
        *,
        number: Any,
        signed_on: date | None,
        owners: Sequence[Owner],
        contact: Owner | None = None,
        planned_handover_on: date | None = None,
        handed_over_on: date | None = None,
    ) -> Contract:
        """The unit changes hands (转让/换签): a new contract with its owners; the earlier owners' ownerships
        end on the signing date, their requests and history stay theirs."""
        if not owners:
            raise InvalidData("a transfer needs its new owners", {"owners": "required"})
        contract = self.record_contract(
            None,
            unit=unit,
            number=number,
            signed_on=signed_on,
            planned_handover_on=planned_handover_on,
            handed_over_on=handed_over_on,
        )
        if self.current_contract(unit) is not contract:
            raise InvalidData(
                "an earlier contract cannot be a transfer",
                {"signed_on": "must not be before the current contract's signing date"},
            )
        for owner in owners:
            self.add_owner_to_unit(owner, unit, started_on=signed_on)
        self.set_contact(unit, contact or owners[0])
        return contract

    # -- contractors and callers ----------------------------------------------------------------------

    def save_contractor(
        self,
        contractor: Contractor | None,
        *,
        name: Any,
        contact_name: Any = None,
        phone: Any = None,
        trades: Sequence[Any] = (),
        active: bool = True,
    ) -> Contractor:
        values, problems = _checked(
            {
                "name": lambda: _text(name, "name", 200),
                "contact_name": lambda: _text(contact_name, "contact_name", 100, required=False),
                "phone": lambda: normalise_phone(phone) if isinstance(phone, str) and phone.strip() else None,
                "trades": lambda: _names(trades, "trades", MAX_TRADES, 30),
            }
        )
        if "name" in values:
            if self._taken(contractor, Contractor, Contractor.name == values["name"]):
                problems["name"] = "another contractor has this name"
        if problems:
            raise InvalidData("the contractor has errors", problems)
        if contractor is None:
            contractor = Contractor(name=values["name"], trades=[])
            self.session.add(contractor)
        contractor.name = values["name"]
        contractor.contact_name = values["contact_name"]
        contractor.phone = values["phone"]
        contractor.trades = values["trades"]
        contractor.active = active
        self.session.flush()
        # Its people work in the company's own department: engineering's assignments land there.
        ensure_department(self.session, contractor)
        return contractor

    def set_contractor_active(self, contractor: Contractor, active: bool) -> None:
        """A contractor the centre no longer works with is deactivated (kept for the records that name it)."""
        contractor.active = active
        self.session.flush()

    def register_caller(
        self, unit: Unit | None, *, name: Any, phone: Any, relation: Any, by: str | None
    ) -> Caller:
        """Someone calling about a unit they do not own; the same person (phone, unit) is found again."""
        values, problems = _checked(
            {"name": lambda: _text(name, "name", 100), "phone": lambda: normalise_phone(phone)}
        )
        if relation not in CALLER_RELATIONS:
            problems["relation"] = "must be one of: " + ", ".join(CALLER_RELATIONS)
        if problems:
            raise InvalidData("the caller's details have errors", problems)
        unit_id = unit.id if unit is not None else None
        caller = self.session.scalar(
            select(Caller).where(Caller.phone == values["phone"], Caller.unit_id == unit_id).limit(1)
        )
        if caller is None:
            caller = Caller(unit=unit, phone=values["phone"], created_at=self.clock.now(), created_by=by)
            self.session.add(caller)
        caller.name = values["name"]
        caller.relation = relation
        self.session.flush()
        return caller


def _email(value: Any) -> str | None:
    text = _text(value, "email", 200, required=False)
    if text is not None and ("@" not in text or text.startswith("@") or text.endswith("@") or " " in text):
        raise InvalidData("not an email address", {"email": "not an email address"})
    return text
