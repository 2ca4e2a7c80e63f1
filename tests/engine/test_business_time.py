"""Business time as a coordinator counts it: 2026 holidays and 调休, lunch breaks, evenings, overrides."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from engine import business_time
from engine.business_time import DEFAULT_HOURS, BusinessCalendar, WorkingHours
from engine.deadlines import deadline_functions
from engine.timing import engine_clock
from lintel.clock import SHANGHAI, FixedClock


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar()


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "holidays.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


# --- the real 2026 calendar -------------------------------------------------------------------------------


def test_national_day_and_mid_autumn_2026_are_days_off(calendar: BusinessCalendar) -> None:
    assert calendar.is_working_day(date(2026, 9, 24))  # Thursday before 中秋
    for day in (25, 26, 27):  # 中秋节 Friday to Sunday
        assert not calendar.is_working_day(date(2026, 9, day))
    assert calendar.is_working_day(date(2026, 9, 30))  # Wednesday, last day before 国庆
    for day in range(1, 8):  # 国庆节 1-7 October, Thursday to Wednesday
        assert not calendar.is_working_day(date(2026, 10, day))
    assert calendar.is_working_day(date(2026, 10, 8))
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_make_up_weekend_days_are_working_days(calendar: BusinessCalendar) -> None:
    assert calendar.is_working_day(date(2026, 9, 20))  # Sunday 调休 for 国庆
    assert calendar.is_working_day(date(2026, 10, 10))  # Saturday 调休 for 国庆
    assert calendar.is_working_day(date(2026, 2, 14))  # Saturday 调休 for 春节
    assert not calendar.is_working_day(date(2026, 10, 17))  # an ordinary Saturday


def test_complaint_on_the_eve_of_national_day_is_due_after_the_holiday(calendar: BusinessCalendar) -> None:
    # 1 hour left on Wed 30 Sep, then 6.5 hours on Thu 8 Oct: the seven days of 国庆 do not count.
    assert calendar.add_working_days(sh(2026, 9, 30, 17), 1) == sh(2026, 10, 8, 17)
    assert calendar.add_working_days(sh(2026, 9, 30, 17), 2) == sh(2026, 10, 9, 17)


def test_make_up_saturday_counts(calendar: BusinessCalendar) -> None:
    assert calendar.add_working_days(sh(2026, 10, 9, 10), 1) == sh(2026, 10, 10, 10)  # Fri -> 调休 Sat
    assert calendar.add_working_days(sh(2026, 10, 10, 10), 1) == sh(2026, 10, 12, 10)  # Sat -> Mon
    assert calendar.add_working_days(sh(2026, 9, 18, 10), 1) == sh(2026, 9, 20, 10)  # Fri -> 调休 Sun


def test_one_working_day_from_friday_is_monday_same_time(calendar: BusinessCalendar) -> None:
    assert calendar.add_working_days(sh(2026, 3, 6, 10), 1) == sh(2026, 3, 9, 10)


# --- working hours within the day --------------------------------------------------------------------------


def test_lunch_break_is_skipped(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_hours(sh(2026, 3, 9, 11), 2) == sh(2026, 3, 9, 14, 30)


def test_start_in_the_evening_counts_from_next_morning(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_seconds(sh(2026, 3, 9, 20), 0) == sh(2026, 3, 10, 9)
    assert calendar.add_business_hours(sh(2026, 3, 9, 20), 1) == sh(2026, 3, 10, 10)
    assert calendar.add_business_hours(sh(2026, 3, 10, 6), 1) == sh(2026, 3, 10, 10)  # early morning
    assert calendar.add_business_hours(sh(2026, 3, 10, 12, 40), 1) == sh(2026, 3, 10, 14, 30)  # at lunch


def test_start_on_a_holiday_counts_from_the_first_working_morning(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_hours(sh(2026, 10, 3, 15), 1) == sh(2026, 10, 8, 10)


def test_zero_from_inside_working_time_returns_start(calendar: BusinessCalendar) -> None:
    start = sh(2026, 3, 9, 10, 17)
    assert calendar.add_business_seconds(start, 0) == start


def test_using_up_a_period_ends_at_its_end(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_hours(sh(2026, 3, 9, 9), 3) == sh(2026, 3, 9, 12)
    assert calendar.add_working_days(sh(2026, 3, 9, 9), 1) == sh(2026, 3, 9, 18)


def test_fractional_working_day_is_three_hours_forty_five(calendar: BusinessCalendar) -> None:
    assert DEFAULT_HOURS.daily_seconds == 7.5 * 3600
    assert calendar.add_working_days(sh(2026, 3, 9, 9), 0.5) == sh(2026, 3, 9, 14, 15)
    assert calendar.add_working_days(sh(2026, 3, 9, 15), 0.5) == sh(2026, 3, 10, 9, 45)  # 3h today, 45m


def test_negative_amounts_count_backwards(calendar: BusinessCalendar) -> None:
    assert calendar.add_working_days(sh(2026, 10, 8, 17), -1) == sh(2026, 9, 30, 17)
    assert calendar.add_business_hours(sh(2026, 3, 9, 14, 30), -2) == sh(2026, 3, 9, 11)
    assert calendar.add_business_hours(sh(2026, 3, 10, 8), -1) == sh(2026, 3, 9, 17)


# --- measuring ---------------------------------------------------------------------------------------------


def test_seconds_between_across_a_weekend(calendar: BusinessCalendar) -> None:
    # Fri 17:00-18:00 and Mon 09:00-10:00
    assert calendar.business_seconds_between(sh(2026, 3, 6, 17), sh(2026, 3, 9, 10)) == 2 * 3600


def test_seconds_between_across_national_day(calendar: BusinessCalendar) -> None:
    # Wed 30 Sep 17:00-18:00, then nothing until Thu 8 Oct 09:00-10:00
    assert calendar.business_seconds_between(sh(2026, 9, 30, 17), sh(2026, 10, 8, 10)) == 2 * 3600
    # the same span the other way round is negative
    assert calendar.business_seconds_between(sh(2026, 10, 8, 10), sh(2026, 9, 30, 17)) == -2 * 3600


def test_seconds_between_skips_lunch_and_is_half_open(calendar: BusinessCalendar) -> None:
    assert calendar.business_seconds_between(sh(2026, 3, 9, 11), sh(2026, 3, 9, 14, 30)) == 2 * 3600
    assert calendar.business_seconds_between(sh(2026, 3, 9, 12), sh(2026, 3, 9, 13, 30)) == 0
    assert calendar.business_seconds_between(sh(2026, 3, 9, 10), sh(2026, 3, 9, 10)) == 0


def test_seconds_between_a_whole_holiday_month(calendar: BusinessCalendar) -> None:
    # October 2026: 31 days less 国庆 (1-7) and the weekends after it, except the 调休 Saturday 10 Oct
    working = [d for d in range(1, 32) if calendar.is_working_day(date(2026, 10, d))]
    assert working == [8, 9, 10, 12, 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30]
    seconds = calendar.business_seconds_between(sh(2026, 10, 1), sh(2026, 11, 1))
    assert seconds == len(working) * DEFAULT_HOURS.daily_seconds


@pytest.mark.parametrize(
    "start",
    [
        sh(2026, 9, 30, 17),
        sh(2026, 9, 19, 8),
        sh(2026, 3, 9, 12, 10),
        sh(2026, 12, 31, 16, 59),
        sh(2027, 1, 1),
    ],
)
@pytest.mark.parametrize("seconds", [0, 1, 1800.5, 27000, 100000, 7 * 27000])
def test_adding_then_measuring_round_trips(
    calendar: BusinessCalendar, start: datetime, seconds: float
) -> None:
    due = calendar.add_business_seconds(start, seconds)
    assert due >= start
    assert calendar.business_seconds_between(start, due) == pytest.approx(seconds, abs=1e-6)


# --- zones -------------------------------------------------------------------------------------------------


def test_utc_input_gives_the_same_answer_as_shanghai_input(calendar: BusinessCalendar) -> None:
    shanghai = sh(2026, 9, 30, 17)
    utc = datetime(2026, 9, 30, 9, tzinfo=UTC)
    assert utc == shanghai
    due = calendar.add_working_days(utc, 1)
    assert due == calendar.add_working_days(shanghai, 1) == sh(2026, 10, 8, 17)
    assert due.tzinfo is SHANGHAI and due.hour == 17
    # 23:30 UTC on Thursday 8 Oct is already 07:30 on Friday 9 Oct in Shanghai
    late = datetime(2026, 10, 8, 23, 30, tzinfo=UTC)
    assert calendar.add_business_hours(late, 1) == sh(2026, 10, 9, 10)
    assert calendar.business_seconds_between(utc, late) == calendar.business_seconds_between(
        shanghai, late.astimezone(SHANGHAI)
    )


def test_naive_datetimes_are_refused(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        calendar.add_business_hours(datetime(2026, 3, 9, 10), 1)
    with pytest.raises(ValueError, match="aware"):
        calendar.business_seconds_between(sh(2026, 3, 9, 10), datetime(2026, 3, 9, 11))


def test_non_finite_amounts_are_refused(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="finite"):
        calendar.add_business_seconds(sh(2026, 3, 9, 10), float("inf"))


# --- years chinese_calendar does not know ------------------------------------------------------------------


def test_uncovered_year_falls_back_to_monday_to_friday(
    calendar: BusinessCalendar, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(business_time, "_warned_years", set())
    business_time._statutory_workday.cache_clear()
    with caplog.at_level(logging.WARNING, logger="engine.business_time"):
        assert calendar.is_working_day(date(2031, 1, 1))  # a Wednesday; no holiday data for 2031
        assert not calendar.is_working_day(date(2031, 1, 4))  # Saturday
        assert calendar.is_working_day(date(2031, 1, 6))
    warnings = [record.getMessage() for record in caplog.records if "2031" in record.getMessage()]
    assert len(warnings) == 1 and "Monday-Friday" in warnings[0]


# --- overrides ---------------------------------------------------------------------------------------------


def test_overrides_file_adds_a_holiday_and_a_workday(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "_comment": "company day off after 国庆 2026; 2027 元旦 and 春节 调休",
            "holidays": ["2026-10-09", "2027-01-01"],
            "workdays": ["2027-02-06"],
        },
    )
    calendar = BusinessCalendar.from_file(path)
    assert not calendar.is_working_day(date(2026, 10, 9))  # a Friday made a day off
    assert not calendar.is_working_day(date(2027, 1, 1))  # a Friday in a year chinese_calendar lacks
    assert calendar.is_working_day(date(2027, 2, 6))  # a Saturday made a working day
    # Wed 30 Sep 17:00 + 2 working days: 1h + 7.5h on 8 Oct, skip the company day off, 6.5h on 调休 Sat 10 Oct
    assert calendar.add_working_days(sh(2026, 9, 30, 17), 2) == sh(2026, 10, 10, 17)
    assert calendar.add_working_days(sh(2027, 2, 5, 10), 1) == sh(2027, 2, 6, 10)


def test_overrides_mapping_wins_over_chinese_calendar() -> None:
    calendar = BusinessCalendar(overrides={date(2026, 10, 10): False, date(2026, 10, 3): True})
    assert not calendar.is_working_day(date(2026, 10, 10))
    assert calendar.is_working_day(date(2026, 10, 3))


def test_missing_overrides_file_means_no_overrides(tmp_path: Path) -> None:
    for calendar in (BusinessCalendar.from_file(tmp_path / "absent.json"), BusinessCalendar.from_file(None)):
        assert calendar.overrides == {}
        assert calendar.is_working_day(date(2026, 10, 10))


def test_from_file_keeps_the_working_hours(tmp_path: Path) -> None:
    hours = WorkingHours.parse("08:30-12:00")
    calendar = BusinessCalendar.from_file(write(tmp_path, {"holidays": []}), hours)
    assert calendar.add_working_days(sh(2026, 3, 9, 8, 30), 1) == sh(2026, 3, 9, 12)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"holidays": ["2027-01-01",]}', "not valid JSON"),
        ('["2027-01-01"]', "expected a JSON object"),
        ({"holiday": ["2027-01-01"]}, "unknown key"),
        ({"holidays": "2027-01-01"}, "must be a list"),
        ({"holidays": ["2027/01/01"]}, "'2027/01/01' is not a date"),
        ({"holidays": ["2027-02-30"]}, "not a real date"),
        ({"workdays": [20270206]}, "is not a date"),
        ({"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}, "both as a workday and as a holiday"),
    ],
)
def test_malformed_overrides_file_names_the_file_and_the_problem(
    tmp_path: Path, content: object, problem: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(ValueError) as raised:
        BusinessCalendar.from_file(path)
    assert str(path) in str(raised.value)
    assert problem in str(raised.value)


# --- working hours -----------------------------------------------------------------------------------------


def test_parse_working_hours() -> None:
    hours = WorkingHours.parse(" 09:00-12:00, 13:30-18:00 ")
    assert hours == DEFAULT_HOURS
    assert hours.periods == ((time(9), time(12)), (time(13, 30), time(18)))
    assert hours.daily_seconds == 27000
    assert str(hours) == "09:00-12:00,13:30-18:00"
    assert WorkingHours.parse("8:00-17:00").daily_seconds == 9 * 3600


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("9-12", "not a period like 09:00-12:00"),
        ("09:00-12:00;13:30-18:00", "not a period like 09:00-12:00"),
        ("09:00-25:00", "impossible time"),
        ("12:00-09:00", "ends at or before it starts"),
        ("09:00-09:00", "ends at or before it starts"),
        ("09:00-12:00,11:00-14:00", "overlap"),
        ("13:30-18:00,09:00-12:00", "out of order"),
    ],
)
def test_malformed_working_hours_are_refused_clearly(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        WorkingHours.parse(text)
    assert text.strip() == "" or repr(text) in str(raised.value)


def test_working_hours_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match="ends at or before"):
        WorkingHours(((time(18), time(9)),))
    with pytest.raises(ValueError, match="at least one period"):
        WorkingHours(())


# --- efficiency --------------------------------------------------------------------------------------------


def test_a_thousand_working_days_and_decades_of_measuring_come_out_right(calendar: BusinessCalendar) -> None:
    start = sh(2024, 1, 2, 10)
    due = calendar.add_working_days(start, 1000)
    assert sh(2027, 11, 1) < due < sh(2028, 3, 1)
    assert calendar.business_seconds_between(start, due) == 1000 * DEFAULT_HOURS.daily_seconds
    assert calendar.add_working_days(due, -1000) == start
    far = calendar.business_seconds_between(sh(2004, 1, 1), sh(2040, 1, 1))
    assert far > 30 * 240 * DEFAULT_HOURS.daily_seconds


# --- absurd amounts and a bounded memory ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "argument", "problem"),
    [
        ("working_days", 10**9, "working_days(1000000000): the working days must be a number from 0 to 2500"),
        ("working_days", -1, "from 0 to"),
        ("business_hours", -1, "business_hours(-1): the working hours must be a number from 0 to 20000"),
        ("business_hours", 10**12, "from 0 to 20000"),
        ("business_hours", float("nan"), "business_hours(nan)"),
        ("calendar_hours", float("inf"), "calendar_hours(inf)"),
        ("calendar_hours", 10**9, "from 0 to 87600"),
        ("working_days", "1e400", "from 0 to 2500"),
    ],
)
def test_deadline_functions_refuse_absurd_amounts_with_the_reason(
    calendar: BusinessCalendar, call: str, argument: object, problem: str
) -> None:
    function = deadline_functions(calendar)[call]
    with pytest.raises(ValueError) as refused:
        function(argument)
    assert problem in str(refused.value)


def test_a_huge_whole_number_is_named_without_printing_it(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match=r"working_days\(<a 5001-digit number>\): the working days"):
        deadline_functions(calendar)["working_days"](10**5000)


@pytest.mark.parametrize("argument", [True, None, "three", [3]])
def test_deadline_functions_want_a_number(calendar: BusinessCalendar, argument: object) -> None:
    with pytest.raises(TypeError, match="takes a number of working days"):
        deadline_functions(calendar)["working_days"](argument)


def test_sensible_deadlines_still_work(calendar: BusinessCalendar) -> None:
    functions = deadline_functions(calendar)
    with engine_clock(FixedClock(sh(2026, 3, 9, 10))):
        assert functions["working_days"](0) == sh(2026, 3, 9, 10).isoformat()
        assert functions["working_days"]("1") == sh(2026, 3, 10, 10).isoformat()
        assert functions["business_hours"](2500 * 7.5) > functions["working_days"](2499)
        assert functions["calendar_hours"](24) == sh(2026, 3, 10, 10).isoformat()


def test_the_calendar_refuses_a_span_of_centuries_at_once(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="a deadline that far off is a mistake"):
        calendar.add_working_days(sh(2026, 3, 9, 10), 10**9)
    with pytest.raises(ValueError, match="a deadline that far off is a mistake"):
        calendar.add_business_hours(sh(2026, 3, 9, 10), -(10**9))


def test_the_calendar_remembers_a_bounded_number_of_days(
    calendar: BusinessCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(business_time, "_CACHE_DAYS", 1000)
    first = date(2020, 1, 1)
    for offset in range(5000):
        calendar.is_working_day(date.fromordinal(first.toordinal() + offset))
    assert 0 < calendar.cached_days <= business_time._CACHE_DAYS
    assert calendar.is_working_day(date(2026, 10, 8)) and not calendar.is_working_day(date(2026, 10, 1))


def test_measuring_to_a_due_date_in_the_year_9999_gives_plenty_and_the_same_twice(
    calendar: BusinessCalendar,
) -> None:
    left = calendar.business_seconds_between(sh(2026, 3, 9, 10), datetime(9999, 12, 31, tzinfo=UTC))
    assert left > 90 * 240 * DEFAULT_HOURS.daily_seconds
    assert calendar.business_seconds_between(sh(2026, 3, 9, 10), datetime(9999, 12, 31, tzinfo=UTC)) == left
