"""Timer cycles in cron form, as Camunda writes them, for boundary, intermediate and start timers.

Two forms are read, told apart by their number of fields:
- Quartz, as Camunda 7 writes it: `sec min hour day-of-month month day-of-week [year]`, e.g. "0 0 9 * * ?"
  (`?` means "any"; days of the week run 1-7 from Sunday, or SUN-SAT; the year field must be `*` or `?`);
- Unix: `min hour day-of-month month day-of-week`, e.g. "0 9 * * 1-5" (days 0-7, Sunday being 0 and 7).
The times are Asia/Shanghai, like every naive time in a diagram. The parsing and iteration are cronsim's.

SpiffWorkflow's cycle timer only understands ISO 8601 `R[n]/start/duration`, where the step is fixed;
`CronCycleTimerEventDefinition` keeps its ISO behaviour and adds cron: the timer waits for the next
matching moment, fires, and then waits for the first matching moment after the time it fired, so a timer
that fell due while nothing ran fires once, not once per missed cycle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from cronsim import CronSim, CronSimError
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.task import Task

from engine.timing import engine_now
from lintel.clock import SHANGHAI

_FIELD = re.compile(r"^[0-9A-Za-z*?/,#LW-]+$")
_QUARTZ_DAY = re.compile(r"(?<![/#\d])([1-7])(?!\d)")


class CronError(ValueError):
    """The text looks like cron but is not a valid expression; the message says why."""


def looks_like_cron(text: object) -> bool:
    """Five to seven space-separated fields of cron characters (an ISO cycle or a Python text is not)."""
    if not isinstance(text, str):
        return False
    fields = text.split()
    return 5 <= len(fields) <= 7 and all(_FIELD.match(field) for field in fields)


def to_cronsim(text: str) -> str:
    """The expression in cronsim's form (optional seconds first, Unix days of the week); raises CronError."""
    fields = text.split()
    if len(fields) == 5:
        unix = fields
    elif len(fields) in (6, 7):
        if len(fields) == 7 and fields[6] not in ("*", "?"):
            raise CronError(f"cron '{text}': a year field is not supported: write * for it or leave it out")
        seconds, minutes, hours, day, month, weekday = fields[:6]
        weekday = _QUARTZ_DAY.sub(lambda m: str(int(m.group(1)) - 1), weekday)
        unix = [seconds, minutes, hours, day, month, weekday]
    else:
        raise CronError(f"cron '{text}' needs 5 fields (Unix) or 6-7 fields (Quartz, seconds first)")
    return " ".join("*" if field == "?" else field for field in unix)


# The shortest interval a repeating timer may have: each firing is a transaction and grows the instance's
# state, and a zero interval would fire without end inside one transaction.
MIN_CYCLE = timedelta(minutes=1)
CYCLE_TOO_SHORT = "a repeating timer fires at most once a minute"


def check(text: str) -> None:
    """Raises CronError when `text` is not a cron expression that ever fires, or fires more than once a
    minute."""
    found = moments(text, datetime(2026, 1, 1, tzinfo=SHANGHAI))
    first = next(found)
    second = next(found, None)
    if second is not None and second - first < MIN_CYCLE:
        raise CronError(f"cron '{text}' fires every {(second - first).seconds} s: {CYCLE_TOO_SHORT}")


def next_after(text: str, moment: datetime) -> datetime:
    """The first moment strictly after `moment` that the cron expression matches, as an aware datetime."""
    return next(moments(text, moment))


def moments(text: str, moment: datetime) -> Iterator[datetime]:
    """Every moment after `moment` that the expression matches (endless), as aware datetimes."""
    expression = to_cronsim(text)
    local = moment.astimezone(SHANGHAI)
    if local.microsecond:
        local = local.replace(microsecond=0)  # cronsim's first tick is the next whole second
    try:
        found = CronSim(expression, local)
        first = next(found)
    except (CronSimError, StopIteration, ValueError) as exc:
        raise CronError(f"cron '{text}' is not valid: {exc}") from None
    yield first
    yield from found


