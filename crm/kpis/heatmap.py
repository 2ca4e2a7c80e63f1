"""The process heatmap: per step of a diagram (its BPMN element id), what waits there now and how the steps
completed there lately went — so a process owner sees where the diagram makes work pile up or run late.

- 等待中 (waiting) = the open inbox tasks at the step now (`human_tasks`, kind `task`, state `open`): read
  live, so the counts always equal the inbox; 其中超时 (overdue) = those whose due time has passed.
- Over the steps completed there in the last N Shanghai days, today included (`kpi_steps`, at most a minute
  behind the audit trail): how many, the average and the 90th percentile (nearest rank, as
  crm.kpis.figures: the smallest time at least nine tenths were within) of the time spent — creation to
  completion, in calendar and in working time — and 超时占比 = those that missed their deadline ÷ those that
  had one (crm.kpis.refresh decides what missed means).

One GROUP BY per source; `version` narrows both to the instances of one deployed version (each kept step
knows its request's version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import ceil
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from crm.kpis.figures import BadScope
from crm.kpis.models import KpiStep
from crm.models import RequestIndex
from crm.visits.satisfaction import Ratio
from engine.errors import NotFound
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from lintel.clock import SHANGHAI, Clock

DAYS_DEFAULT = 30
DAYS_LONGEST = 366
PERIODS = (7, 30, 90)  # the choices the page offers

LIVE = ("running", "error")  # an instance still going (an error is retried or cancelled)


@dataclass(frozen=True)
class Step:
    element_id: str
    name: str
    waiting: int = 0
    overdue: int = 0
    done: int = 0  # completed in the period
    with_deadline: int = 0  # of those, the ones that had a deadline
    late: int = 0  # of those, the ones that missed it
    spent_avg: int | None = None  # seconds
    spent_p90: int | None = None
    spent_work_avg: int | None = None
    spent_work_p90: int | None = None
    in_diagram: bool = True  # a step of the diagram drawn (all versions: the latest)

    @property
    def overdue_share(self) -> Ratio:
        return Ratio(self.overdue, self.waiting)

    @property
    def late_share(self) -> Ratio:
        return Ratio(self.late, self.with_deadline)


@dataclass(frozen=True)
class Heatmap:
    process_key: str
    version: int | None  # None: every version
    drawn: ProcessDefinition  # the version whose diagram the steps are drawn on
    days: int
    start: date
    end: date
    at: datetime  # "now" for 等待中 and 其中超时
    steps: list[Step] = field(default_factory=list)

    def step(self, element_id: str) -> Step | None:
        return next((s for s in self.steps if s.element_id == element_id), None)

    @property
    def waiting(self) -> int:
        return sum(s.waiting for s in self.steps)


@dataclass(frozen=True)
class Waiting:
    """One open task at a step, as the list behind a waiting count shows it."""

    task_id: int
    instance_id: int
    number: str | None
    title: str | None
    step: str
    department: str
    assignee: str | None
    since: datetime
    due_at: datetime | None
    overdue: bool


class Heatmaps:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def definition(self, key: str, version: int | None) -> ProcessDefinition:
        """The version asked for, or the latest; NotFound for an unknown process or version."""
        query = select(ProcessDefinition).where(ProcessDefinition.key == key)
        if version is not None:
            query = query.where(ProcessDefinition.version == version)
        found = self.session.scalars(query.order_by(ProcessDefinition.version.desc()).limit(1)).first()
        if found is None:
            if version is None:
                raise NotFound(f"no process '{key}' is deployed")
            raise NotFound(f"process '{key}' has no version {version}")
        return found

    def of(self, key: str, *, version: int | None = None, days: int = DAYS_DEFAULT) -> Heatmap:
        check_days(days)
        drawn = self.definition(key, version)
        now = self.clock.now()
        end = now.astimezone(SHANGHAI).date()
        start = end - timedelta(days=days - 1)
        definition_id = drawn.id if version is not None else None
        steps: dict[str, dict[str, Any]] = {}
        for element_id, meta in self._diagram_steps(drawn):
            steps[element_id] = {"name": meta.get("name") or element_id}

        def into(element_id: str, name: str) -> dict[str, Any]:
            return steps.setdefault(element_id, {"name": name or element_id, "in_diagram": False})

        for element_id, name, figures in self._done(key, definition_id, start, end):
            into(element_id, name).update(figures)
        unnamed: list[str] = []
        for row in self.session.execute(self._waiting_counts(key, definition_id, now)):
            if row.element_id not in steps:
                unnamed.append(row.element_id)
            found = into(row.element_id, "")
            found.update(waiting=int(row.waiting), overdue=int(row.overdue or 0))
        if unnamed:  # steps of an older version that none completed lately: their names from the inbox
            for element_id, name in self.session.execute(
                select(HumanTask.element_id, func.max(HumanTask.name))
                .where(*_open_tasks(key), HumanTask.element_id.in_(unnamed))
                .group_by(HumanTask.element_id)
            ):
                steps[element_id]["name"] = name
        return Heatmap(
            key,
            version,
            drawn,
            days,
            start,
            end,
            now,
            [Step(element_id, **values) for element_id, values in steps.items()],
        )

    def _diagram_steps(self, drawn: ProcessDefinition) -> list[tuple[str, dict[str, Any]]]:
        """The human steps of the diagram in the order its file lists them (the stored meta is a JSON
        object, whose key order PostgreSQL does not keep)."""
        tasks: dict[str, dict[str, Any]] = (drawn.meta or {}).get("tasks", {})
        xml = self.session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == drawn.id))

        def place(element_id: str) -> tuple[int, str]:
            at = (xml or "").find(f'id="{element_id}"')
            return (at if at >= 0 else len(xml or ""), element_id)

        return [(element_id, tasks[element_id]) for element_id in sorted(tasks, key=place)]

    def waiting(
        self,
        key: str,
        element_id: str,
        *,
        version: int | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[int, list[Waiting]]:
        """The open tasks at one step, longest waiting first, with how many there are."""
        drawn = self.definition(key, version)
        now = self.clock.now()
        conditions = [*_open_tasks(key), HumanTask.element_id == element_id]
        if version is not None:
            conditions.extend(_of_version(drawn.id))
        counted = select(func.count()).select_from(HumanTask)
        if version is not None:
            counted = counted.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        total = self.session.scalar(counted.where(*conditions)) or 0
        query = (
            select(HumanTask, RequestIndex.number, RequestIndex.title)
            .outerjoin(RequestIndex, RequestIndex.instance_id == HumanTask.instance_id)
            .where(*conditions)
            .order_by(HumanTask.created_at, HumanTask.id)
            .offset(offset)
            .limit(limit)
        )
        if version is not None:
            query = query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        rows = [
            Waiting(
                task.id,
                task.instance_id,
                number,
                title,
                task.name,
                task.department,
                task.assignee,
                task.created_at,
                task.due_at,
                task.due_at is not None and task.due_at < now,
            )
            for task, number, title in self.session.execute(query)
        ]
        return int(total), rows

    # -- the two sources ---------------------------------------------------------------------------------

    def _waiting_counts(self, key: str, definition_id: int | None, now: datetime) -> Select[Any]:
        overdue = case((HumanTask.due_at < now, 1), else_=0)
        # Only indexed columns (no name): an index-only scan of ix_human_tasks_process_open.
        query = select(
            HumanTask.element_id,
            func.count().label("waiting"),
            func.sum(overdue).label("overdue"),
        ).where(*_open_tasks(key))
        if definition_id is not None:
            query = query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
                *_of_version(definition_id)
            )
        return query.group_by(HumanTask.element_id)

    def _done(
        self, key: str, definition_id: int | None, start: date, end: date
    ) -> list[tuple[str, str, dict[str, Any]]]:
        conditions = [
            KpiStep.definition_id == definition_id
            if definition_id is not None
            else KpiStep.process_key == key,
            KpiStep.state == "completed",
            KpiStep.completed_day >= start,
            KpiStep.completed_day <= end,
        ]
        postgres = self.session.get_bind().dialect.name == "postgresql"
        columns: list[Any] = [
            KpiStep.element_id,
            func.max(KpiStep.name).label("name"),
            func.count().label("done"),
            func.sum(case((KpiStep.has_deadline, 1), else_=0)).label("with_deadline"),
            func.sum(case((KpiStep.late, 1), else_=0)).label("late"),
            func.avg(KpiStep.spent_s).label("spent_avg"),
            func.avg(KpiStep.spent_work_s).label("spent_work_avg"),
        ]
        if postgres:
            columns += [
                func.percentile_disc(0.9).within_group(KpiStep.spent_s.asc()).label("spent_p90"),
                func.percentile_disc(0.9).within_group(KpiStep.spent_work_s.asc()).label("spent_work_p90"),
            ]
        query = select(*columns).where(*conditions)
        found: list[tuple[str, str, dict[str, Any]]] = []
        rows = list(self.session.execute(query.group_by(KpiStep.element_id)))
        p90s = {} if postgres else self._p90_in_python(conditions)
        for row in rows:
            figures = {
                "done": int(row.done),
                "with_deadline": int(row.with_deadline or 0),
                "late": int(row.late or 0),
                "spent_avg": _whole(row.spent_avg),
                "spent_work_avg": _whole(row.spent_work_avg),
            }
            if postgres:
                figures["spent_p90"] = row.spent_p90
                figures["spent_work_p90"] = row.spent_work_p90
            else:
                figures.update(p90s.get(row.element_id, {}))
            found.append((row.element_id, row.name, figures))
        return found

    def _p90_in_python(self, conditions: Sequence[Any]) -> dict[str, dict[str, Any]]:
        """SQLite has no percentile: the times, in order, per step (the embedded database holds few)."""
        found: dict[str, dict[str, Any]] = {}
        for column, name in ((KpiStep.spent_s, "spent_p90"), (KpiStep.spent_work_s, "spent_work_p90")):
            query = select(KpiStep.element_id, column).where(*conditions, column.is_not(None))
            values: dict[str, list[int]] = {}
            for element_id, value in self.session.execute(query.order_by(KpiStep.element_id, column)):
                values.setdefault(element_id, []).append(value)
            for element_id, ordered in values.items():
                found.setdefault(element_id, {})[name] = nearest_rank(ordered, 0.9)
        return found


def check_days(days: int) -> None:
    if not 1 <= days <= DAYS_LONGEST:
        raise BadScope(f"days must be a whole number from 1 to {DAYS_LONGEST}", "days")


def nearest_rank(ordered: Sequence[int], fraction: float) -> int:
    return ordered[max(ceil(fraction * len(ordered)) - 1, 0)]


def _open_tasks(key: str) -> list[Any]:
    # The columns of ix_human_tasks_process_open, in its order.
    return [HumanTask.process_key == key, HumanTask.state == "open", HumanTask.kind == "task"]


def _whole(value: Any) -> int | None:
    return None if value is None else round(float(value))


__all__: Sequence[str] = ["DAYS_DEFAULT", "PERIODS", "Heatmap", "Heatmaps", "Step", "Waiting", "check_days"]


def _of_version(definition_id: int) -> list[Any]:
    """The instances of one version that can have open tasks: finished ones cannot, and leaving them out lets
    PostgreSQL read the version's live instances from ix_process_instances_definition_live alone."""
    return [ProcessInstance.definition_id == definition_id, ProcessInstance.status.in_(LIVE)]
