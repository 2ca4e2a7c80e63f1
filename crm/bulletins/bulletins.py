"""The notices' records kept in step with their workflows, and how they are started.

- The monthly timer start event of `progress_notice` starts one instance per project under construction
  that has no progress notice for the month yet (TimerStartDue); a process owner or the centre may also start
  one by hand for a project (the month it is started in).
- A design change is started by the centre for chosen buildings or units of one project.
- Each instance's start writes its Bulletin; its steps move it: progress reported → drafting; drafted →
  approving; approved → sending (its recipients are written then, and `crm.bulletins.sending` queues their
  messages in the background); sent back → drafting again with the manager's comment.
- Before a step completes (the notice's page, the generic task page, the API alike), what it needs is checked:
  engineering's progress for every building with buyers waiting (and at least one building), a draft with a
  title, text and an SMS, an approver who may approve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, literal, select
from sqlalchemy.orm import Session

from crm.bulletins import audience
from crm.bulletins.drafting import SMS_MAX, prefill
from crm.bulletins.models import BuildingProgress, Bulletin, BulletinRecipient
from crm.estate.models import Building, Project, Unit
from crm.models import User
from crm.policy import Permission, holds
from engine.actors import Actor
from engine.errors import Conflict, InvalidData, NotFound
from engine.events import (
    EventBus,
    InstanceCancelled,
    InstanceStarted,
    TaskCompleted,
    TaskCompleting,
    TimerStartDue,
)
from engine.models import HumanTask
from engine.runtime import Runtime
from lintel.clock import SHANGHAI, Clock

PROGRESS_PROCESS = "progress_notice"
DESIGN_CHANGE_PROCESS = "design_change"
PROCESSES = {PROGRESS_PROCESS: "progress", DESIGN_CHANGE_PROCESS: "design_change"}
SUBMIT_STEP = "submit_progress"
DRAFT_STEP = "draft"
APPROVE_STEP = "approve"


def period_of(moment: datetime) -> str:
    """The month a moment falls in, in Shanghai: 2026-12."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def progress_title(project: Project, period: str) -> str:
    year, month = period.split("-")
    return f"{project.name}{year}年{int(month)}月楼盘进度通报"


def bulletin_of(session: Session, instance_id: int) -> Bulletin | None:
    return session.scalar(select(Bulletin).where(Bulletin.instance_id == instance_id))


def _has_progress_notice(session: Session, project_id: int, period: str) -> bool:
    found = session.scalar(
        select(Bulletin.id).where(
            Bulletin.kind == "progress", Bulletin.project_id == project_id, Bulletin.period == period
        )
    )
    return found is not None


def _progress_start(project: Project, period: str) -> dict[str, Any]:
    return {
        "project_id": project.id,
        "project_name": project.name,
        "period": period,
        "title": progress_title(project, period),
    }


def plan_monthly(session: Session, cycle_at: datetime) -> list[tuple[str | None, dict[str, Any]]]:
    """One start per project under construction without a progress notice for the cycle's month."""
    period = period_of(cycle_at)
    projects = session.scalars(
        select(Project).where(Project.id.in_(audience.under_construction())).order_by(Project.id)
    )
    return [
        (None, _progress_start(project, period))
        for project in projects
        if not _has_progress_notice(session, project.id, period)
    ]


def _int_list(value: Any, field: str, problems: dict[str, str]) -> list[int]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list | tuple) else str(value).replace("，", ",").split(",")
    found = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if isinstance(item, bool) or not text.isdigit():
            problems[field] = "give ids (whole numbers)"
            return []
        found.append(int(text))
    return found


