"""Business time: deadlines counted in the customer-relations centre's working hours and working days.

A working day follows China's statutory calendar from the `chinese_calendar` package: public holidays are
days off and make-up working days (调休, often a Saturday or Sunday) are working days. chinese_calendar
1.11.0 has data for 2004 to 2026 only; for any other year it raises NotImplementedError, and this module
then falls back to Monday-Friday working (logging one warning per year) until the package is upgraded.
An administrator can extend or correct the calendar with a JSON overrides file::

    {"workdays": ["2027-02-06"], "holidays": ["2027-01-01", "2027-02-15"]}

An override wins over both chinese_calendar and the weekend rule. Keys starting with "_" are ignored, so
a file can carry a note such as {"_comment": "2027 schedule, State Council notice of ..."}.

Within a working day only the working periods count (by default 09:00-12:00 and 13:30-18:00, 7.5 hours,
so the lunch break is skipped). Moments are aware datetimes in any zone; the wall clock is Asia/Shanghai.
Arithmetic steps by periods and days, never by minutes, so a thousand working days costs a loop over
some 1,400 days.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path

import chinese_calendar

from lintel.clock import SHANGHAI

__all__ = ["DEFAULT_HOURS", "BusinessCalendar", "WorkingHours"]

log = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)
# Overrides are finite and every year has weekdays, so a working day is never far off; this only stops a
# broken calendar from spinning forever.
_MAX_DAYS_OFF_IN_A_ROW = 3660
# A calendar remembers the days it has been asked about; past this many it starts afresh, so a long-running
# process (or a diagram asking about far-off dates) cannot grow it without end. A little over a century of
# days, so that measuring the longest span (below) does not empty it on the way.
_CACHE_DAYS = 40000
# Business-time arithmetic steps day by day; beyond this span it is a mistake, not a deadline.
_MAX_SPAN_DAYS = 36600
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_warned_years: set[int] = set()


def _seconds_of(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@dataclass(frozen=True)
class WorkingHours:
    """The working periods of one working day, in order, not overlapping, each within one calendar day."""

    periods: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("working hours need at least one period, e.g. 09:00-12:00,13:30-18:00")
        previous: tuple[time, time] | None = None
        for period in self.periods:
            if not (isinstance(period, tuple) and len(period) == 2 and all(type(t) is time for t in period)):
                raise ValueError(f"working period {period!r} is not a (start, end) pair of times")
            start, end = period
            label = f"{start:%H:%M}-{end:%H:%M}"
            for moment in (start, end):
                if moment.tzinfo is not None or moment.microsecond:
                    raise ValueError(f"working period {label}: times must be naive and whole seconds")
            if end <= start:
                raise ValueError(
                    f"working period {label} ends at or before it starts (a period cannot cross midnight)"
                )
            if previous is not None:
                shown = f"{previous[0]:%H:%M}-{previous[1]:%H:%M}"
                if start < previous[1]:
                    raise ValueError(f"working periods {shown} and {label} overlap or are out of order")
            previous = (start, end)

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """Read "09:00-12:00,13:30-18:00": comma-separated HH:MM-HH:MM periods, in order of the day."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("working hours are empty; expected e.g. 09:00-12:00,13:30-18:00")
        periods: list[tuple[time, time]] = []
        for part in text.split(","):
            match = _PERIOD.match(part)
            if match is None:
                raise ValueError(
                    f"working hours {text!r}: {part.strip()!r} is not a period like 09:00-12:00 (HH:MM-HH:MM)"
                )
            h1, m1, h2, m2 = (int(group) for group in match.groups())
            try:
                periods.append((time(h1, m1), time(h2, m2)))
            except ValueError:
                raise ValueError(
                    f"working hours {text!r}: {part.strip()!r} has an impossible time (00:00 to 23:59)"
                ) from None
        try:
            return cls(tuple(periods))
        except ValueError as error:
            raise ValueError(f"working hours {text!r}: {error}") from None

    @property
    def daily_seconds(self) -> int:
        return sum(_seconds_of(end) - _seconds_of(start) for start, end in self.periods)

    def __str__(self) -> str:
        return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.periods)


