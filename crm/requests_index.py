"""The request index: one row per service request, kept in step with its workflow by engine events.

Every process instance is a request: when it starts it gets a number (`PREFIX-YEAR-NNNNNN`, the prefix from
its diagram, also kept as the instance's business key), a title (the diagram's title expression, else the
process name) and, when its start data names an `owner_id` or `unit_id`, who and what it is about. The inbox
joins the index to the engine's task rows to filter and search by number, owner, unit, project and category
without loading any request. A process whose records add more to its row (the complaint) says so in
`DETAILS`; the rest is generic.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from crm import complaints, ratings
from crm.estate.models import Building, Owner, Ownership, Project, Unit
from crm.models import RequestIndex, RequestRating
from crm.numbering import next_number, reserve_numbers
from crm.records import stage_update
from engine.bpmn_meta import default_prefix
from engine.bulk import insert_rows
from engine.errors import NotFound
from engine.events import (
    BusinessKeysWanted,
    EventBus,
    InstanceCancelled,
    InstanceCompleted,
    InstanceFailed,
    InstanceMigrated,
    InstanceRetried,
    InstanceStarted,
    TaskCompleted,
    TaskCreated,
)
from engine.models import HumanTask, ProcessInstance
from lintel.clock import SHANGHAI

TITLE_LENGTH = 200  # the column's
NUMBER_LENGTH = 30
CATEGORY_LENGTH = 30
MAX_ID = 2**31 - 1  # the smaller of the owner and unit ids' ranges that a lookup may be asked for

Details = Callable[[Session, ProcessInstance, Mapping[str, Any]], dict[str, Any] | None]

# What a process's own records add to its index row (they win over the generic values).
DETAILS: dict[str, Details] = {complaints.PROCESS_KEY: complaints.index_details}


def title_of(text: str, length: int = TITLE_LENGTH) -> str:
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"


def _about(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    """Owner and unit columns from the start data's `owner_id` and `unit_id`, when they name real ones."""
    values: dict[str, Any] = {}
    owner = session.get(Owner, data["owner_id"]) if is_record_id(data.get("owner_id")) else None
    unit = session.get(Unit, data["unit_id"]) if is_record_id(data.get("unit_id")) else None
    if owner is not None:
        values.update(
            owner_id=owner.id,
            owner_name=owner.name,
            owner_phone=re.sub(r"\D", "", owner.phone),  # as the portal compares it
        )
        if unit is None and len(owner.units) == 1:
            unit = owner.units[0]
    if unit is not None:
        values.update(unit_id=unit.id, unit_label=unit.label, project=unit.building.project.code)
    category = data.get("category")
    if isinstance(category, str) and category.strip():
        values["category"] = category.strip()[:CATEGORY_LENGTH]
    return values


def is_record_id(value: Any) -> bool:
    """Whether `value` can be the id of an owner or unit (a larger number is simply unknown)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


class RequestDirectory:
    """Reading the index: one request, its rating, its relatives (who may see it: crm.policy)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, instance_id: int) -> RequestIndex:
        found = self.session.get(RequestIndex, instance_id)
        if found is None:
            raise NotFound(f"request {instance_id} does not exist")
        return found

    def by_number(self, number: str) -> RequestIndex | None:
        return self.session.scalars(select(RequestIndex).where(RequestIndex.number == number)).first()

    def owner_tier(self, request: RequestIndex) -> str | None:
        """The owner's account tier (major, group, regular): major and group owners are flagged wherever
        their requests appear."""
        if request.owner_id is None:
            return None
        return self.session.scalar(select(Owner.tier).where(Owner.id == request.owner_id))

    def rating(self, instance_id: int) -> RequestRating | None:
        """The owner's one rating of the handling, given on the portal or recorded on the phone."""
        return ratings.of(self.session, instance_id)

    def projects(self) -> list[tuple[str, str]]:
        return [(p.code, p.name) for p in self.session.scalars(select(Project).order_by(Project.name))]

    def related(self, request: RequestIndex, limit: int = 10) -> list[RequestIndex]:
        """Other requests of the same owner or about the same unit, newest first."""
        conditions = []
        if request.owner_id is not None:
            conditions.append(RequestIndex.owner_id == request.owner_id)
        if request.unit_id is not None:
            conditions.append(RequestIndex.unit_id == request.unit_id)
        if not conditions:
            return []
        return list(
            self.session.scalars(
                select(RequestIndex)
                .where(or_(*conditions), RequestIndex.instance_id != request.instance_id)
                .order_by(RequestIndex.instance_id.desc())
                .limit(limit)
            )
        )


# -- keeping the index in step with the workflows ----------------------------------------------------
# Plain INSERTs and staged UPDATEs: they run inside every transition and load nothing they do not need.


def _set(session: Session, instance: ProcessInstance, **values: Any) -> None:
    stage_update(session, RequestIndex.instance_id, instance.id, **values)


