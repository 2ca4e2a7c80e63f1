"""The rectification loop as engineering, contractors and owners work it: engineering's defect list with
its bulk actions (assign many defects to one contractor, extend deadlines with a reason), a contractor's
own company's work, and the steps each defect waits at. Every action completes (or moves) the defect's
workflow step through the engine, so the inbox, the timeline and the Defect row stay one story."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Contractor, Project
from crm.handover.defects import DEFAULT_RECTIFY_DAYS
from crm.handover.models import DEFECT_STATUSES, OPEN_DEFECT_STATUSES, CatalogueItem, Defect
from crm.models import Attachment, Department
from crm.records import stage_update
from engine.actors import Actor
from engine.errors import Conflict, EngineError, Forbidden, InvalidData, NotFound
from engine.models import AuditEvent, HumanTask
from engine.tasks import TaskService
from lintel.clock import Clock

BULK_LIMIT = 200
PAGE = 200
MAX_EXTEND_DAYS = 90
MAX_REASON = 500
MAX_ID = 2**31 - 1
# Photos by the form field they were sent with: before (capture), after (the rectifier's evidence), and
# the inspector's at re-verification.
AFTER_FIELD = "evidence"
VERIFY_FIELD = "verify_photos"


@dataclass(frozen=True)
class DefectFilter:
    project_id: int | None = None
    building_id: int | None = None
    status: str | None = None  # one of DEFECT_STATUSES, or "open"
    contractor_id: int | None = None
    overdue: bool = False

    @classmethod
    def parse(cls, args: Any) -> DefectFilter:
        """From query arguments; what does not parse is left out rather than refused (a list page)."""
        status = args.get("status") or None
        return cls(
            project_id=_int(args.get("project_id")),
            building_id=_int(args.get("building_id")),
            status=status if status in (*DEFECT_STATUSES, "open") else None,
            contractor_id=_int(args.get("contractor_id")),
            overdue=str(args.get("overdue") or "") in ("1", "true", "yes", "on"),
        )


@dataclass
class Outcome:
    """What a bulk action did: the defects it went through for, and those skipped with the reason."""

    done: list[Defect] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (defect number or id, reason)


@dataclass(frozen=True)
class Photos:
    before: list[Attachment]
    after: list[Attachment]
    verification: list[Attachment]


class Rectifications:
    def __init__(self, session: Session, tasks: TaskService, clock: Clock) -> None:
        self.session = session
        self.tasks = tasks
        self.clock = clock

    # -- reading ----------------------------------------------------------------------------------------

    def query(self, wanted: DefectFilter) -> Select[tuple[Defect]]:
        query = select(Defect)
        if wanted.project_id is not None:
            query = query.where(Defect.project_id == wanted.project_id)
        if wanted.building_id is not None:
            query = query.where(Defect.building_id == wanted.building_id)
        if wanted.status == "open":
            query = query.where(Defect.status.in_(OPEN_DEFECT_STATUSES))
        elif wanted.status is not None:
            query = query.where(Defect.status == wanted.status)
        if wanted.contractor_id is not None:
            query = query.where(Defect.contractor_id == wanted.contractor_id)
        if wanted.overdue:
            query = query.where(Defect.status == "rectifying", Defect.due_at < self.clock.now())
        return query

    def page(self, wanted: DefectFilter, limit: int = PAGE) -> tuple[list[Defect], int]:
        """The defects the filter selects, the earliest deadline first (none last), and how many in all."""
        query = self.query(wanted)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(Defect.due_at.is_(None), Defect.due_at, Defect.id).limit(limit)
        ).all()
        return list(rows), total

    def get(self, defect_id: int) -> Defect:
        found = self.session.get(Defect, defect_id) if 0 < defect_id <= 2**63 - 1 else None
        if found is None:
            raise NotFound(f"defect {defect_id} does not exist")
        return found

    def by_number(self, number: str) -> Defect:
        found = self.session.scalars(
            select(Defect).where(Defect.number == number.strip().upper()[:30])
        ).first()
        if found is None:
            raise NotFound(f"defect {number} does not exist")
        return found

    def open_step(self, defect: Defect) -> HumanTask | None:
        """The workflow step the defect waits at (assign, rectify, verify or confirm), if any."""
        if defect.instance_id is None:
            return None
        return self.session.scalars(
            select(HumanTask)
            .where(
                HumanTask.instance_id == defect.instance_id,
                HumanTask.state == "open",
                HumanTask.kind == "task",
            )
            .order_by(HumanTask.id.desc())
        ).first()

    def photos(self, defect: Defect) -> Photos:
        if defect.instance_id is None:
            return Photos([], [], [])
        found = self.session.scalars(
            select(Attachment).where(Attachment.instance_id == defect.instance_id).order_by(Attachment.id)
        ).all()
        images = [a for a in found if a.content_type.startswith("image/")]
        return Photos(
            before=[a for a in images if a.field not in (AFTER_FIELD, VERIFY_FIELD)],
            after=[a for a in images if a.field == AFTER_FIELD],
            verification=[a for a in images if a.field == VERIFY_FIELD],
        )

    def history(self, defects: Sequence[Defect]) -> dict[int, list[dict[str, Any]]]:
        """Per defect (by id), its rounds as the timeline holds them: each completed rectify, verify and
        confirm step with who, when and what they said, oldest first."""
        by_instance = {d.instance_id: d.id for d in defects if d.instance_id is not None}
        out: dict[int, list[dict[str, Any]]] = {d.id: [] for d in defects}
        if not by_instance:
            return out
        events = self.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.instance_id.in_(sorted(by_instance)),
                AuditEvent.kind.in_(("task.completed", "task.deadline_moved")),
                AuditEvent.element_id.in_(("assign", "rectify", "verify", "confirm")),
            )
            .order_by(AuditEvent.id)
        )
        # The timeline keeps what each completion changed; a round that repeats the last one's answer (a
        # second failure) changes nothing, so each entry also carries the values as they then stood.
        known: dict[int, dict[str, Any]] = {}
        for event in events:
            defect_id = by_instance[event.instance_id]
            data = event.data or {}
            values = known.setdefault(defect_id, {})
            if event.kind == "task.completed":
                values.update(data)
            out[defect_id].append(
                {
                    "step": event.element_id,
                    "kind": event.kind,
                    "at": event.at,
                    "actor": event.actor,
                    "data": data,
                    "values": dict(values),
                }
            )
        return out

    def last_failure(self, history: Iterable[dict[str, Any]]) -> str | None:
        """The inspector's note when the last re-verification failed (or the owner's, not confirming)."""
        note = None
        for entry in history:
            values = entry["values"]
            if entry["kind"] != "task.completed":
                continue
            if entry["step"] == "verify":
                note = values.get("verify_note") if values.get("verified") == "fail" else None
            elif entry["step"] == "confirm":
                note = values.get("confirm_note") if values.get("confirmed") == "no" else None
        return note

    # -- engineering's bulk actions --------------------------------------------------------------------

    def assign(
        self,
        actor: Actor,
        defect_ids: Iterable[int],
        *,
        contractor_id: Any = None,
        rectifier: Any = None,
        rectify_days: Any = None,
        note: Any = None,
    ) -> Outcome:
        """Give each defect waiting to be assigned to the contractor (and/or engineer), completing its
        assign step; the days default to each defect's catalogue item. A defect that cannot be assigned
        (another step, not found) is skipped with the reason and the others still go through."""
        ids = self._ids(defect_ids)
        problems: dict[str, str] = {}
        contractor = None
        if contractor_id not in (None, ""):
            contractor = self.session.get(Contractor, _int(contractor_id) or 0)
            if contractor is None or not contractor.active:
                problems["contractor_id"] = "not found"
        if contractor is None and rectifier in (None, "") and "contractor_id" not in problems:
            problems["contractor_id"] = "fill in at least one of these"
            problems["rectifier"] = "fill in at least one of these"
        days = None
        if rectify_days not in (None, ""):
            days = _int(rectify_days)
            if days is None or not 1 <= days <= 365:
                problems["rectify_days"] = "must be a whole number of days from 1 to 365"
        if note is not None and (not isinstance(note, str) or len(note) > MAX_REASON):
            problems["note"] = f"must be text of at most {MAX_REASON} characters"
        if problems:
            raise InvalidData("the assignment has errors", problems)
        outcome = Outcome()
        for defect_id in ids:
            defect = self.session.get(Defect, defect_id)
            step = self.open_step(defect) if defect is not None else None
            values = {
                "contractor": str(contractor.id) if contractor is not None else None,
                "rectifier": rectifier or None,
                "rectify_days": days or (self._catalogue_days(defect) if defect else DEFAULT_RECTIFY_DAYS),
                "assign_note": note or None,
            }
            self._step(
                outcome,
                defect,
                defect_id,
                step,
                "assign",
                lambda s, v=values: self.tasks.complete(s.id, v, actor),
            )
        return outcome

    def extend(self, actor: Actor, defect_ids: Iterable[int], *, days: Any, reason: Any) -> Outcome:
        """Give each defect being rectified `days` more, with the reason on its timeline: the rectify
        step's timers (reminder, deadline, escalations) move together and the defect's deadline with them."""
        ids = self._ids(defect_ids)
        problems: dict[str, str] = {}
        extra = _int(days)
        if extra is None or not 1 <= extra <= MAX_EXTEND_DAYS:
            problems["days"] = f"must be a whole number of days from 1 to {MAX_EXTEND_DAYS}"
        text = reason.strip() if isinstance(reason, str) else ""
        if not text:
            problems["reason"] = "a reason is required"
        elif len(text) > MAX_REASON:
            problems["reason"] = f"must be text of at most {MAX_REASON} characters"
        if problems:
            raise InvalidData("the extension has errors", problems)
        assert extra is not None
        outcome = Outcome()

        def move(step: HumanTask) -> HumanTask:
            assert step.due_at is not None
            row = self.tasks.move_deadline(step.id, step.due_at + timedelta(days=extra), actor, text)
            stage_update(self.session, Defect.instance_id, row.instance_id, due_at=row.due_at)
            return row

        for defect_id in ids:
            defect = self.session.get(Defect, defect_id)
            step = self.open_step(defect) if defect is not None else None
            if step is not None and step.element_id == "rectify" and step.due_at is None:
                outcome.skipped.append((defect.number or str(defect_id), "the step has no deadline"))  # type: ignore[union-attr]
                continue
            self._step(outcome, defect, defect_id, step, "rectify", move)
        return outcome

    def _step(
        self,
        outcome: Outcome,
        defect: Defect | None,
        defect_id: int,
        step: HumanTask | None,
        element: str,
        action: Any,
    ) -> None:
        if defect is None:
            outcome.skipped.append((str(defect_id), "not found"))
            return
        label = defect.number or str(defect.id)
        if step is None or step.element_id != element:
            outcome.skipped.append((label, f"it is {defect.status}"))
            return
        savepoint = self.session.begin_nested()  # one refused defect leaves the others' work standing
        try:
            action(step)
        except (EngineError, InvalidData) as refused:
            savepoint.rollback()
            outcome.skipped.append((label, _reason(refused)))
            return
        savepoint.commit()
        outcome.done.append(defect)

    def _catalogue_days(self, defect: Defect) -> int:
        if defect.catalogue_id is not None:
            item = self.session.get(CatalogueItem, defect.catalogue_id)
            if item is not None:
                return item.rectify_days
        return DEFAULT_RECTIFY_DAYS

    @staticmethod
    def _ids(values: Iterable[Any]) -> list[int]:
        ids = sorted({v for v in (_int(x) for x in values) if v is not None})
        if not ids:
            raise InvalidData("choose the defects", {"defect_ids": "choose at least one defect"})
        if len(ids) > BULK_LIMIT:
            raise InvalidData("too many defects", {"defect_ids": f"at most {BULK_LIMIT} at once"})
        return ids

    # -- a contractor's work ---------------------------------------------------------------------------

    def of_company(self, contractor_id: int) -> list[Defect]:
        """The company's open defects, the earliest deadline first (the overdue ones come first)."""
        return list(
            self.session.scalars(
                select(Defect)
                .where(Defect.contractor_id == contractor_id, Defect.status.in_(OPEN_DEFECT_STATUSES))
                .order_by(Defect.due_at.is_(None), Defect.due_at, Defect.id)
            )
        )

    def company_defect(self, contractor_id: int, defect_id: int) -> Defect:
        """One of the company's defects; another company's is answered as if it did not exist."""
        found = self.session.get(Defect, defect_id) if 0 < defect_id <= MAX_ID else None
        if found is None or found.contractor_id != contractor_id:
            raise NotFound(f"defect {defect_id} does not exist")
        return found

    # -- the owner's confirmation (销号) ---------------------------------------------------------------

    def of_unit(self, unit_id: int) -> list[Defect]:
        """A unit's defects, those waiting for the owner first, then open ones, then the closed."""
        rank = {"confirming": 0, "assigning": 1, "rectifying": 1, "verifying": 1, "closed": 2, "cancelled": 3}
        found = self.session.scalars(select(Defect).where(Defect.unit_id == unit_id).order_by(Defect.id))
        return sorted(found, key=lambda d: (rank.get(d.status, 4), d.id))

    def owner_answers(self, owner_id: int, defect: Defect, *, confirmed: bool, note: Any) -> HumanTask:
        """The owner confirms the defect fixed (销号), or says it is not, with a note: back to rectification.
        The centre's confirm step is completed in the owner's name ("owner:<id>")."""
        step = self.open_step(defect)
        if step is None or step.element_id != "confirm":
            raise Conflict(f"defect {defect.number} is not waiting for your confirmation")
        on_behalf = Actor(f"owner:{owner_id}", frozenset({step.department}))
        values = {"confirmed": "yes" if confirmed else "no", "confirm_note": note or None}
        return self.tasks.complete(step.id, values, on_behalf)

    def close(self, actor: Actor, defect: Defect, *, note: Any, evidence: list[str]) -> HumanTask:
        """The rectifier closes the defect with what was done and photos of it: its rectify step."""
        step = self.open_step(defect)
        if step is None or step.element_id != "rectify":
            raise Conflict(f"defect {defect.number} is not waiting for rectification (it is {defect.status})")
        return self.tasks.complete(step.id, {"rectification": note, "evidence": evidence}, actor)


