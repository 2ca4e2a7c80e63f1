"""Firing what is due: instance timers and timer start events, once each, across any number of workers.

The job picks due instances by `next_timer_at` (kept after every save), locking them with FOR UPDATE SKIP
LOCKED on PostgreSQL so two workers never take the same one, and runs each in a savepoint so one failing
instance does not hold back the rest of its batch. The drill (`lintel timers run --at`) walks a fixed clock
through every due moment up to the target, so it produces exactly what waiting until then would have.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.actors import SYSTEM
from engine.models import ProcessInstance, TimerStartSchedule
from engine.runtime import Runtime
from engine.timer_starts import TimerStarts
from lintel.clock import FixedClock

log = logging.getLogger("lintel.timers")

# SpiffWorkflow fires a timer only once the clock is strictly past its due moment.
_TICK = timedelta(microseconds=1)


@dataclass
class FireReport:
    timers: int = 0
    starts: int = 0

    def __iadd__(self, other: FireReport) -> FireReport:
        self.timers += other.timers
        self.starts += other.starts
        return self


def acquire_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of running instances with a timer due at `now`, locked for this transaction on PostgreSQL."""
    query = (
        select(ProcessInstance.id)
        .where(ProcessInstance.next_timer_at <= now, ProcessInstance.status == "running")
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


class TimerJob:
    def __init__(
        self,
        session_factory: Callable[[], Session],
        runtime_for: Callable[[Session], Runtime],
        batch: int = 50,
    ) -> None:
        self.session_factory = session_factory
        self.runtime_for = runtime_for
        self.batch = batch

    def run_due(self, now: datetime) -> FireReport:
        """Fire every timer and timer start due at `now`; each batch is one transaction."""
        report = FireReport()
        seen: set[int] = set()
        while True:
            with self.session_factory() as session:
                runtime = self.runtime_for(session)
                ids = [i for i in acquire_due(session, now, self.batch) if i not in seen]
                seen.update(ids)
                try:
                    report.timers += sum(
                        self._fire(runtime, instance, now) for instance in runtime.get_many(ids)
                    )
                    session.commit()
                except Exception:
                    # Another worker moved one of them first (stale revision, SQLite only: PostgreSQL locks
                    # them): the batch is retried on the next pass.
                    session.rollback()
            if not ids or len(ids) < self.batch:
                break
        report.starts += self._start_due(now)
        return report

    @staticmethod
    def _fire(runtime: Runtime, instance: ProcessInstance, now: datetime) -> bool:
        if instance.status != "running" or instance.next_timer_at is None or instance.next_timer_at > now:
            return False
        try:
            workflow, compiled = runtime.load(instance)
        except Exception as exc:  # a state that cannot load must not block its batch on every pass
            runtime.fail(instance, SYSTEM, exc)
            return False
        runtime.advance(instance, workflow, SYSTEM, compiled, refresh_timers=True)
        return True

    def _start_due(self, now: datetime) -> int:
        started = 0
        with self.session_factory() as session:
            runtime = self.runtime_for(session)
            starts = TimerStarts(session, runtime)
            for row in starts.due(now):
                savepoint = session.begin_nested()
                try:
                    started += len(starts.fire(row, now))
                    savepoint.commit()
                except Exception:
                    # A start that cannot start would fail on every poll: it stays off until a new version
                    # of the process is deployed (which schedules its timer start events afresh).
                    savepoint.rollback()
                    log.exception(
                        "timer start %s/%s could not start; switched off", row.process_key, row.element_id
                    )
                    row.next_due_at = None
            session.commit()
        return started

    def next_due(self) -> datetime | None:
        with self.session_factory() as session:
            timer = session.scalar(
                select(func.min(ProcessInstance.next_timer_at)).where(ProcessInstance.status == "running")
            )
            start = session.scalar(select(func.min(TimerStartSchedule.next_due_at)))
        return min((m for m in (timer, start) if m is not None), default=None)

    def run_until(self, at: datetime, clock: FixedClock) -> FireReport:
        """Fire everything due up to `at`, each at its own moment, as if the workers had waited until then."""
        report = FireReport()
        while (due := self.next_due()) is not None and due <= at:
            clock.set(max(due + _TICK, clock.now()))
            step = self.run_due(clock.now())
            report += step
            if not (step.timers or step.starts) and self.next_due() == due:
                break  # nothing can fire at this moment (e.g. a failed instance): don't spin on it
        clock.set(max(at, clock.now()))
        report += self.run_due(clock.now())
        return report
