"""The figures on a hand-built set of complaints walked through the real workflow, whose right answers
are written here: on time, a breach then completion, a pause while waiting for the owner, a deadline moved
after it had passed, a rework, a case spanning two months, one left open, one cancelled.

The week (Shanghai; working hours 9:00–12:00, 13:30–18:00), department and severity chosen at triage:

- C1 property, normal: triage Mon 11:00, handled Tue 12:30, replied Tue 13:30 — closed on time.
- C2 engineering, urgent: the handling's deadline Tue 10:30 fires (level 1); handled Tue 14:00, replied
  Tue 15:00 (the case was due Tue 10:00) — closed late.
- C3 engineering, urgent: the handling waits for the owner Mon 11:00 → Wed 11:00, which moves its due time
  to Thu 10:30; handled Wed 14:00 (on time), replied Wed 15:00 (the case was due Tue 10:00) — closed late.
- C4 engineering, normal: handled, the owner is not satisfied (rework), handled again, satisfied — on time.
- C5 property, normal: registered Mon 11-30 10:00, closed Tue 12-01 11:00 — two months.
- C6: left at triage; its 24 hours run out Tue 10:00 (level 2) — open.
- C7: cancelled Mon 11:00.
- C8 engineering, high: the handling's due time Thu 10:30 passes unnoticed; the manager moves it to
  Fri 18:00 on Thu 12:00; handled Fri 10:00 — late all the same; waits at the reply.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.kpis.figures import BadScope, Scope
from crm.kpis.models import KpiCase, KpiDay
from crm.kpis.times import month_times
from crm.platform import Foundation, Platform
from engine.models import HumanTask
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.webapp.pages_support import actor, open_task, register

DAY_ORDER = (KpiDay.day, KpiDay.process_key, KpiDay.dim, KpiDay.value)
NOVEMBER = Scope(date(2026, 11, 1), date(2026, 11, 30))
DECEMBER = Scope(date(2026, 12, 1), date(2026, 12, 31))
DAY_ORDER = (KpiDay.day, KpiDay.process_key, KpiDay.dim, KpiDay.value)
SATISFIED = {"reached": "yes", "reply": "已处理完毕", "satisfied": "yes", "score": 5}
NOT_SATISFIED = {"reached": "yes", "reply": "已处理", "satisfied": "no"}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def job(session_factory: sessionmaker[Session], foundation: Foundation) -> TimerJob:
    return TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)


class Week:
    def __init__(self, platform: Platform, clock: FixedClock) -> None:
        self.platform = platform
        self.clock = clock
        self.cases: dict[str, Any] = {}

    def at(self, *moment: int) -> None:
        self.clock.set(sh(*moment))

    def register(self, name: str) -> None:
        self.cases[name] = register(self.platform, description=f"{name} 卫生间渗水")

    def number(self, name: str) -> str:
        return str(self.cases[name].number)

    def step(self, name: str, username: str, data: dict[str, Any]) -> None:
        self.platform.session.expire_all()
        row = open_task(self.platform, self.cases[name].instance_id)
        self.platform.tasks.complete(row.id, data, actor(self.platform, username))
        self.platform.session.commit()

    def triage(self, name: str, department: str, severity: str) -> None:
        self.step(name, "crc", {"category": "quality", "severity": severity, "department": department})

    def task(self, name: str) -> HumanTask:
        self.platform.session.expire_all()
        return open_task(self.platform, self.cases[name].instance_id)


@pytest.fixture
def week(platform: Platform, clock: FixedClock, job: TimerJob) -> Week:
    w = Week(platform, clock)
    p = platform
    w.at(2026, 11, 23, 10, 0)  # Monday
    for name in ("C1", "C2", "C3", "C4", "C6", "C7", "C8"):
        w.register(name)
    w.at(2026, 11, 23, 10, 30)
    w.triage("C2", "engineering", "urgent")
    w.triage("C3", "engineering", "urgent")
    w.triage("C4", "engineering", "normal")
    w.triage("C8", "engineering", "high")
    w.at(2026, 11, 23, 11, 0)
    w.triage("C1", "property", "normal")
    p.tasks.wait_for_owner(w.task("C3").id, actor(p, "eng"), note="业主出差")
    instance = p.runtime.get(w.cases["C7"].instance_id)
    p.runtime.cancel(instance, actor(p, "crc_sup"), "重复登记")
    p.session.commit()
    w.at(2026, 11, 23, 12, 0)
    w.step("C4", "eng", {"resolution": "已修补"})
    w.at(2026, 11, 23, 13, 30)
    w.step("C4", "crc", NOT_SATISFIED)  # sent back by the owner
    w.at(2026, 11, 23, 14, 0)
    w.step("C4", "eng", {"resolution": "重新做防水"})
    w.at(2026, 11, 23, 15, 0)
    w.step("C4", "crc", SATISFIED)

    job.run_until(sh(2026, 11, 24, 12, 0), w.clock)  # C6's triage (Tue 10:00), C2's handling (Tue 10:30)
    w.at(2026, 11, 24, 12, 30)
    w.step("C1", "property", {"resolution": "已修补"})
    w.at(2026, 11, 24, 13, 30)
    w.step("C1", "crc", SATISFIED)
    w.at(2026, 11, 24, 14, 0)
    w.step("C2", "eng", {"resolution": "已修补"})
    w.at(2026, 11, 24, 15, 0)
    w.step("C2", "crc", SATISFIED)

    w.at(2026, 11, 25, 11, 0)  # Wednesday: the owner is back
    p.tasks.owner_answered(w.task("C3").id, actor(p, "eng"))
    p.session.commit()
    w.at(2026, 11, 25, 14, 0)
    w.step("C3", "eng", {"resolution": "已修补"})
    w.at(2026, 11, 25, 15, 0)
    w.step("C3", "crc", SATISFIED)

    w.at(2026, 11, 26, 12, 0)  # Thursday: C8's deadline (10:30) passed without anyone noticing
    p.tasks.move_deadline(w.task("C8").id, sh(2026, 11, 27, 18, 0), actor(p, "eng_mgr"), "材料未到")
    p.session.commit()
    w.at(2026, 11, 27, 10, 0)
    w.step("C8", "eng", {"resolution": "已修补"})

    w.at(2026, 11, 30, 10, 0)  # Monday: a case that closes in December
    w.register("C5")
    w.at(2026, 11, 30, 11, 0)
    w.triage("C5", "property", "normal")
    w.at(2026, 12, 1, 10, 0)
    w.step("C5", "property", {"resolution": "已修补"})
    w.at(2026, 12, 1, 11, 0)
    w.step("C5", "crc", SATISFIED)
    w.at(2026, 12, 1, 12, 0)
    p.kpi_refresher.run()
    p.session.commit()
    return w


def ratio(figure: Any) -> tuple[float, int]:
    return (figure.numerator, figure.denominator)


def test_the_months_figures(platform: Platform, week: Week) -> None:
    groups, total = platform.kpis.table(NOVEMBER)
    assert groups == []
    c = total.counts
    # Registered in November and not cancelled: C1–C6 and C8; closed by now: C1–C5.
    assert (c["registered"], c["registered_closed"]) == (7, 5)
    figures = total.figures()
    assert ratio(figures["closure_rate"]) == (5, 7)
    # Closed in November: C1, C2, C3, C4; on time: C1 and C4 (C2 breached, C3's reply passed the case's due).
    assert ratio(figures["on_time_cases"]) == (2, 4)
    assert ratio(figures["rework_rate"]) == (1, 4)  # C4
    # Steps with a deadline completed in November: C1 3, C2 3, C3 3, C4 5, C5 1 (triage), C8 2 = 17;
    # late: C2's handling and reply, C3's reply, C8's handling (moved after it had passed) = 4. C3's
    # handling, done after its first due time but within the time the owner's absence added, is on time.
    assert ratio(figures["on_time_steps"]) == (13, 17)
    # C2's handling reached its manager (level 1); C6's triage the centre's supervisor (level 2).
    assert (c["escalations_1"], c["escalations_2"], c["escalations_3"]) == (1, 1, 0)

    t = total.times
    # First responses (registration → first step done) of C1 1 h, C2 C3 C4 C8 30 min, C5 1 h.
    assert (t["response_n"], t["response_median"], t["response_p90"]) == (6, 1800, 3600)
    assert (t["response_work_median"], t["response_work_p90"]) == (1800, 3600)
    # Resolution of C4 5 h, C1 27.5 h, C2 29 h, C3 53 h; in working hours 3.5, 9.5, 11, 18.5.
    assert (t["resolution_n"], t["resolution_median"], t["resolution_p90"]) == (4, 99000, 190800)
    assert (t["resolution_work_median"], t["resolution_work_p90"]) == (34200, 66600)


def test_a_case_spanning_two_months_counts_where_it_happened(platform: Platform, week: Week) -> None:
    _, december = platform.kpis.table(DECEMBER)
    d = december.counts
    assert (d["registered"], d["closed"], d["closed_on_time"]) == (0, 1, 1)  # C5, registered in November
    assert ratio(december.figures()["on_time_steps"]) == (2, 2)  # C5's handling and reply
    assert ratio(december.figures()["closure_rate_cumulative"]) == (5, 7)
    months, total = platform.kpis.table(Scope(date(2026, 11, 1), date(2026, 12, 31)), "month")
    assert [(m.key, m.counts["registered"], m.counts["closed"]) for m in months] == [
        ("2026-11", 7, 4),
        ("2026-12", 0, 1),
    ]
    assert [m.cumulative["registered"] for m in months] == [7, 7]
    assert total.counts["closed"] == 5


def test_by_department(platform: Platform, week: Week) -> None:
    groups, _ = platform.kpis.table(NOVEMBER, "department")
    by = {g.key: g for g in groups}
    # Cases under their responsible department (C6, never triaged, under its latest step's: the centre).
    assert {k: (g.counts["registered"], g.counts["registered_closed"]) for k, g in by.items()} == {
        "engineering": (4, 3),
        "property": (2, 2),
        "crc": (1, 0),
    }
    assert ratio(by["engineering"].figures()["on_time_cases"]) == (1, 3)  # C4 of C2, C3, C4
    assert ratio(by["engineering"].figures()["rework_rate"]) == (1, 3)
    # Steps under their own department: handling by the chosen one, triage and replies by the centre.
    assert ratio(by["engineering"].figures()["on_time_steps"]) == (3, 5)
    assert ratio(by["property"].figures()["on_time_steps"]) == (1, 1)
    assert ratio(by["crc"].figures()["on_time_steps"]) == (9, 11)
    assert (by["engineering"].counts["escalations_1"], by["crc"].counts["escalations_2"]) == (1, 1)


def test_the_facts_and_the_days_agree(platform: Platform, week: Week) -> None:
    """A filter the day table cannot answer (two slices at once) is counted from the facts: same figures."""
    for by in ("department", "severity", "process", "month", "category"):
        from_days, total_days = platform.kpis.table(NOVEMBER, by)
        everyone = Scope(NOVEMBER.start, NOVEMBER.end, filters=(("channel", "hotline"),))
        from_facts, total_facts = platform.kpis.table(everyone, by)
        assert [(g.key, g.counts) for g in from_days] == [(g.key, g.counts) for g in from_facts], by
        assert total_days.counts == total_facts.counts
    engineering = Scope(NOVEMBER.start, NOVEMBER.end, filters=(("department", "engineering"),))
    groups, _ = platform.kpis.table(engineering, "severity")
    assert {g.key: g.counts["registered"] for g in groups} == {"urgent": 2, "normal": 1, "high": 1}


def test_whole_months_and_any_other_days_give_the_same_times(platform: Platform, week: Week) -> None:
    """November (and November–December) is answered from the months' sorted times, the same days from the
    2nd from the facts (or December's sorted times and November's days from the facts) — no case happened
    on the 1st: the same medians and 90th percentiles."""
    for start, end in ((date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 11, 1), date(2026, 12, 31))):
        for by, filters in (
            (None, ()),
            ("department", ()),
            ("severity", ()),
            ("process", ()),
            ("month", ()),
            (None, (("department", "engineering"),)),
            ("month", (("channel", "hotline"),)),
            ("process", (("severity", "urgent"),)),
        ):
            whole = Scope(start, end, filters=filters)
            assert month_times(platform.session, whole, by) is not None
            days = Scope(date(2026, 11, 2), end, filters=filters)
            # No whole month in Nov 2–30: the facts; in Nov 2–Dec 31 December is whole, the rest the facts'.
            assert (month_times(platform.session, days, by) is None) == (end.month == 11)
            kept_groups, kept_total = platform.kpis.table(whole, by)
            fact_groups, fact_total = platform.kpis.table(days, by)
            assert [(g.key, g.times) for g in kept_groups] == [(g.key, g.times) for g in fact_groups]
            assert kept_total.times == fact_total.times, (start, end, by, filters)
    _, both = platform.kpis.table(Scope(date(2026, 11, 1), date(2026, 12, 31)))
    # Resolutions of C4 5 h, C1 27.5 h, C2 29 h, C3 53 h and C5 (December) 25 h: the median is C5's.
    assert (both.times["resolution_n"], both.times["resolution_median"]) == (5, 99000)


def test_every_number_drills_down_to_its_cases(platform: Platform, week: Week) -> None:
    kpis = platform.kpis
    n, rows = kpis.drill(NOVEMBER, "closed_on_time")
    assert n == 2 and {r.number for r in rows} == {week.number("C1"), week.number("C4")}
    n, rows = kpis.drill(NOVEMBER, "steps_late")
    assert n == 4
    assert sorted((r.instance_id, r.element_id) for r in rows) == sorted(
        [
            (week.cases["C2"].instance_id, "handle"),
            (week.cases["C2"].instance_id, "reply"),
            (week.cases["C3"].instance_id, "reply"),
            (week.cases["C8"].instance_id, "handle"),
        ]
    )
    n, rows = kpis.drill(NOVEMBER, "registered_open", by="department", key="engineering")
    assert [r.number for r in rows] == [week.number("C8")]
    n, rows = kpis.drill(NOVEMBER, "closed_reworked")
    assert [r.number for r in rows] == [week.number("C4")]
    n, rows = kpis.drill(NOVEMBER, "escalations_2")
    assert [r.instance_id for r in rows] == [week.cases["C6"].instance_id]
    # Every counter of every group: the list is as long as the number.
    for by in (None, "department", "month"):
        groups, total = kpis.table(NOVEMBER, by)
        for group in groups or [total]:
            for figure, value in group.counts.items():
                found, _ = kpis.drill(NOVEMBER, figure, by=by, key=group.key)
                assert found == value, (by, group.key, figure)


def test_a_late_step_is_listed_with_the_deadline_it_missed(platform: Platform, week: Week) -> None:
    """C8's handling was due Thu 10:30 and moved to Fri 18:00 after that had passed; C2's handling's deadline
    fired Tue 10:30 — and its inbox row is left without a due time (as a step whose first escalation is its
    deadline has none): the drill-down list shows the deadline each one missed, never "—"."""
    c2, c8 = week.cases["C2"].instance_id, week.cases["C8"].instance_id
    handling = platform.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == c2, HumanTask.element_id == "handle")
    ).one()
    handling.due_at = None
    platform.session.flush()
    platform.kpi_refresher.refresh_instances([c2, c8])
    _, rows = platform.kpis.drill(NOVEMBER, "steps_late")
    due = {(r.instance_id, r.element_id): r.due_at for r in rows}
    assert due[(c2, "handle")] == sh(2026, 11, 24, 10, 30)
    assert due[(c8, "handle")] == sh(2026, 11, 26, 10, 30)


def test_the_refresh_follows_new_events_and_changes_nothing_run_again(
    platform: Platform, week: Week, session: Session
) -> None:
    before = [_counts(row) for row in session.scalars(select(KpiDay).order_by(*DAY_ORDER))]
    platform.kpi_refresher.refresh_instances([case.instance_id for case in week.cases.values()])
    platform.kpi_refresher.run()
    platform.session.commit()
    session.expire_all()
    assert before == [_counts(row) for row in session.scalars(select(KpiDay).order_by(*DAY_ORDER))]

    week.at(2026, 12, 1, 14, 0)
    week.step("C8", "crc", SATISFIED)  # C8 closes in December
    assert platform.kpis.table(NOVEMBER)[1].counts["registered_closed"] == 5  # not read yet
    platform.kpi_refresher.run()
    platform.session.commit()
    _, november = platform.kpis.table(NOVEMBER)
    assert november.counts["registered_closed"] == 6
    _, december = platform.kpis.table(DECEMBER)
    assert (december.counts["closed"], december.counts["closed_on_time"]) == (2, 1)

    platform.kpi_refresher.rebuild()
    platform.session.commit()
    _, rebuilt = platform.kpis.table(NOVEMBER)
    assert rebuilt.counts == november.counts
    c8 = platform.session.get(KpiCase, week.cases["C8"].instance_id)
    assert c8 is not None and (c8.status, c8.late) == ("closed", True)


def _counts(row: KpiDay) -> tuple[Any, ...]:
    return (row.day, row.process_key, row.dim, row.value, row.registered, row.closed, row.steps_on_time)


@pytest.mark.parametrize(
    ("start", "end", "by", "field"),
    [
        (date(2026, 11, 30), date(2026, 11, 1), None, "to"),
        (date(2020, 1, 1), date(2026, 11, 1), None, "to"),
        (date(2026, 11, 1), date(2026, 11, 30), "owner", "by"),
    ],
)
def test_a_question_that_makes_no_sense_is_refused(
    platform: Platform, start: date, end: date, by: str | None, field: str
) -> None:
    with pytest.raises(BadScope) as refused:
        platform.kpis.table(Scope(start, end), by)
    assert refused.value.field == field
