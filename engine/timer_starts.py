"""Timer start events: the platform starts one instance per due cycle, never a backlog of missed ones.

SpiffWorkflow can only wait on a start timer inside an existing instance, and a cycle that began in the past
fires every missed cycle at once. So each deployed timer start event becomes a schedule row; when it falls
due, the latest cycle at or before now starts one instance (whose start timer is primed to fire once), and
the schedule moves to the next cycle after now.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cron
from engine.actors import SYSTEM
from engine.bpmn_meta import ParsedDefinition, Problem, TimerStart
from engine.errors import DeployRefused
from engine.events import TimerStartDue
from engine.models import ProcessDefinition, ProcessInstance, TimerStartSchedule
from engine.runtime import Runtime
from engine.timing import parse_moment, to_aware
from lintel.clock import SHANGHAI

log = logging.getLogger("lintel.timers")


class TimerStartError(ValueError):
    pass


def occurrences(timer: TimerStart, value: str, deployed_at: datetime) -> Iterator[datetime]:
    """Every moment the timer start event fires, in order (possibly endless); a cron cycle fires at each
    matching moment after the deploy."""
    text = value.strip()
    if timer.kind == "timeDate":
        moment = parse_moment(text)
        if moment is None:
            raise TimerStartError(f"timer start '{timer.element_id}': '{text}' is not a date-time")
        yield moment
        return
    if timer.kind == "timeDuration":
        yield deployed_at + TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(text), deployed_at
        )
        return
    if cron.looks_like_cron(text):
        try:
            yield from cron.moments(text, deployed_at)
        except cron.CronError as exc:
            raise TimerStartError(f"timer start '{timer.element_id}': {exc}") from None
        return
    parts = text.upper().split("/")
    if len(parts) not in (2, 3) or not parts[0].startswith("R"):
        raise TimerStartError(
            f"timer start '{timer.element_id}': '{text}' is not an ISO 8601 cycle R[n]/start/duration"
        )
    count = int(parts[0][1:]) if parts[0][1:] else -1
    if len(parts) == 3:
        start = to_aware(datetime.fromisoformat(parts[1]))
        duration = parts[2]
    else:
        duration = parts[1]
        start = deployed_at + _step(duration, deployed_at)
    moment = start
    emitted = 0
    while count < 0 or emitted < count:
        yield moment
        emitted += 1
        moment = moment + _step(duration, moment)


def _step(duration: str, start: datetime) -> timedelta:
    step = TimerEventDefinition.get_timedelta_from_start(
        TimerEventDefinition.parse_iso_duration(duration), start
    )
    if step <= timedelta(0):
        raise TimerStartError(f"cycle duration '{duration}' must be positive")
    return step


def latest_and_next(moments: Iterator[datetime], now: datetime) -> tuple[datetime | None, datetime | None]:
    latest = None
    for moment in moments:
        if moment > now:
            return latest, moment
        latest = moment
    return latest, None


def _latest_and_next(
    timer: TimerStart, value: str, deployed_at: datetime, now: datetime
) -> tuple[datetime | None, datetime | None]:
    if timer.kind == "timeCycle" and cron.looks_like_cron(value.strip()):
        return cron.latest_and_next(value.strip(), deployed_at, now)  # no walk through every minute since
    return latest_and_next(occurrences(timer, value, deployed_at), now)


class TimerStarts:
    def __init__(self, session: Session, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    def _value(self, timer: TimerStart) -> str:
        value: Any = self.runtime.script_engine.environment.evaluate(timer.expression, {})
        return value.isoformat() if isinstance(value, datetime) else str(value)

    def schedule(self, definition: ProcessDefinition) -> None:
        """After a deploy: the schedules of this process follow the new version's timer start events."""
        meta = ParsedDefinition.from_json(definition.meta)
        existing = {
            row.element_id: row
            for row in self.session.scalars(
                select(TimerStartSchedule).where(TimerStartSchedule.process_key == definition.key)
            )
        }
        for timer in meta.timer_starts:
            row = existing.pop(timer.element_id, None)
            if row is None:
                row = TimerStartSchedule(process_key=definition.key, element_id=timer.element_id)
                self.session.add(row)
            row.definition_id = definition.id
            try:
                # The first cycle after the deploy (or after the last one fired): nothing from before it.
                since = row.last_fired_at or definition.deployed_at
                _, row.next_due_at = _latest_and_next(
                    timer, self._value(timer), definition.deployed_at, since
                )
            except Exception as exc:  # the expression may only fail now, with no task data to read
                message = f"timer start expression {timer.expression!r} cannot be scheduled: {exc}"
                raise DeployRefused([Problem(definition.filename, None, timer.element_id, message)]) from exc
        for row in existing.values():
            self.session.delete(row)
        self.session.flush()

    def due(self, now: datetime, limit: int = 100) -> list[TimerStartSchedule]:
        query = (
            select(TimerStartSchedule)
            .where(TimerStartSchedule.next_due_at <= now)
            .order_by(TimerStartSchedule.next_due_at)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.session.scalars(query))

    def fire(self, row: TimerStartSchedule, now: datetime) -> list[ProcessInstance]:
        """Start the instances of the latest due cycle — one, or those a subscriber of TimerStartDue plans —
        and move the schedule to the next cycle; missed earlier cycles are not replayed."""
        definition = self.session.get(ProcessDefinition, row.definition_id)
        assert definition is not None
        meta = ParsedDefinition.from_json(definition.meta)
        timer = next(t for t in meta.timer_starts if t.element_id == row.element_id)
        latest, following = _latest_and_next(timer, self._value(timer), definition.deployed_at, now)
        cycle = latest or now
        cycle_at = cycle.astimezone(SHANGHAI).isoformat()
        due = TimerStartDue(row.process_key, row.element_id, cycle)
        self.runtime.events.publish(self.session, due)
        if due.planned is None:  # one instance; if it cannot start, the caller switches the schedule off
            started = [self._start(row, cycle_at, None, {})]
        else:
            # Planned starts are independent of each other: one that cannot start (its data, a constraint)
            # is logged and left out, and the others of the cycle still start.
            started = []
            for business_key, data in due.planned:
                savepoint = self.session.begin_nested()
                try:
                    started.append(self._start(row, cycle_at, business_key, data))
                    savepoint.commit()
                except Exception:
                    savepoint.rollback()
                    log.exception(
                        "timer start %s/%s: the start planned with %r could not start",
                        row.process_key,
                        row.element_id,
                        business_key or data,
                    )
        row.last_fired_at = cycle
        row.last_instance_id = started[-1].id if started else row.last_instance_id
        row.next_due_at = following
        self.session.flush()
        return started

    def _start(
        self, row: TimerStartSchedule, cycle_at: str, business_key: str | None, data: dict[str, Any]
    ) -> ProcessInstance:
        instance = self.runtime.start(
            row.process_key,
            {"cycle_at": cycle_at, **data},
            SYSTEM,
            business_key=business_key,
            fire_start_timers=True,
        )
        self.runtime.audit.record(
            instance,
            "timer.start",
            SYSTEM.username,
            None,
            "running",
            {"element_id": row.element_id, "cycle_at": cycle_at},
        )
        return instance