def _on_started(session: Session, event: InstanceStarted) -> None:
    instance = event.instance
    number = instance.business_key
    if not number:
        prefix = event.number_prefix or default_prefix(instance.process_key)
        number = next_number(session, prefix, instance.started_at.astimezone(SHANGHAI).year)
        instance.business_key = number
    values: dict[str, Any] = {
        "number": number[:NUMBER_LENGTH],
        "title": title_of(event.title or instance.definition.name),
        **_about(session, event.data),
    }
    details = DETAILS.get(instance.process_key)
    if details is not None:
        values.update(details(session, instance, event.data) or {})
    # Written at once (not added to the session): the task events that follow update this row.
    session.execute(
        insert(RequestIndex).values(
            instance_id=instance.id,
            kind=instance.process_key,
            status="open",
            created_at=instance.started_at,
            **values,
        )
    )


def _number_many(session: Session, event: BusinessKeysWanted) -> None:
    """Many requests about to start together: their numbers reserved in one statement, stored with them."""
    prefix = event.number_prefix or default_prefix(event.process_key)
    event.keys = reserve_numbers(session, prefix, event.started_at.astimezone(SHANGHAI).year, event.count)


# The steps of requests indexed with their step already (a batch): their TaskCreated changes nothing.
_INDEXED_STEPS = "lintel.request_index_steps"


def _on_started_many(session: Session, events: list[InstanceStarted]) -> None:
    """Many requests started at once (engine.bulk): their numbers reserved per prefix and year in one
    statement, their owners and units read together, their rows written together."""
    if len(events) == 1:
        _on_started(session, events[0])
        return
    wanting: dict[tuple[str, int], list[ProcessInstance]] = defaultdict(list)
    for event in events:
        instance = event.instance
        if not instance.business_key:
            prefix = event.number_prefix or default_prefix(instance.process_key)
            wanting[(prefix, instance.started_at.astimezone(SHANGHAI).year)].append(instance)
    for (prefix, year), instances in wanting.items():
        for instance, number in zip(
            instances, reserve_numbers(session, prefix, year, len(instances)), strict=True
        ):
            instance.business_key = number
    about = _about_many(session, [event.data for event in events])
    # A batch's steps are written before it is told (engine.bulk): each row gets its step as it is written.
    steps: dict[int, tuple[int, str]] = {}
    indexed: set[str] = session.info.setdefault(_INDEXED_STEPS, set())
    for chunk in _chunked({event.instance.id for event in events}):
        for task_id, instance_id, name, guid in session.execute(
            select(HumanTask.id, HumanTask.instance_id, HumanTask.name, HumanTask.task_guid).where(
                HumanTask.instance_id.in_(chunk), HumanTask.state == "open", HumanTask.kind == "task"
            )
        ):
            indexed.add(guid)
            if instance_id not in steps or steps[instance_id][0] < task_id:
                steps[instance_id] = (task_id, name)
    rows: list[dict[str, Any]] = []
    for event, values in zip(events, about, strict=True):
        instance = event.instance
        values = {
            "number": (instance.business_key or "")[:NUMBER_LENGTH],
            "title": title_of(event.title or instance.definition.name),
            **values,
        }
        details = DETAILS.get(instance.process_key)
        if details is not None:
            values.update(details(session, instance, event.data) or {})
        rows.append(
            {
                **_EMPTY_ROW,
                "instance_id": instance.id,
                "kind": instance.process_key,
                "status": "open",
                "created_at": instance.started_at,
                "step": steps[instance.id][1] if instance.id in steps else None,
                **values,
            }
        )
    insert_rows(session, RequestIndex.__table__, rows)  # type: ignore[arg-type]


_CHUNK = 1000
# Every column a started request's row may be given (a batch's rows all name the same columns).
_EMPTY_ROW: dict[str, Any] = {
    "record_id": None,
    "owner_id": None,
    "owner_name": None,
    "owner_phone": None,
    "unit_id": None,
    "unit_label": None,
    "project": None,
    "category": None,
}


