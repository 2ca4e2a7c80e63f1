"""The deadline functions a diagram's expressions may call, e.g. a timeDate of `working_days(3)`.

Each returns the due moment as an ISO 8601 string with its offset (SpiffWorkflow's timers parse text), counted
from the time of the engine run that evaluates it — the injected clock, so tests and drills move it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from engine.business_time import BusinessCalendar
from engine.evaluator import FunctionLibrary
from engine.timing import engine_now
from lintel.clock import SHANGHAI

BUSINESS_FUNCTIONS = frozenset({"business_hours", "working_days"})


def deadline_functions(calendar: BusinessCalendar) -> dict[str, Callable[..., Any]]:
    def business_hours(hours: float) -> str:
        """The moment `hours` working hours from now (working hours, weekends and holidays skipped)."""
        return calendar.add_business_hours(engine_now(), float(hours)).isoformat()

    def working_days(days: float) -> str:
        """The moment `days` working days from now: 1 from Friday 10:00 is the next working day at 10:00."""
        return calendar.add_working_days(engine_now(), float(days)).isoformat()

    def calendar_hours(hours: float) -> str:
        """The moment `hours` clock hours from now, nights, weekends and holidays included."""
        return (engine_now() + timedelta(hours=float(hours))).astimezone(SHANGHAI).isoformat()

    return {"business_hours": business_hours, "working_days": working_days, "calendar_hours": calendar_hours}


def deadline_library(calendar: BusinessCalendar) -> FunctionLibrary:
    """The deadline functions as the script evaluators build them, on the same calendar."""
    return FunctionLibrary(deadline_functions, (calendar,))
