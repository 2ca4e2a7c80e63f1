"""Complaints (投诉): registration from every channel, and the record kept in step with its workflow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import CALLER_RELATIONS, Caller, Owner, Unit
from crm.estate.people import normalise_phone
from crm.estate.search import resolve_unit
from crm.estate.services import Records
from crm.models import Complaint
from crm.numbering import next_number
from crm.records import stage_update
from crm.validation import COORDINATOR_DEPARTMENT, FormValidator
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from engine.events import (
    EventBus,
    InstanceCancelled,
    InstanceCompleted,
    InstanceFailed,
    TaskCompleted,
    TaskCreated,
)
from engine.models import ProcessInstance
from engine.runtime import Runtime
from engine.tasks import TaskService
from lintel.clock import SHANGHAI, Clock

PROCESS_KEY = "complaint"
INTAKE_FORM = "complaint_intake"
TRIAGE_FORM = "complaint_triage"
TRIAGE_STEP = "triage"
# What a complaint is registered with: the intake form's fields and who it is about.
NEW_OWNER = "new_owner"
CALLER = "caller"
REGISTRATION_FIELDS = ("channel", "description", "category", "owner_id", "owner_phone", "unit_id")


class ComplaintService:
    def __init__(
        self, session: Session, runtime: Runtime, validator: FormValidator, clock: Clock, tasks: TaskService
    ) -> None:
        self.session = session
        self.runtime = runtime
        self.validator = validator
        self.clock = clock
        self.tasks = tasks
        self.records = Records(session, clock)

    def register(
        self,
        actor: Actor,
        *,
        channel: Any,
        description: Any,
        owner_id: Any = None,
        owner_phone: Any = None,
        unit_id: Any = None,
        category: Any = None,
        triage: Mapping[str, Any] | None = None,
        new_owner: Mapping[str, Any] | None = None,
        caller: Mapping[str, Any] | None = None,
    ) -> Complaint:
        """Register a complaint; with `triage` (the triage form's values) the coordinator who has what they
        need triages it in the same go, and nothing is registered when either part has errors.

        Who it is about: an owner on file (`owner_id`, or their `owner_phone`); a caller not on file who is
        an owner, created on the spot with their unit (`new_owner`: name, phone, unit_id or the unit as
        written); or a caller who is not an owner (`caller`: name, phone, relation, the unit), recorded with
        the unit — the complaint is then about the unit's contact owner, or about no owner when it has none.
        """
        problems: dict[str, str] = {}
        intake: dict[str, Any] = {}
        try:
            intake = self.validator.validate(
                INTAKE_FORM, {"channel": channel, "description": description, "category": category}
            )
        except InvalidData as invalid:
            problems.update(invalid.fields)
        if triage is not None:
            triage = {"category": category, **triage}
            try:
                self.validator.validate(TRIAGE_FORM, triage)
            except InvalidData as invalid:
                problems = {**invalid.fields, **problems}
        if new_owner is not None and caller is not None:
            problems["caller"] = "give either a new owner or a caller, not both"
        about: Unit | None = None
        try:
            # Checked before anything is written: a bad phone leaves no half-registered caller behind.
            if new_owner is not None:
                about = self._check_person(NEW_OWNER, new_owner, problems)
            elif caller is not None:
                about = self._check_person(CALLER, caller, problems)
        except InvalidData as invalid:
            problems.update(invalid.fields)
        if problems:
            raise InvalidData("the form has errors", problems)
        recorded: Caller | None = None
        owner: Owner | None
        if new_owner is not None and about is not None:
            owner, unit = self._create_owner(new_owner, about)
        elif caller is not None and about is not None:
            recorded = self.records.register_caller(
                about,
                name=caller.get("name"),
                phone=caller.get("phone"),
                relation=caller.get("relation"),
                by=actor.username,
            )
            unit = about
            contact = next((o for o in self.records.current_owners(about) if o.is_contact), None)
            owner = contact.owner if contact is not None else None
        else:
            owner = self._owner(owner_id, owner_phone)
            unit = self._unit(owner, unit_id)
        now = self.clock.now()
        # The diagram's numberPrefix (TS): a complaint started without registration is numbered alike.
        prefix = self.runtime.properties(PROCESS_KEY).number_prefix
        complaint = Complaint(
            number=next_number(self.session, prefix, now.astimezone(SHANGHAI).year),
            channel=intake["channel"],
            owner=owner,
            unit=unit,
            caller=recorded,
            category=intake["category"],
            description=intake["description"],
            status="registered",
            created_at=now,
            created_by=actor.username,
        )
        self.session.add(complaint)
        self.session.flush()
        data = {
            "complaint_id": complaint.id,
            "number": complaint.number,
            "channel": complaint.channel,
            "owner_id": owner.id if owner else None,
            # A complaint about no owner (a tenant's, for a unit without owners on file) runs as a
            # regular owner's would.
            "owner_tier": owner.tier if owner else "regular",
            "unit_id": unit.id if unit else None,
            "caller_id": recorded.id if recorded else None,
            "category": complaint.category,
            "description": complaint.description,
            # First-contact ownership (首问负责): whoever takes the case in follows it to the end, unless
            # triage hands the follow-up to another coordinator of the centre (`follow_up`).
            "coordinator": actor.username if actor.member_of(COORDINATOR_DEPARTMENT) else None,
        }
        instance = self.runtime.start(PROCESS_KEY, data, actor, business_key=complaint.number)
        complaint.instance_id = instance.id
        self.session.flush()
        if triage is not None:
            step = next(
                (t for t in self.tasks.open_tasks_of(instance.id) if t.element_id == TRIAGE_STEP), None
            )
            if step is None:
                raise Conflict("this complaint's workflow has no triage step to complete")
            self.tasks.complete(step.id, triage, actor)
        return complaint

    def start(self, data: Mapping[str, Any], actor: Actor) -> int:
        """The complaint started as any process is (`POST /process-definitions/complaint/instances`): the same
        registration, from the intake fields and the owner; returns the instance id."""
        unknown = {str(k): "unknown field" for k in data if k not in REGISTRATION_FIELDS}
        if unknown:
            raise InvalidData("the form has errors", unknown)
        complaint = self.register(actor, **{k: data.get(k) for k in REGISTRATION_FIELDS})
        assert complaint.instance_id is not None
        return complaint.instance_id

    def _check_person(self, prefix: str, person: Mapping[str, Any], problems: dict[str, str]) -> Unit:
        """The unit of a caller not on file, their name and phone checked: problems by `prefix.field`."""
        for field, check in (
            ("name", lambda: _required_text(person.get("name"), 100)),
            ("phone", lambda: normalise_phone(person.get("phone"))),
        ):
            try:
                check()
            except InvalidData as invalid:
                problems[f"{prefix}.{field}"] = next(iter(invalid.fields.values()))
        if prefix == CALLER and person.get("relation") not in CALLER_RELATIONS:
            problems[f"{prefix}.relation"] = "must be one of: " + ", ".join(CALLER_RELATIONS)
        return resolve_unit(self.session, person.get("unit_id"), person.get("unit"), field=f"{prefix}.unit")

    def _create_owner(self, details: Mapping[str, Any], unit: Unit) -> tuple[Owner, Unit]:
        """The caller becomes an owner of the unit: the owner on file with this name and phone if there
        is one (a second call is not a second owner), else a new one — through the records' own rules."""
        name = str(details.get("name")).strip()
        phone = normalise_phone(details.get("phone"))
        owner = self.records.find_owner(id_number=None, phone=phone, name=name)
        if owner is None:
            owner = self.records.save_owner(None, name=name, phone=phone)
        self.records.add_owner_to_unit(owner, unit)
        return owner, unit

    def _owner(self, owner_id: Any, owner_phone: Any) -> Owner:
        if owner_id not in (None, ""):
            wanted = _int(owner_id, "owner_id")
            owner = self.session.get(Owner, wanted) if 0 < wanted <= MAX_BIG_ID else None
            if owner is None:
                raise InvalidData("unknown owner", {"owner_id": "no owner with this id"})
            return owner
        if isinstance(owner_phone, str) and owner_phone.strip():
            try:
                phone = normalise_phone(owner_phone)  # as the records keep it, however it was typed
            except InvalidData:
                phone = owner_phone.strip()
            owners = list(self.session.scalars(select(Owner).where(Owner.phone == phone).limit(2)))
            if len(owners) == 1:
                return owners[0]
            message = (
                "no owner with this phone" if not owners else "several owners share this phone: give owner_id"
            )
            raise InvalidData("unknown owner", {"owner_phone": message})
        raise InvalidData("the owner is required", {"owner_phone": "give owner_phone or owner_id"})

    def _unit(self, owner: Owner, unit_id: Any) -> Unit | None:
        if unit_id in (None, ""):
            return owner.units[0] if len(owner.units) == 1 else None
        wanted = _int(unit_id, "unit_id")
        unit = self.session.get(Unit, wanted) if 0 < wanted <= MAX_UNIT_ID else None
        if unit is None:
            raise InvalidData("unknown unit", {"unit_id": "no unit with this id"})
        return unit

    def get(self, complaint_id: int) -> Complaint:
        complaint = self.session.get(Complaint, complaint_id)
        if complaint is None:
            raise NotFound(f"complaint {complaint_id} does not exist")
        return complaint

    def by_number(self, number: str) -> Complaint | None:
        return self.session.scalars(select(Complaint).where(Complaint.number == number)).first()


# The largest id each table can hold: a larger one is simply unknown (PostgreSQL would refuse the query).
MAX_BIG_ID = 2**63 - 1
MAX_UNIT_ID = 2**31 - 1


def _required_text(value: Any, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidData("required", {"name": "required"})
    if len(text) > limit:
        raise InvalidData("too long", {"name": f"must be at most {limit} characters"})
    return text


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidData("invalid id", {field: "must be an integer"})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidData("invalid id", {field: "must be an integer"}) from None


# -- the complaint's part of its request index row (crm.requests_index) ---------------------------------

INDEX_TITLE_LENGTH = 60  # a complaint's title is the start of its description


def index_details(
    session: Session, instance: ProcessInstance, data: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The registered complaint's record, owner, unit and category; None for a complaint process started
    without registration (the generic values stand)."""
    complaint = session.get(Complaint, data["complaint_id"]) if data.get("complaint_id") else None
    if complaint is None:
        return None
    owner, unit, caller = complaint.owner, complaint.unit, complaint.caller
    line = " ".join(complaint.description.split())
    if len(line) > INDEX_TITLE_LENGTH:
        line = line[: INDEX_TITLE_LENGTH - 1] + "…"
    return {
        "record_id": complaint.id,
        "number": complaint.number,
        "title": line,
        "owner_id": owner.id if owner else None,
        "owner_name": owner.name if owner else None,
        # The phone the portal lets follow the request: the owner's, else the caller's who registered it.
        "owner_phone": _digits(owner.phone if owner else caller.phone if caller else None),
        "unit_id": unit.id if unit else None,
        "unit_label": unit.label if unit else None,
        "project": unit.building.project.code if unit else None,
        "category": complaint.category,
    }


def _digits(phone: str | None) -> str | None:
    return re.sub(r"\D", "", phone) if phone else None  # as the portal compares it


# -- keeping the complaint record in step with its workflow ---------------------------------------------
# Staged UPDATEs by number: these run inside every transition, so they load nothing and write once.


def _update(session: Session, instance: ProcessInstance, **values: Any) -> None:
    if instance.process_key == PROCESS_KEY and instance.business_key:
        stage_update(session, Complaint.number, instance.business_key, **values)


def _on_task_created(session: Session, event: TaskCreated) -> None:
    if event.task.kind == "task":  # an escalation is about the current step, not a step of its own
        _update(session, event.instance, status=event.task.element_id)


def _on_task_completed(session: Session, event: TaskCompleted) -> None:
    data: Mapping[str, Any] = event.data
    values = {field: data[field] for field in ("category", "severity", "department") if data.get(field)}
    # The owner's answer (recorded with the reply in one call; "confirm" in diagrams drawn before that):
    # not satisfied sends it back for rework. The score is the request's one rating (crm.ratings).
    if event.task.element_id in ("reply", "confirm") and data.get("satisfied") == "no":
        values["rework_count"] = Complaint.rework_count + 1
    _update(session, event.instance, **values)


def _on_completed(session: Session, event: InstanceCompleted) -> None:
    _update(session, event.instance, status="closed", closed_at=event.instance.completed_at)


def _on_failed(session: Session, event: InstanceFailed) -> None:
    _update(session, event.instance, status="error")


def _on_cancelled(session: Session, event: InstanceCancelled) -> None:
    _update(session, event.instance, status="cancelled")


def subscribe(events: EventBus) -> None:
    events.subscribe(TaskCreated, _on_task_created)
    events.subscribe(TaskCompleted, _on_task_completed)
    events.subscribe(InstanceCompleted, _on_completed)
    events.subscribe(InstanceFailed, _on_failed)
    events.subscribe(InstanceCancelled, _on_cancelled)