class Bulletins:
    """Starting notices; the caller owns the transaction."""

    def __init__(self, session: Session, runtime: Runtime, clock: Clock) -> None:
        self.session = session
        self.runtime = runtime
        self.clock = clock

    def get(self, bulletin_id: int) -> Bulletin:
        bulletin = self.session.get(Bulletin, bulletin_id) if 0 < bulletin_id <= 2**31 - 1 else None
        if bulletin is None:
            raise NotFound(f"notice {bulletin_id} does not exist")
        return bulletin

    def page(
        self,
        *,
        kind: str | None = None,
        project_id: int | None = None,
        status: str | None = None,
        limit: int = 200,
    ) -> list[Bulletin]:
        """The notices, newest first, of a kind, a project, a status."""
        query = select(Bulletin)
        if kind:
            query = query.where(Bulletin.kind == kind)
        if project_id:
            query = query.where(Bulletin.project_id == project_id)
        if status:
            query = query.where(Bulletin.status == status)
        return list(
            self.session.scalars(query.order_by(Bulletin.created_at.desc(), Bulletin.id.desc()).limit(limit))
        )

    def open_step(self, bulletin: Bulletin) -> HumanTask | None:
        """The step the notice waits at (progress, draft or approval), if any."""
        return self.open_steps([bulletin]).get(bulletin.id)

    def open_steps(self, bulletins: Sequence[Bulletin]) -> dict[int, HumanTask]:
        """The step each notice waits at, by notice id, in one query (a notice at none is left out)."""
        by_instance = {b.instance_id: b.id for b in bulletins if b.instance_id is not None}
        if not by_instance:
            return {}
        found: dict[int, HumanTask] = {}
        for task in self.session.scalars(
            select(HumanTask)
            .where(
                HumanTask.instance_id.in_(list(by_instance)),
                HumanTask.state == "open",
                HumanTask.kind == "task",
            )
            .order_by(HumanTask.id.desc())
        ):
            found.setdefault(by_instance[task.instance_id], task)  # the newest open step of each
        return found

    def _project(self, value: Any) -> Project:
        project = (
            self.session.get(Project, value)
            if isinstance(value, int) and not isinstance(value, bool)
            else None
        )
        if project is None:
            raise InvalidData("the notice has errors", {"project_id": "no such project"})
        return project

    def start_progress(self, data: Mapping[str, Any], actor: Actor) -> int:
        """A progress notice started by hand for a project, for the current month; returns the instance id."""
        unknown = {str(k): "unknown field" for k in data if k != "project_id"}
        if unknown:
            raise InvalidData("the notice has errors", unknown)
        project = self._project(data.get("project_id"))
        period = period_of(self.clock.now())
        if _has_progress_notice(self.session, project.id, period):
            raise Conflict(f"{project.name} already has its progress notice for {period}")
        instance = self.runtime.start(
            PROGRESS_PROCESS, _progress_start(project, period), actor, fire_start_timers=True
        )
        return instance.id

    def start_design_change(self, data: Mapping[str, Any], actor: Actor) -> int:
        """A design-change notice to the owners of the chosen buildings and units of one project
        (`project_id`, `building_ids`, `unit_ids`, `title`); returns the instance id."""
        allowed = {"project_id", "building_ids", "unit_ids", "title"}
        problems = {str(k): "unknown field" for k in data if k not in allowed}
        project = self._project(data.get("project_id"))
        building_ids = _int_list(data.get("building_ids"), "building_ids", problems)
        unit_ids = _int_list(data.get("unit_ids"), "unit_ids", problems)
        if building_ids:
            found = set(
                self.session.scalars(
                    select(Building.id).where(
                        Building.id.in_(building_ids), Building.project_id == project.id
                    )
                )
            )
            if missing := [str(i) for i in building_ids if i not in found]:
                problems["building_ids"] = f"not buildings of {project.name}: {', '.join(missing)}"
        if unit_ids:
            found = set(
                self.session.scalars(
                    select(Unit.id)
                    .join(Building, Building.id == Unit.building_id)
                    .where(Unit.id.in_(unit_ids), Building.project_id == project.id)
                )
            )
            if missing := [str(i) for i in unit_ids if i not in found]:
                problems["unit_ids"] = f"not units of {project.name}: {', '.join(missing)}"
        if (
            not building_ids
            and not unit_ids
            and "building_ids" not in problems
            and "unit_ids" not in problems
        ):
            problems["building_ids"] = "choose the buildings or units whose owners are told"
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            problems["title"] = "required"
        elif len(title.strip()) > 200:
            problems["title"] = "must be at most 200 characters"
        if problems:
            raise InvalidData("the notice has errors", problems)
        assert isinstance(title, str)
        instance = self.runtime.start(
            DESIGN_CHANGE_PROCESS,
            {
                "project_id": project.id,
                "project_name": project.name,
                "building_ids": building_ids,
                "unit_ids": unit_ids,
                "title": title.strip(),
            },
            actor,
        )
        return instance.id


def recipients_of(bulletin: Bulletin) -> Select[tuple[int]]:
    """The owner ids the notice goes to (a query)."""
    if bulletin.kind == "progress":
        return audience.progress_owners(bulletin.project_id)
    chosen = bulletin.audience or {}
    return audience.design_change_owners(
        bulletin.project_id, chosen.get("building_ids", []), chosen.get("unit_ids", [])
    )


def _write_recipients(session: Session, bulletin: Bulletin) -> None:
    """Every owner the notice goes to, written once as it is approved (INSERT … SELECT)."""
    owners = recipients_of(bulletin).subquery()
    session.execute(
        insert(BulletinRecipient).from_select(
            ["bulletin_id", "owner_id"], select(literal(bulletin.id), owners.c.owner_id)
        )
    )
    bulletin.recipients_total = audience.count(session, recipients_of(bulletin))
    bulletin.recipients_queued = 0


