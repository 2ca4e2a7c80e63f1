"""Engine time: SpiffWorkflow's timers read the injected Clock, and naive times mean Asia/Shanghai.

SpiffWorkflow computes and checks timer due times with `datetime.now(timezone.utc)` inside its timer
module, and reads naive timestamps in the server's local zone. Lintel needs both under control: tests
and `lintel timers run --at` move the clock, and a diagram's naive `timeDate` is Shanghai time wherever
the server runs. So the timer module's `datetime` is replaced by one whose `now()` asks the clock bound
for the current engine run, and its local zone is fixed to Asia/Shanghai.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from lintel.clock import SHANGHAI, Clock

_current_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("lintel_clock", default=None)

TIMER_EVENT_TYPES = frozenset(
    {
        "TimeDateEventDefinition",
        "DurationTimerEventDefinition",
        "CycleTimerEventDefinition",
        "CronCycleTimerEventDefinition",  # engine.cron
    }
)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:
        clock = _current_clock.get()
        moment = clock.now() if clock is not None else datetime.now(UTC)
        moment = moment.astimezone(tz) if tz is not None else moment.astimezone(SHANGHAI).replace(tzinfo=None)
        return cls.combine(moment.date(), moment.time(), moment.tzinfo)


_spiff_timer.datetime = _ClockDatetime
_spiff_timer.LOCALTZ = SHANGHAI


@contextmanager
def engine_clock(clock: Clock) -> Iterator[None]:
    """Bind `clock` as the time SpiffWorkflow's timers see for the duration of an engine run."""
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)


def engine_now() -> datetime:
    """The time of the engine run in progress (the injected clock), or the wall clock outside one."""
    clock = _current_clock.get()
    return clock.now() if clock is not None else datetime.now(UTC)


def to_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def parse_moment(value: object) -> datetime | None:
    """A timer's due value (ISO string or datetime, naive meaning Shanghai) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return to_aware(value)
    if isinstance(value, dict):  # a cycle timer: {"cycles": n, "next": iso, "duration": seconds}
        return parse_moment(value.get("next")) if value.get("cycles") != 0 else None
    if isinstance(value, str) and value:
        parsed = TimerEventDefinition.parse_time_or_duration(value)
        if isinstance(parsed, datetime):
            return to_aware(parsed)
    return None


def next_timer_due(workflow: BpmnWorkflow) -> datetime | None:
    due = [
        moment
        for event in workflow.waiting_events()
        if event.event_type in TIMER_EVENT_TYPES and (moment := parse_moment(event.value)) is not None
    ]
    return min(due, default=None)