def latest_and_next(text: str, since: datetime, now: datetime) -> tuple[datetime | None, datetime]:
    """For a schedule counting from `since`: the latest matching moment after `since` and at or before
    `now` (None if none), and the first one after both — without walking every moment in between."""
    following = next_after(text, max(since, now))
    local = (now.astimezone(SHANGHAI) + timedelta(seconds=1)).replace(microsecond=0)
    try:
        latest: datetime | None = next(CronSim(to_cronsim(text), local, reverse=True))
    except (CronSimError, StopIteration, ValueError):
        latest = None
    if latest is not None and latest <= since:
        latest = None
    return latest, following


def _fires_once(my_task: Task) -> bool:
    """An intermediate timer waits in the flow: a cron cycle there means "at the next matching moment"
    (a boundary timer repeats, each firing starting its path again; a start timer is the platform's)."""
    return type(my_task.task_spec).__name__ == "IntermediateCatchEvent"


class CronCycleTimerEventDefinition(CycleTimerEventDefinition):
    """A cycle timer whose expression may give a cron text as well as an ISO 8601 repeating interval."""

    def has_fired(self, my_task: Task) -> bool:
        event_value: Any = my_task._get_internal_data("event_value")
        if _fires_once(my_task) and (event_value is None or _is_cron(event_value)):
            if event_value is None:
                expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
                if not looks_like_cron(expression):
                    return bool(super().has_fired(my_task))  # an ISO cycle: SpiffWorkflow's behaviour
                following = next_after(expression, engine_now())
                event_value = {
                    "cycles": 1,
                    "next": following.isoformat(),
                    "duration": 0.0,
                    "cron": expression,
                }
                my_task._set_internal_data(event_value=event_value)
            if datetime.fromisoformat(event_value["next"]) < engine_now():
                my_task._set_internal_data(event_fired=True)
        return bool(super().has_fired(my_task))

    def update_task(self, my_task: Task) -> None:
        if _fires_once(my_task) and _is_cron(my_task._get_internal_data("event_value")):
            return  # fires once, through has_fired
        super().update_task(my_task)

    def cycle_complete(self, my_task: Task) -> bool:
        event_value: Any = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if looks_like_cron(expression):
                following = next_after(expression, engine_now())
                event_value = {
                    "cycles": -1,
                    "next": following.isoformat(),
                    "duration": 0.0,
                    "cron": expression,
                }
            else:  # what SpiffWorkflow does, without evaluating the expression a second time
                cycles, start, duration = self.parse_iso_recurring_interval(expression)
                event_value = {
                    "cycles": cycles,
                    "next": start.isoformat(),
                    "duration": duration.total_seconds(),
                }
            my_task._set_internal_data(event_value=event_value)
        if not _is_cron(event_value):
            # An interval under a minute (PT0S would fire without end in one transaction) counts as a minute.
            event_value["duration"] = max(float(event_value["duration"]), MIN_CYCLE.total_seconds())
            my_task._set_internal_data(event_value=event_value)
            return bool(super().cycle_complete(my_task))
        now = engine_now()
        due = datetime.fromisoformat(event_value["next"])
        if due >= now:
            return False
        event_value["next"] = next_after(event_value["cron"], max(due, now)).isoformat()
        my_task._set_internal_data(event_value=event_value)
        return True


def _is_cron(event_value: Any) -> bool:
    return isinstance(event_value, dict) and "cron" in event_value


def cron_capable(specs: Iterable[BpmnProcessSpec]) -> None:
    """Give every cycle timer of the parsed specs the cron-capable definition (same name and expression)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            _replace(task_spec)


def _replace(task_spec: Any) -> None:
    definition: Any = getattr(task_spec, "event_definition", None)
    if type(definition) is CycleTimerEventDefinition:
        task_spec.event_definition = _cron_capable(definition)
    inner = getattr(definition, "event_definitions", None)  # a multiple event
    if isinstance(inner, list):
        inner[:] = [_cron_capable(d) if type(d) is CycleTimerEventDefinition else d for d in inner]


def _cron_capable(definition: CycleTimerEventDefinition) -> CronCycleTimerEventDefinition:
    return CronCycleTimerEventDefinition(
        definition.name, definition.expression, description=definition.description
    )