def may_approve(session: Session, username: str) -> bool:
    roles = session.scalar(select(User.roles).where(User.username == username)) or ""
    return holds(frozenset(r for r in roles.split(",") if r), Permission.APPROVE_BULLETINS)


def draft_problems(bulletin: Bulletin) -> dict[str, str]:
    """What a draft still lacks before a manager may see it."""
    problems = {}
    if not bulletin.title.strip():
        problems["title"] = "the notice needs a title"
    if not bulletin.body.strip():
        problems["body"] = "the notice needs its text"
    if not bulletin.sms_text.strip():
        problems["sms_text"] = "the notice needs its SMS text"
    elif len(bulletin.sms_text) > SMS_MAX:
        problems["sms_text"] = f"the SMS text must be at most {SMS_MAX} characters"
    return problems


def subscribe(events: EventBus, clock: Clock) -> None:
    def planned(session: Session, event: TimerStartDue) -> None:
        if event.process_key == PROGRESS_PROCESS:
            event.planned = plan_monthly(session, event.cycle_at)

    def started(session: Session, event: InstanceStarted) -> None:
        kind = PROCESSES.get(event.instance.process_key)
        if kind is None:
            return
        data = event.data
        now = clock.now()
        bulletin = Bulletin(
            kind=kind,
            project_id=data["project_id"],
            period=data.get("period") if kind == "progress" else None,
            instance_id=event.instance.id,
            status="progress" if kind == "progress" else "drafting",
            title=str(data.get("title") or ""),
            audience=(
                {"building_ids": data.get("building_ids", []), "unit_ids": data.get("unit_ids", [])}
                if kind == "design_change"
                else None
            ),
            requires_ack=kind == "design_change",
            created_by=event.instance.started_by or "system",
            created_at=now,
            updated_at=now,
        )
        session.add(bulletin)
        session.flush()

    def completing(session: Session, event: TaskCompleting) -> None:
        if event.instance.process_key not in PROCESSES:
            return
        bulletin = bulletin_of(session, event.instance.id)
        if bulletin is None:
            raise Conflict("this request has no notice record")
        step = event.task.element_id
        if step == SUBMIT_STEP:
            reported = set(
                session.scalars(
                    select(BuildingProgress.building_id).where(BuildingProgress.bulletin_id == bulletin.id)
                )
            )
            if not reported:
                raise InvalidData(
                    "report at least one building's progress on the notice's page first",
                    {"progress": "no building's progress reported"},
                )
            # Every building whose buyers wait is in the notice they receive.
            waiting = session.execute(
                select(Building.id, Building.name)
                .where(Building.id.in_(audience.waiting_buildings(bulletin.project_id)))
                .order_by(Building.name, Building.id)
            )
            missing = [name for building_id, name in waiting if building_id not in reported]
            if missing:
                raise InvalidData(
                    "report the progress of every building whose buyers are waiting",
                    {"progress": f"not reported: {', '.join(missing)}"},
                )
        elif step == DRAFT_STEP:
            problems = draft_problems(bulletin)
            if problems:
                raise InvalidData("the draft is not complete", problems)
        elif step == APPROVE_STEP and not may_approve(session, event.actor):
            raise Conflict("only a supervisor or a department manager approves a notice")

    def completed(session: Session, event: TaskCompleted) -> None:
        if event.instance.process_key not in PROCESSES:
            return
        bulletin = bulletin_of(session, event.instance.id)
        if bulletin is None:
            return
        now = clock.now()
        step = event.task.element_id
        if step == SUBMIT_STEP:
            prefill(session, bulletin)
            bulletin.status = "drafting"
        elif step == DRAFT_STEP:
            bulletin.status = "approving"
        elif step == APPROVE_STEP:
            if event.data.get("decision") == "approve":
                bulletin.status = "sending"
                bulletin.approved_by = event.actor
                bulletin.approved_at = now
                _write_recipients(session, bulletin)
            else:
                bulletin.status = "drafting"
                bulletin.return_comment = str(event.data.get("approve_comment") or "").strip() or None
                bulletin.returned_by = event.actor
                bulletin.returned_at = now
        bulletin.updated_at = now
        session.flush()

    def cancelled(session: Session, event: InstanceCancelled) -> None:
        bulletin = bulletin_of(session, event.instance.id)
        if bulletin is not None and bulletin.status not in ("sending", "sent"):
            bulletin.status = "cancelled"
            session.flush()

    events.subscribe(TimerStartDue, planned)
    events.subscribe(InstanceStarted, started)
    events.subscribe(TaskCompleting, completing)
    events.subscribe(TaskCompleted, completed)
    events.subscribe(InstanceCancelled, cancelled)
