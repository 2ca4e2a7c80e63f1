"""Reading the audit trail into the figures' tables (crm.kpis.models).

`KpiRefresher.run()` (every minute in `lintel serve` and every `lintel worker`; `lintel kpis refresh`) finds
the instances that have new audit events since the last run, recomputes each one's case, steps and
escalations from its events and inbox rows, adds the touched days up again (`kpi_days`, `kpi_pairs`) and
sorts the touched months' times again (`kpi_times`). Everything is recomputed per instance, never
incremented, so running it twice, or over events already read, changes nothing; `rebuild()` recomputes
every instance. The figures therefore lag the events by at most a minute, and the pages say when they were
last brought up to date.

What the events mean here (the definitions the dashboards show, `crm.kpis.figures`):

- a step *missed its deadline* when it was completed after its due time, or its deadline fired
  (`task.overdue`), or its deadline was moved after it had passed (`task.deadline_moved` from a time already
  gone): moving or erasing a deadline afterwards cannot hide the breach. Waiting for the owner does not
  count against it: the engine moves the due time on by the wait when the owner answers.
- a case is *sent back by the owner* each time a step is completed with the owner's answer "no"
  (`satisfied` or `confirmed` = no — the complaint's reply, the defect's confirmation).
- the *first response* is the completion of the case's first workflow step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from crm.kpis import times
from crm.kpis.counters import COUNTERS, count_pairs, count_rows
from crm.kpis.dims import Dims, dims_of
from crm.kpis.models import DIMS, KpiCase, KpiDay, KpiEscalation, KpiPair, KpiPairMonth, KpiState, KpiStep
from engine.business_time import BusinessCalendar
from engine.models import AuditEvent, HumanTask, ProcessInstance
from lintel.clock import SHANGHAI, Clock

BATCH = 2000  # instances recomputed per round
OVERLAP = timedelta(minutes=5)  # events are read again for this long (see KpiState.marks)
STATE_KEY = "refresh"
REWORK_ANSWERS = (("satisfied", "no"), ("confirmed", "no"))
EVENT_KINDS = ("task.completed", "task.overdue", "task.deadline_moved", "task.escalated")
STATUS = {"running": "open", "completed": "closed", "cancelled": "cancelled", "error": "error"}
LOCK_ID = 0x4B504953  # PostgreSQL advisory lock: one refresher at a time across processes


def day_of(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


@dataclass
class RefreshReport:
    instances: int = 0
    days: int = 0
    last_event_id: int = 0
    skipped: bool = False  # another process was refreshing


@dataclass
class _Facts:
    cases: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)


class KpiRefresher:
    def __init__(self, session: Session, clock: Clock, calendar: BusinessCalendar) -> None:
        self.session = session
        self.clock = clock
        self.calendar = calendar

    # -- the runs ---------------------------------------------------------------------------------------

    def run(self) -> RefreshReport:
        """Bring the figures up to date with the audit trail. The caller commits."""
        if not self._lock():
            return RefreshReport(skipped=True)
        state = self._state()
        now = self.clock.now()
        since = _read_from(state, now)
        newest = self.session.scalar(select(func.max(AuditEvent.id))) or 0
        ids = list(
            self.session.scalars(
                select(AuditEvent.instance_id)
                .where(AuditEvent.id > since, AuditEvent.id <= newest)
                .distinct()
            )
        )
        report = self.refresh_instances(ids)
        if not times.kept(self.session):  # the first run after the upgrade that added them
            times.write_months(self.session, None)
        if not self._pairs_kept():  # the same for the pairs of slices
            self._roll_up_pairs(None)
        state.last_event_id = newest
        state.refreshed_at = now
        state.marks = _marks(state.marks, now, newest)
        report.last_event_id = newest
        return report

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> RefreshReport:
        """Recompute every instance and every day from the audit trail."""
        if not self._lock():
            return RefreshReport(skipped=True)
        newest = self.session.scalar(select(func.max(AuditEvent.id))) or 0
        for table in (KpiDay, KpiPair, KpiPairMonth, KpiCase, KpiStep, KpiEscalation):
            self.session.execute(delete(table))
        ids = list(self.session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id)))
        report = RefreshReport()
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            self._store(self._compute(chunk), chunk, replace=False)
            report.instances += len(chunk)
            if progress is not None:
                progress(report.instances, len(ids))
        report.days = self.roll_up(None)
        times.write_months(self.session, None)
        state = self._state()
        now = self.clock.now()
        state.last_event_id = newest
        state.refreshed_at = now
        state.marks = _marks([], now, newest)
        report.last_event_id = newest
        return report

    def refresh_instances(self, ids: Sequence[int]) -> RefreshReport:
        """Recompute these instances' facts and the days they touch, before and after."""
        report = RefreshReport()
        touched: set[date] = set()
        for start in range(0, len(ids), BATCH):
            chunk = list(ids[start : start + BATCH])
            touched |= self._days_of(chunk)
            facts = self._compute(chunk)
            self._store(facts, chunk, replace=True)
            touched |= _days_in(facts)
            report.instances += len(chunk)
        report.days = self.roll_up(touched) if touched else 0
        times.write_months(self.session, touched)
        return report

    # -- one batch of instances --------------------------------------------------------------------------

    def _compute(self, ids: Sequence[int]) -> _Facts:
        s = self.session
        instances = s.execute(
            select(
                ProcessInstance.id,
                ProcessInstance.process_key,
                ProcessInstance.definition_id,
                ProcessInstance.business_key,
                ProcessInstance.status,
                ProcessInstance.started_at,
                ProcessInstance.completed_at,
            ).where(ProcessInstance.id.in_(ids))
        ).all()
        tasks_of: dict[int, list[Any]] = defaultdict(list)
        for task in s.execute(
            select(
                HumanTask.id,
                HumanTask.instance_id,
                HumanTask.element_id,
                HumanTask.name,
                HumanTask.department,
                HumanTask.kind,
                HumanTask.state,
                HumanTask.created_at,
                HumanTask.completed_at,
                HumanTask.due_at,
            )
            .where(HumanTask.instance_id.in_(ids))
            .order_by(HumanTask.id)
        ):
            tasks_of[task.instance_id].append(task)
        events_of: dict[int, list[Any]] = defaultdict(list)
        for event in s.execute(
            select(
                AuditEvent.id,
                AuditEvent.instance_id,
                AuditEvent.task_id,
                AuditEvent.kind,
                AuditEvent.at,
                AuditEvent.to_state,
                AuditEvent.data,
            )
            .where(AuditEvent.instance_id.in_(ids), AuditEvent.kind.in_(EVENT_KINDS))
            .order_by(AuditEvent.id)
        ):
            events_of[event.instance_id].append(event)
        dims = dims_of(s, ids)
        facts = _Facts()
        for instance in instances:
            self._instance_facts(
                facts, instance, tasks_of[instance.id], events_of[instance.id], dims.get(instance.id)
            )
        return facts

    def _instance_facts(
        self, facts: _Facts, instance: Any, tasks: list[Any], events: list[Any], found: Dims | None
    ) -> None:
        steps = [t for t in tasks if t.kind == "task"]
        known = found or Dims()
        department = known.department or (steps[-1].department if steps else None)
        slices = {
            "project": known.project,
            "category": known.category,
            "channel": known.channel,
            "severity": known.severity,
        }
        missed: dict[int, datetime] = {}  # the first deadline each late step missed, by task
        reworked = 0
        escalations: list[Any] = []
        for event in events:
            if event.kind == "task.overdue" and event.task_id is not None:
                due = (event.data or {}).get("due_at")
                missed.setdefault(event.task_id, datetime.fromisoformat(due) if due else event.at)
            elif event.kind == "task.deadline_moved" and event.task_id is not None:
                moved_from = (event.data or {}).get("from")
                if moved_from and datetime.fromisoformat(moved_from) < event.at:
                    missed.setdefault(event.task_id, datetime.fromisoformat(moved_from))
            elif event.kind == "task.completed":
                data = event.data or {}
                if any(data.get(name) == answer for name, answer in REWORK_ANSWERS):
                    reworked += 1
            elif event.kind == "task.escalated":
                escalations.append(event)
        department_of = {t.id: t.department for t in tasks}
        done = [t for t in steps if t.state == "completed" and t.completed_at is not None]
        steps_late = 0
        any_late = False
        for t in steps:
            late = t.id in missed or (
                t.state == "completed"
                and t.completed_at is not None
                and t.due_at is not None
                and t.completed_at > t.due_at
            )
            any_late = any_late or late
            if late and t.state == "completed":
                steps_late += 1
            spent = (t.completed_at - t.created_at) if t.completed_at is not None else None
            facts.steps.append(
                {
                    "task_id": t.id,
                    "instance_id": instance.id,
                    "process_key": instance.process_key,
                    "definition_id": instance.definition_id,
                    "element_id": t.element_id,
                    "name": t.name,
                    "department": t.department,
                    **slices,
                    "state": t.state if t.state in ("open", "completed") else "cancelled",
                    "created_at": t.created_at,
                    "completed_at": t.completed_at,
                    "completed_day": day_of(t.completed_at) if t.completed_at is not None else None,
                    # The deadline it missed, when one fired or was moved after it had passed: the step's
                    # deadline may have been moved on or erased since.
                    "due_at": missed.get(t.id, t.due_at),
                    "has_deadline": t.due_at is not None or late,
                    "late": late,
                    "spent_s": int(spent.total_seconds()) if spent is not None else None,
                    "spent_work_s": self._work(t.created_at, t.completed_at),
                }
            )
        for event in escalations:
            level = int(event.to_state) if (event.to_state or "").isdigit() else 1
            facts.escalations.append(
                {
                    "event_id": event.id,
                    "instance_id": instance.id,
                    "task_id": event.task_id,
                    "process_key": instance.process_key,
                    "level": level,
                    "at": event.at,
                    "day": day_of(event.at),
                    "department": department_of.get(event.task_id) or department,
                    **slices,
                }
            )
        status = STATUS.get(instance.status, "open")
        closed_at = instance.completed_at if status == "closed" else None
        first = min((t.completed_at for t in done), default=None)
        facts.cases.append(
            {
                "instance_id": instance.id,
                "process_key": instance.process_key,
                "number": known.number or instance.business_key,
                "department": department,
                **slices,
                "status": status,
                "registered_at": instance.started_at,
                "registered_day": day_of(instance.started_at),
                "first_response_at": first,
                "response_s": _seconds(instance.started_at, first),
                "response_work_s": self._work(instance.started_at, first),
                "closed_at": closed_at,
                "closed_day": day_of(closed_at) if closed_at is not None else None,
                "resolution_s": _seconds(instance.started_at, closed_at),
                "resolution_work_s": self._work(instance.started_at, closed_at),
                "steps_done": len(done),
                "steps_late": steps_late,
                "late": any_late,
                "reworked": reworked,
                "escalations": len(escalations),
                "escalation_level": max(
                    (int(e.to_state) for e in escalations if (e.to_state or "").isdigit()), default=0
                ),
            }
        )

    def _work(self, start: datetime, end: datetime | None) -> int | None:
        if end is None:
            return None
        return int(self.calendar.business_seconds_between(start, end))

    def _store(self, facts: _Facts, ids: Sequence[int], *, replace: bool) -> None:
        s = self.session
        if replace:
            s.execute(delete(KpiCase).where(KpiCase.instance_id.in_(ids)))
            s.execute(delete(KpiStep).where(KpiStep.instance_id.in_(ids)))
            s.execute(delete(KpiEscalation).where(KpiEscalation.instance_id.in_(ids)))
        postgres = s.get_bind().dialect.name == "postgresql"
        for table, rows in (
            (KpiCase, facts.cases),
            (KpiStep, facts.steps),
            (KpiEscalation, facts.escalations),
        ):
            if rows and postgres:
                _copy(s, table.__tablename__, rows)
            elif rows:
                s.execute(insert(table), rows)

    def _days_of(self, ids: Sequence[int]) -> set[date]:
        """The days the instances counted on before this refresh (a case may leave a day)."""
        s = self.session
        days: set[date] = set()
        for column, where in (
            (KpiCase.registered_day, KpiCase.instance_id.in_(ids)),
            (KpiCase.closed_day, KpiCase.instance_id.in_(ids)),
            (KpiStep.completed_day, KpiStep.instance_id.in_(ids)),
            (KpiEscalation.day, KpiEscalation.instance_id.in_(ids)),
        ):
            days.update(d for d in s.scalars(select(column).where(where).distinct()) if d is not None)
        return days

    # -- the days --------------------------------------------------------------------------------------

    def roll_up(self, days: Iterable[date] | None) -> int:
        """Add these days up again from the facts (None: every day), per slice (kpi_days) and per two slices
        (kpi_pairs). Returns how many days were written."""
        chosen = sorted(set(days)) if days is not None else None
        s = self.session
        written: set[date] = set()
        for part in _chunks(chosen) if chosen is not None else [None]:
            if part is not None:
                s.execute(delete(KpiDay).where(KpiDay.day.in_(part)))
            rows = count_rows(s, part)
            if rows:
                s.execute(insert(KpiDay), rows)
                written.update(row["day"] for row in rows)
        self._roll_up_pairs(chosen)
        return len(written)

    def _roll_up_pairs(self, days: list[date] | None) -> None:
        s = self.session
        for part in _chunks(days) if days is not None else [None]:
            if part is not None:
                s.execute(delete(KpiPair).where(KpiPair.day.in_(part)))
            rows = count_pairs(s, part)
            if rows and s.get_bind().dialect.name == "postgresql":
                _copy(s, KpiPair.__tablename__, rows)
            elif rows:
                s.execute(insert(KpiPair), rows)
        self._roll_up_pair_months(days)

    def _roll_up_pair_months(self, days: list[date] | None) -> None:
        """Add the pairs' days of these days' months up again per month (None: every month)."""
        s = self.session
        if days is None:
            s.execute(delete(KpiPairMonth))
            span = s.execute(select(func.min(KpiPair.day), func.max(KpiPair.day))).one()
            months = times.months_between(*span)
        else:
            months = {day.replace(day=1) for day in days}
            if months:
                s.execute(delete(KpiPairMonth).where(KpiPairMonth.month.in_(sorted(months))))
        keys = [KpiPair.dim_a, KpiPair.dim_b, KpiPair.process_key, KpiPair.value_a, KpiPair.value_b]
        names = ["dim_a", "dim_b", "process_key", "value_a", "value_b", "month", *COUNTERS]
        for month in sorted(months):
            sums = [func.sum(getattr(KpiPair, name)) for name in COUNTERS]
            query = (
                select(*keys, literal(month, Date()), *sums)
                .where(KpiPair.day >= month, KpiPair.day < times.next_month(month))
                .group_by(*keys)
            )
            s.execute(insert(KpiPairMonth).from_select(names, query))

    def _pairs_kept(self) -> bool:
        s = self.session
        return (
            s.scalar(select(KpiPair.day).limit(1)) is not None
            or s.scalar(select(KpiDay.day).limit(1)) is None
        )

    # -- bookkeeping -----------------------------------------------------------------------------------

    def _state(self) -> KpiState:
        state = self.session.get(KpiState, STATE_KEY)
        if state is None:
            state = KpiState(key=STATE_KEY, last_event_id=0, refreshed_at=None, marks=[])
            self.session.add(state)
            self.session.flush()
        return state

    def _lock(self) -> bool:
        if self.session.get_bind().dialect.name != "postgresql":
            return True  # SQLite: one writer at a time anyway
        return bool(self.session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": LOCK_ID}))


def _copy(session: Session, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows written with COPY (PostgreSQL): a rebuild of a million requests writes millions of rows."""
    columns = list(rows[0])
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def refreshed_at(session: Session) -> datetime | None:
    state = session.get(KpiState, STATE_KEY)
    return state.refreshed_at if state is not None else None


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if end is not None else None


def _days_in(facts: _Facts) -> set[date]:
    days: set[date] = set()
    for case in facts.cases:
        days.add(case["registered_day"])
        if case["closed_day"] is not None:
            days.add(case["closed_day"])
    days.update(step["completed_day"] for step in facts.steps if step["completed_day"] is not None)
    days.update(escalation["day"] for escalation in facts.escalations)
    return days


def _read_from(state: KpiState, now: datetime) -> int:
    """The last event id known to be five minutes old: everything after it is read (again)."""
    older = [mark for mark in state.marks or [] if datetime.fromisoformat(mark[0]) <= now - OVERLAP]
    if older:
        return int(older[-1][1])
    return int(state.marks[0][1]) if state.marks else state.last_event_id


def _marks(marks: list[Any], now: datetime, newest: int) -> list[Any]:
    kept = [mark for mark in marks or [] if datetime.fromisoformat(mark[0]) > now - 2 * OVERLAP]
    return [*kept, [now.isoformat(), newest]]


def _chunks(days: list[date], size: int = 200) -> Iterator[list[date]]:
    for start in range(0, len(days), size):
        yield days[start : start + size]


__all__ = ["DIMS", "KpiRefresher", "RefreshReport", "day_of", "refreshed_at"]
