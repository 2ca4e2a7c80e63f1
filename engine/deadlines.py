"""The deadline functions a diagram's expressions may call, e.g. a timeDate of `working_days(3)`.

Each returns the due moment as an ISO 8601 string with its offset (SpiffWorkflow's timers parse text), counted
from the time of the engine run that evaluates it — the injected clock, so tests and drills move it.

An amount that is not a finite number from zero up to about ten years is refused with a ValueError (or a
TypeError) that names the function and the limit, and the instance fails with that reason: a deadline in
the past or centuries away is a mistake in the diagram, and counting a billion working days would hold a
worker for hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from engine.business_time import BusinessCalendar
from engine.evaluator import FunctionLibrary
from engine.timing import engine_now
from lintel.clock import SHANGHAI

BUSINESS_FUNCTIONS = frozenset({"business_hours", "working_days"})

MAX_WORKING_DAYS = 2500  # about ten years of working days
MAX_BUSINESS_HOURS = 20000  # about ten years of 7.5-hour working days
MAX_CALENDAR_HOURS = 87600  # ten years


def _shown(value: object) -> str:
    """A short rendering of an argument for a message (a huge int has no affordable repr)."""
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"{'-' if value < 0 else ''}<a {int(value.bit_length() * 0.30103) + 1}-digit number>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def amount(function: str, value: object, maximum: float, unit: str) -> float:
    """`value` as a number of `unit` from 0 to `maximum`, or an error naming the call and the limit."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"{function}() takes a number of {unit}, not {type(value).__name__}")
    if isinstance(value, int) and abs(value) > maximum:
        number = math.inf  # float() of a huge int overflows; it is out of range either way
    else:
        try:
            number = float(value)
        except ValueError:
            raise TypeError(f"{function}() takes a number of {unit}, not {_shown(value)}") from None
    if not math.isfinite(number) or not 0 <= number <= maximum:
        raise ValueError(f"{function}({_shown(value)}): the {unit} must be a number from 0 to {maximum:g}")
    return number


def deadline_functions(calendar: BusinessCalendar) -> dict[str, Callable[..., Any]]:
    def business_hours(hours: float) -> str:
        """The moment `hours` working hours from now (working hours, weekends and holidays skipped)."""
        count = amount("business_hours", hours, MAX_BUSINESS_HOURS, "working hours")
        return calendar.add_business_hours(engine_now(), count).isoformat()

    def working_days(days: float) -> str:
        """The moment `days` working days from now: 1 from Friday 10:00 is the next working day at 10:00."""
        count = amount("working_days", days, MAX_WORKING_DAYS, "working days")
        return calendar.add_working_days(engine_now(), count).isoformat()

    def calendar_hours(hours: float) -> str:
        """The moment `hours` clock hours from now, nights, weekends and holidays included."""
        count = amount("calendar_hours", hours, MAX_CALENDAR_HOURS, "hours")
        return (engine_now() + timedelta(hours=count)).astimezone(SHANGHAI).isoformat()

    def working_day_at(days: float, clock_time: str) -> str:
        """The moment at `clock_time` ("HH:MM", local time) on the working day `days` working days from today:
        `working_day_at(1, "19:30")` on a Friday is the next working day at half past seven in the evening."""
        count = int(amount("working_day_at", days, MAX_WORKING_DAYS, "working days"))
        try:
            at = (
                time.fromisoformat(clock_time)
                if isinstance(clock_time, str) and len(clock_time) == 5
                else None
            )
        except ValueError:
            at = None
        if at is None:
            raise ValueError(
                f"working_day_at(): the time of day must be written HH:MM, not {_shown(clock_time)}"
            )
        day = engine_now().astimezone(SHANGHAI).date()
        while count > 0 or not calendar.is_working_day(day):
            day += timedelta(days=1)
            if calendar.is_working_day(day):
                count -= 1
        return datetime.combine(day, at, SHANGHAI).isoformat()

    return {
        "business_hours": business_hours,
        "working_days": working_days,
        "calendar_hours": calendar_hours,
        "working_day_at": working_day_at,
    }


def deadline_library(calendar: BusinessCalendar) -> FunctionLibrary:
    """The deadline functions as the script evaluators build them, on the same calendar."""
    return FunctionLibrary(deadline_functions, (calendar,))
