"""The kept tables answer exactly as the facts do.

A few hundred requests, steps and escalations with random slices, days and times over three months are
written straight into the facts; the refresher's roll-up and month sort keep their days, pairs and times.
Every question the /kpis page asks — periods cut at both ends, periods of whole months, one filter, two
(from kpi_pairs), a filter and a different slice — must give the same counters, running
totals, medians and 90th percentiles, and the same heat table, as counting and sorting the facts, before and
after a refresh that changes a day at the edge of a period.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from crm.kpis import figures, times
from crm.kpis import heat as heat_module
from crm.kpis.figures import Kpis, Scope
from crm.kpis.models import PAIRS, KpiCase, KpiEscalation, KpiPair, KpiStep
from crm.kpis.times import month_times
from crm.platform import Platform
from lintel.clock import SHANGHAI

FIRST = date(2026, 9, 1)
DAYS = 91  # September to November
PROJECTS = ("P1", "P2", "P3", None)
CATEGORIES = ("quality", "design", "property", None)
DEPARTMENTS = ("engineering", "property", None)
CHANNELS = ("hotline", "forum", None)
SEVERITIES = ("normal", "urgent", None)
PROCESSES = ("complaint", "rectification")

SCOPES = (
    (date(2026, 9, 1), date(2026, 11, 30)),  # whole months
    (date(2026, 10, 1), date(2026, 10, 31)),  # one whole month
    (date(2026, 9, 10), date(2026, 11, 20)),  # cut at both ends, October whole
    (date(2026, 9, 1), date(2026, 11, 5)),  # cut at the end (the twelve months up to today)
    (date(2026, 9, 17), date(2026, 10, 31)),  # cut at the start
    (date(2026, 10, 22), date(2026, 11, 20)),  # the last 30 days: no whole month
)
QUESTIONS: tuple[tuple[str | None, tuple[tuple[str, str], ...]], ...] = (
    (None, ()),
    ("month", ()),
    ("department", ()),
    ("process", ()),
    ("project", (("category", "quality"),)),  # two slices: the pairs
    ("category", (("project", "P2"),)),
    ("month", (("project", "P3"), ("category", "design"))),
    (None, (("category", ""),)),  # not known
    ("project", (("category", ""),)),
    ("category", (("category", "quality"),)),
    ("department", (("category", "quality"),)),
    ("severity", (("department", "engineering"), ("channel", "hotline"))),  # three slices: the facts
    (None, (("department", ""), ("severity", "urgent"))),
    ("month", (("channel", "hotline"),)),
    ("severity", ()),
)


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randrange(8, 20), 0, tzinfo=SHANGHAI)


def _fill(platform: Platform, seed: int = 11) -> None:
    rng = random.Random(seed)
    cases, steps, escalations = [], [], []
    task_id = event_id = 0
    for n in range(1, 401):
        day = FIRST + timedelta(days=rng.randrange(DAYS))
        registered_at = _moment(day, rng)
        status = rng.choice(("closed", "closed", "closed", "open", "cancelled"))
        closed_day = day + timedelta(days=rng.randrange(0, 20)) if status == "closed" else None
        slices = {
            "project": rng.choice(PROJECTS),
            "category": rng.choice(CATEGORIES),
            "channel": rng.choice(CHANNELS),
            "severity": rng.choice(SEVERITIES),
        }
        late = rng.random() < 0.3
        responded = rng.random() < 0.85
        cases.append(
            {
                "instance_id": n,
                "process_key": rng.choice(PROCESSES),
                "number": f"N{n}",
                "department": rng.choice(DEPARTMENTS),
                **slices,
                "status": status,
                "registered_at": registered_at,
                "registered_day": day,
                "first_response_at": registered_at if responded else None,
                "response_s": rng.randrange(60, 90_000) if responded else None,
                "response_work_s": rng.randrange(60, 40_000) if responded else None,
                "closed_at": _moment(closed_day, rng) if closed_day else None,
                "closed_day": closed_day,
                "resolution_s": rng.randrange(3600, 900_000) if closed_day else None,
                "resolution_work_s": rng.randrange(3600, 300_000) if closed_day else None,
                "steps_done": 2,
                "steps_late": int(late),
                "late": late,
                "reworked": rng.choice((0, 0, 0, 1)),
                "escalations": 0,
                "escalation_level": 0,
            }
        )
        for _ in range(rng.randrange(1, 4)):
            task_id += 1
            done = day + timedelta(days=rng.randrange(0, 10))
            steps.append(
                {
                    "task_id": task_id,
                    "instance_id": n,
                    "process_key": cases[-1]["process_key"],
                    "element_id": "handle",
                    "name": "处理",
                    "department": rng.choice(DEPARTMENTS),
                    **slices,
                    "state": "completed",
                    "created_at": registered_at,
                    "completed_at": _moment(done, rng),
                    "completed_day": done,
                    "due_at": None,
                    "has_deadline": rng.random() < 0.8,
                    "late": rng.random() < 0.25,
                    "spent_s": 3600,
                    "spent_work_s": 3600,
                }
            )
        if rng.random() < 0.2:
            event_id += 1
            at = day + timedelta(days=rng.randrange(0, 5))
            escalations.append(
                {
                    "event_id": event_id,
                    "instance_id": n,
                    "task_id": task_id,
                    "process_key": cases[-1]["process_key"],
                    "level": rng.choice((1, 2, 3)),
                    "at": _moment(at, rng),
                    "day": at,
                    "department": rng.choice(DEPARTMENTS),
                    **slices,
                }
            )
    s = platform.session
    s.execute(insert(KpiCase), cases)
    s.execute(insert(KpiStep), steps)
    s.execute(insert(KpiEscalation), escalations)
    platform.kpi_refresher.roll_up(None)
    times.write_months(s, None)
    s.flush()


def _one_measure_at_a_time(kpis: Kpis, scope: Scope, by: str | None) -> Any:
    """The times as sorted per measure, group and total, one query each."""
    return (kpis._times(scope, by) if by is not None else {}, kpis._times(scope, None).get(None, {}))


def _facts_only(monkeypatch: pytest.MonkeyPatch, kpis: Kpis) -> Any:
    """What the facts alone say (the kept tables switched off), for one call."""

    def call(function: Any, *args: Any, **kwargs: Any) -> Any:
        with monkeypatch.context() as m:
            m.setattr(figures, "month_times", lambda *a: None)
            m.setattr(figures, "pairs_answer", lambda *a: None)
            m.setattr(heat_module, "pairs_answer", lambda *a: False)
            m.setattr(Kpis, "_from_days", Kpis._from_facts)
            m.setattr(Kpis, "_facts_times", _one_measure_at_a_time)
            return function(*args, **kwargs)

    return call


def _shown(found: tuple[list[Any], Any]) -> Any:
    groups, total = found
    return (
        [(g.key, g.counts, g.cumulative, g.times) for g in groups],
        (total.counts, total.cumulative, total.times),
    )


def _same_everywhere(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> int:
    kpis = platform.kpis
    facts = _facts_only(monkeypatch, kpis)
    asked = timed = 0
    for start, end in SCOPES:
        for by, filters in QUESTIONS:
            for process in (None, "complaint"):
                scope = Scope(start, end, process, filters)
                kept = _shown(kpis.table(scope, by))
                assert kept == _shown(facts(kpis.table, scope, by)), (start, end, by, filters, process)
                timed += bool(kept[1][2])
                found = heat_module.heat(platform.session, scope)
                assert found == facts(heat_module.heat, platform.session, scope), (start, end, filters)
                asked += 1
    assert timed > 0.9 * asked  # nearly every question has times to compare
    return asked


def test_the_kept_tables_answer_as_the_facts(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(platform)
    pairs = {(p.dim_a, p.dim_b) for p in platform.session.scalars(select(KpiPair))}
    assert pairs == set(PAIRS)
    # The periods cut at a month take the whole months from the sorted lists and the rest from the facts.
    assert month_times(platform.session, Scope(date(2026, 9, 10), date(2026, 11, 20)), "month") is not None
    assert month_times(platform.session, Scope(date(2026, 10, 22), date(2026, 11, 20)), None) is None
    assert _same_everywhere(platform, monkeypatch) == len(SCOPES) * len(QUESTIONS) * 2


def test_a_refresh_on_an_edge_day_keeps_them_equal(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests of the 20 November (the last day of a period cut there) change category and times, as a
    refresh recomputing them would write them; the roll-up of that day and the sort of its month follow."""
    _fill(platform)
    s = platform.session
    edge = date(2026, 11, 20)
    changed = s.execute(
        update(KpiCase)
        .where(KpiCase.registered_day == edge)
        .values(category="design", response_s=KpiCase.response_s + 7, status="closed")
    ).rowcount
    assert changed
    s.execute(update(KpiStep).where(KpiStep.completed_day == edge).values(category="design", late=True))
    platform.kpi_refresher.roll_up([edge])
    times.write_months(s, [edge])
    assert _same_everywhere(platform, monkeypatch) > 0