def _about_many(session: Session, datas: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`_about` for many start data at once: a few queries, whatever their number."""
    owner_ids = {d["owner_id"] for d in datas if is_record_id(d.get("owner_id"))}
    unit_ids = {d["unit_id"] for d in datas if is_record_id(d.get("unit_id"))}
    owners: dict[int, tuple[str, str]] = {}
    only_unit: dict[int, int] = {}
    for chunk in _chunked(owner_ids):
        owners.update(
            (i, (name, phone))
            for i, name, phone in session.execute(
                select(Owner.id, Owner.name, Owner.phone).where(Owner.id.in_(chunk))
            )
        )
        held: dict[int, list[int]] = defaultdict(list)
        for owner_id, unit_id in session.execute(
            select(Ownership.owner_id, Ownership.unit_id).where(
                Ownership.owner_id.in_(chunk), Ownership.ended_on.is_(None)
            )
        ):
            held[owner_id].append(unit_id)
        only_unit.update((o, units[0]) for o, units in held.items() if len(units) == 1)
    units: dict[int, tuple[str, str]] = {}
    for chunk in _chunked(unit_ids | set(only_unit.values())):
        units.update(
            (i, (f"{project_name} {building} {number}", code))
            for i, number, building, project_name, code in session.execute(
                select(Unit.id, Unit.number, Building.name, Project.name, Project.code)
                .join(Building, Unit.building_id == Building.id)
                .join(Project, Building.project_id == Project.id)
                .where(Unit.id.in_(chunk))
            )
        )
    found: list[dict[str, Any]] = []
    for data in datas:
        values: dict[str, Any] = {}
        owner_id = data.get("owner_id") if is_record_id(data.get("owner_id")) else None
        unit_id = data.get("unit_id") if is_record_id(data.get("unit_id")) else None
        if unit_id not in units:
            unit_id = None
        if owner_id in owners:
            name, phone = owners[owner_id]
            values.update(owner_id=owner_id, owner_name=name, owner_phone=re.sub(r"\D", "", phone))
            if unit_id is None:
                unit_id = only_unit.get(owner_id)
        if unit_id is not None and unit_id in units:
            label, code = units[unit_id]
            values.update(unit_id=unit_id, unit_label=label, project=code)
        category = data.get("category")
        if isinstance(category, str) and category.strip():
            values["category"] = category.strip()[:CATEGORY_LENGTH]
        found.append(values)
    return found


def _chunked(values: set[int], size: int = _CHUNK) -> list[list[int]]:
    ordered = sorted(values)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def _on_task_created_many(session: Session, events: list[TaskCreated]) -> None:
    """Many steps opened at once (engine.bulk): one UPDATE per step name, not one per request."""
    if len(events) == 1:
        _on_task_created(session, events[0])
        return
    by_step: dict[str, list[int]] = defaultdict(list)
    indexed: set[str] = session.info.get(_INDEXED_STEPS) or set()
    for event in events:
        if event.task.task_guid in indexed:
            indexed.discard(event.task.task_guid)  # written with its row
            continue
        if (getattr(event.task, "kind", None) or "task") == "task":
            by_step[event.task.name].append(event.instance.id)
    for step, instance_ids in by_step.items():
        for start in range(0, len(instance_ids), _CHUNK):
            session.execute(
                update(RequestIndex.__table__)
                .where(RequestIndex.instance_id.in_(instance_ids[start : start + _CHUNK]))
                .values(step=step, status="open")
            )


def _on_task_created(session: Session, event: TaskCreated) -> None:
    if (getattr(event.task, "kind", None) or "task") != "task":
        return  # an escalation is about a step, not a step of its own
    _set(session, event.instance, step=event.task.name, status="open")


# The form field that holds the reply written for the owner; nothing else a step records reaches the portal.
OWNER_REPLY_FIELD = "reply"


def _on_task_completed(session: Session, event: TaskCompleted) -> None:
    values: dict[str, Any] = {}
    category = event.data.get("category")
    if isinstance(category, str) and category:
        values["category"] = category
    reply = event.data.get(OWNER_REPLY_FIELD)
    if isinstance(reply, str) and reply.strip():
        values.update(owner_reply=reply.strip(), owner_reply_at=event.task.completed_at)
    _set(session, event.instance, **values)


def _on_completed(session: Session, event: InstanceCompleted) -> None:
    _set(session, event.instance, status="closed", step=None, closed_at=event.instance.completed_at)


def _on_failed(session: Session, event: InstanceFailed) -> None:
    _set(session, event.instance, status="error")


def _on_retried(session: Session, event: InstanceRetried) -> None:
    _set(session, event.instance, status="open")


def _on_migrated(session: Session, event: InstanceMigrated) -> None:
    """A step renamed by the new version shows under its new name."""
    if event.renamed:
        _set(session, event.instance, step=event.renamed[-1].name)


def _on_cancelled(session: Session, event: InstanceCancelled) -> None:
    _set(session, event.instance, status="cancelled", step=None)


def subscribe(events: EventBus) -> None:
    events.subscribe(BusinessKeysWanted, _number_many)
    events.subscribe_many(InstanceStarted, _on_started_many)
    events.subscribe_many(TaskCreated, _on_task_created_many)
    events.subscribe(TaskCompleted, _on_task_completed)
    events.subscribe(InstanceCompleted, _on_completed)
    events.subscribe(InstanceFailed, _on_failed)
    events.subscribe(InstanceRetried, _on_retried)
    events.subscribe(InstanceCancelled, _on_cancelled)
    events.subscribe(InstanceMigrated, _on_migrated)