def company_of(actor: Actor, session: Session) -> int | None:
    """The contractor company whose department the actor belongs to (a contractor's account has one)."""
    if not actor.departments:
        return None
    return session.scalars(
        select(Department.contractor_id)
        .where(Department.code.in_(sorted(actor.departments)), Department.contractor_id.is_not(None))
        .order_by(Department.code)
    ).first()


def defect_of(session: Session, instance_id: int) -> Defect | None:
    """The defect whose rectification this instance is."""
    return session.scalars(select(Defect).where(Defect.instance_id == instance_id)).first()


def filter_choices(session: Session) -> dict[str, list[tuple[int, str]]]:
    """Projects, buildings and contractors to filter engineering's list by."""
    return {
        "projects": [(p.id, p.name) for p in session.scalars(select(Project).order_by(Project.name))],
        "buildings": [
            (b.id, f"{b.project.name} {b.name}")
            for b in session.scalars(select(Building).order_by(Building.project_id, Building.name))
        ],
        "contractors": [
            (c.id, c.name)
            for c in session.scalars(
                select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
            )
        ],
    }


def _reason(refused: Exception) -> str:
    if isinstance(refused, InvalidData) and refused.fields:
        return "; ".join(f"{k}: {v}" for k, v in refused.fields.items())
    if isinstance(refused, Forbidden):
        return "only members of its department can act on it"
    return str(refused)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 11:
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return None


def due_in(now: datetime, due: datetime | None) -> float | None:
    """Hours until the deadline (negative: overdue by that many)."""
    return None if due is None else (due - now).total_seconds() / 3600