def test_charts_without_running_totals_or_times(platform: Platform) -> None:
    _fill(platform)
    scope = Scope(date(2026, 9, 10), date(2026, 11, 20), filters=(("project", "P1"),))
    full, total = platform.kpis.table(scope, "department")
    bare, bare_total = platform.kpis.table(scope, "department", cumulative=False, times=False)
    assert [(g.key, g.counts) for g in full] == [(g.key, g.counts) for g in bare]
    assert bare_total.counts == total.counts
    assert not bare_total.times and not any(bare_total.cumulative.values())
    assert total.times and any(total.cumulative.values())


def test_the_first_refresh_after_the_upgrade_writes_the_pairs(platform: Platform) -> None:
    """The upgrade that adds kpi_pairs leaves it empty; the next refresh adds up every day's pairs."""
    _fill(platform)
    s = platform.session
    written = sorted(
        (p.dim_a, p.dim_b, p.day, p.process_key, p.value_a, p.value_b) for p in s.scalars(select(KpiPair))
    )
    s.execute(delete(KpiPair))
    platform.kpi_refresher.run()
    again = sorted(
        (p.dim_a, p.dim_b, p.day, p.process_key, p.value_a, p.value_b) for p in s.scalars(select(KpiPair))
    )
    assert again == written and len(written) > 1000