DEFAULT_HOURS = WorkingHours(((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0))))


@lru_cache(maxsize=1 << 16)
def _statutory_workday(day: date) -> bool:
    # Cached for the process: chinese_calendar scans its whole table on every call, and calendars are cheap
    # to build per request.
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinese_calendar %s has no holiday data for %d; counting Monday-Friday as working days "
                "plus the administrator's overrides file",
                getattr(chinese_calendar, "__version__", "?"),
                day.year,
            )
        return day.weekday() < 5


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (naive {moment.isoformat()} is ambiguous)")
    return moment.astimezone(UTC)


class BusinessCalendar:
    """Working days (chinese_calendar, then weekends, overridden per date) times working hours."""

    def __init__(
        self,
        hours: WorkingHours = DEFAULT_HOURS,
        overrides: Mapping[date, bool] | None = None,
        tz: tzinfo = SHANGHAI,
    ) -> None:
        self.hours = hours
        self.tz = tz
        self._overrides: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"override keys must be dates, not {day!r}")
            if not isinstance(working, bool):
                raise TypeError(f"override for {day.isoformat()} must be True or False, not {working!r}")
            self._overrides[day] = working
        self._cache: dict[date, bool] = {}

    def __reduce__(self) -> tuple[type[BusinessCalendar], tuple[WorkingHours, dict[date, bool], tzinfo]]:
        # Pickled for the script evaluators by what defines it, never with the cache of days it looked up.
        return (BusinessCalendar, (self.hours, dict(self._overrides), self.tz))

    @property
    def overrides(self) -> Mapping[date, bool]:
        return dict(self._overrides)

    @classmethod
    def from_file(cls, path: Path | None, hours: WorkingHours = DEFAULT_HOURS) -> BusinessCalendar:
        """A calendar with the overrides in `path`; no file (or None) means no overrides."""
        if path is None:
            return cls(hours)
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(hours)
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"calendar overrides file {path}: cannot be read: {error}") from None
        return cls(hours, _parse_overrides(text, path))

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = day.astimezone(self.tz).date() if day.tzinfo is not None else day.date()
        known = self._cache.get(day)
        if known is None:
            known = self._overrides.get(day)
            if known is None:
                known = _statutory_workday(day)
            if len(self._cache) >= _CACHE_DAYS:
                self._cache.clear()
            self._cache[day] = known
        return known

    @property
    def cached_days(self) -> int:
        return len(self._cache)

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start` (before it, when negative).

        A start outside working time counts from the next working moment (for negative amounts, from the
        previous one). A deadline that uses up a period exactly ends at that period's end (12:00, 18:00),
        not at the start of the next one.
        """
        if not math.isfinite(seconds):
            raise ValueError(f"business seconds must be a finite number, not {seconds!r}")
        if abs(seconds) > _MAX_SPAN_DAYS * self.hours.daily_seconds:
            raise ValueError(
                f"{seconds:g} business seconds is more than {_MAX_SPAN_DAYS} working days; "
                "a deadline that far off is a mistake"
            )
        cursor = _aware(start, "start")
        if seconds < 0:
            return self._subtract(cursor, timedelta(seconds=-seconds))
        remaining = timedelta(seconds=seconds)
        full_day = timedelta(seconds=self.hours.daily_seconds)
        for day in self._working_days_from(cursor.astimezone(self.tz).date(), 1):
            periods = list(self._periods(day))
            if cursor <= periods[0][0] and remaining > full_day:
                remaining -= full_day
                continue
            for period_start, period_end in periods:
                if period_end <= cursor:
                    continue
                begin = max(period_start, cursor)
                available = period_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
                cursor = period_end
        raise AssertionError("unreachable")  # pragma: no cover

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_business_seconds(start, hours * 3600)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """Working days as working time: 1 day from Friday 10:00 is the next working day at 10:00."""
        return self.add_business_seconds(start, days * self.hours.daily_seconds)

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working time in [start, end), in seconds; negative when end is before start.

        Counted day by day, so a span past a century (a due date a diagram set in the year 9999) is counted
        as one century: that much working time is "plenty" however it is shown or paused."""
        begin, finish = _aware(start, "start"), _aware(end, "end")
        if finish < begin:
            return -self.business_seconds_between(end, start)
        finish = min(finish, begin + timedelta(days=_MAX_SPAN_DAYS))
        first, last = begin.astimezone(self.tz).date(), finish.astimezone(self.tz).date()
        total = timedelta()
        full_day = timedelta(seconds=self.hours.daily_seconds)
        day = first
        while day <= last:
            if self.is_working_day(day):
                if first < day < last:
                    total += full_day
                else:
                    for period_start, period_end in self._periods(day):
                        overlap = min(period_end, finish) - max(period_start, begin)
                        if overlap > timedelta():
                            total += overlap
            day += _ONE_DAY
        return total.total_seconds()

    def _subtract(self, cursor: datetime, remaining: timedelta) -> datetime:
        full_day = timedelta(seconds=self.hours.daily_seconds)
        for day in self._working_days_from(cursor.astimezone(self.tz).date(), -1):
            periods = list(self._periods(day))
            if cursor >= periods[-1][1] and remaining > full_day:
                remaining -= full_day
                continue
            for period_start, period_end in reversed(periods):
                if period_start >= cursor:
                    continue
                finish = min(period_end, cursor)
                available = finish - period_start
                if remaining <= available:
                    return (finish - remaining).astimezone(self.tz)
                remaining -= available
                cursor = period_start
        raise AssertionError("unreachable")  # pragma: no cover

    def _working_days_from(self, day: date, step: int) -> Iterator[date]:
        """Working days from `day` (inclusive) forwards (step 1) or backwards (step -1), without end."""
        delta = _ONE_DAY * step
        days_off = 0
        while True:
            if self.is_working_day(day):
                days_off = 0
                yield day
            else:
                days_off += 1
                if days_off > _MAX_DAYS_OFF_IN_A_ROW:
                    raise ValueError(f"no working day within {_MAX_DAYS_OFF_IN_A_ROW} days of {day}")
            day += delta

    def _periods(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The day's working periods as UTC instants (so arithmetic is real elapsed time in any zone)."""
        for start, end in self.hours.periods:
            yield (
                datetime.combine(day, start, self.tz).astimezone(UTC),
                datetime.combine(day, end, self.tz).astimezone(UTC),
            )


def _parse_overrides(text: str, path: Path) -> dict[date, bool]:
    where = f"calendar overrides file {path}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{where}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(
            f'{where}: expected a JSON object like {{"workdays": [...], "holidays": [...]}}, '
            f"got {type(data).__name__}"
        )
    unknown = sorted(key for key in data if key not in ("workdays", "holidays") and not key.startswith("_"))
    if unknown:
        raise ValueError(f'{where}: unknown key(s) {", ".join(unknown)}; expected "workdays" and "holidays"')
    overrides: dict[date, bool] = {}
    for key, working in (("workdays", True), ("holidays", False)):
        values = data.get(key, [])
        if not isinstance(values, list):
            raise ValueError(f'{where}: "{key}" must be a list of dates like "2027-01-01"')
        for value in values:
            if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(f'{where}: "{key}" entry {value!r} is not a date like "2027-01-01"')
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise ValueError(f'{where}: "{key}" entry {value!r} is not a real date') from None
            if overrides.get(day, working) != working:
                raise ValueError(f"{where}: {value} is listed both as a workday and as a holiday")
            overrides[day] = working
    return overrides
