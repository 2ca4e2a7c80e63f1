"""Complaints (投诉): registration from every channel, and the record kept in step with its workflow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Owner, Unit
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
    ) -> Complaint:
        """Register a complaint; with `triage` (the triage form's values) the coordinator who has what they
        need triages it in the same go, and nothing is registered when either part has errors."""
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
        if problems:
            raise InvalidData("the form has errors", problems)
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
            "owner_id": owner.id,
            "owner_tier": owner.tier,
            "unit_id": unit.id if unit else None,
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

    def _owner(self, owner_id: Any, owner_phone: Any) -> Owner:
        if owner_id not in (None, ""):
            wanted = _int(owner_id, "owner_id")
            owner = self.session.get(Owner, wanted) if 0 < wanted <= MAX_BIG_ID else None
            if owner is None:
                raise InvalidData("unknown owner", {"owner_id": "no owner with this id"})
            return owner
        if isinstance(owner_phone, str) and owner_phone.strip():
            owners = list(
                self.session.scalars(select(Owner).where(Owner.phone == owner_phone.strip()).limit(2))
            )
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
    owner, unit = complaint.owner, complaint.unit
    line = " ".join(complaint.description.split())
    if len(line) > INDEX_TITLE_LENGTH:
        line = line[: INDEX_TITLE_LENGTH - 1] + "…"
    return {
        "record_id": complaint.id,
        "number": complaint.number,
        "title": line,
        "owner_id": owner.id,
        "owner_name": owner.name,
        "owner_phone": re.sub(r"\D", "", owner.phone),  # as the portal compares it
        "unit_id": unit.id if unit else None,
        "unit_label": unit.label if unit else None,
        "project": unit.building.project.code if unit else None,
        "category": complaint.category,
    }


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
