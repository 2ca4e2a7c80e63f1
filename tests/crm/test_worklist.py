"""The worklist under the inbox pages: ordering, keyset paging across departments, counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.worklist import WorklistFilter
from engine.actors import Actor
from engine.errors import Forbidden, InvalidData
from tests.webapp.pages_support import TRIAGE, complete, open_task, register


def walk(platform, who: Actor, worklist_filter: WorklistFilter, limit: int) -> list[int]:  # type: ignore[no-untyped-def]
    ids: list[int] = []
    after = None
    while True:
        page = platform.worklist.page(who, worklist_filter, after=after, limit=limit)
        ids.extend(row.task.id for row in page.rows)
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


def test_pages_of_two_walk_two_departments_in_due_order_with_undated_tasks_last(platform, clock) -> None:
    now = clock.now()
    dues = [
        now + timedelta(hours=5),
        None,
        now - timedelta(days=1),
        now + timedelta(hours=5),
        None,
        now,
        now + timedelta(days=3),
    ]
    complaints = [register(platform) for _ in dues]
    for index, complaint in enumerate(complaints):
        if index % 2:  # every other one moves on to engineering
            complete(platform, complaint.instance_id, "crc", TRIAGE)
    rows = []
    for complaint, due in zip(complaints, dues, strict=True):
        row = open_task(platform, complaint.instance_id)
        row.due_at = due
        rows.append(row)
    platform.session.commit()
    both = Actor("both", frozenset({"crc", "engineering"}))
    dated = sorted((r for r in rows if r.due_at is not None), key=lambda r: (r.due_at, r.id))
    expected = [r.id for r in dated] + sorted(r.id for r in rows if r.due_at is None)
    for limit in (1, 2, 3, 50):
        assert walk(platform, both, WorklistFilter(), limit) == expected, limit
    only_crc = [r.id for r in rows if r.department == "crc"]
    assert walk(platform, Actor("c", frozenset({"crc"})), WorklistFilter(), 2) == [
        i for i in expected if i in only_crc
    ]
    overdue = platform.worklist.page(both, WorklistFilter(due="overdue")).rows
    assert [r.task.id for r in overdue] == [rows[2].id] and overdue[0].overdue


def test_counts_for_the_home_page(platform, clock) -> None:
    first, second, third = (register(platform) for _ in range(3))
    now = clock.now()
    open_task(platform, first.instance_id).due_at = now - timedelta(minutes=1)
    open_task(platform, second.instance_id).due_at = now + timedelta(hours=1)
    open_task(platform, third.instance_id).due_at = now + timedelta(days=2)
    open_task(platform, third.instance_id).assignee = "crc"
    platform.session.commit()
    counts = platform.worklist.counts(Actor("crc", frozenset({"crc"})))
    assert (counts.mine, counts.unclaimed, counts.overdue, counts.due_today) == (1, 2, 1, 1)
    by_department = {
        code: (open_, late) for code, _name, open_, late in platform.worklist.overdue_by_department()
    }
    assert by_department["crc"] == (3, 1) and by_department["engineering"] == (0, 0)


def test_a_department_outside_ones_own_is_refused_and_filters_are_checked(platform) -> None:
    with pytest.raises(Forbidden):
        platform.worklist.page(Actor("eng", frozenset({"engineering"})), WorklistFilter(department="crc"))
    with pytest.raises(InvalidData) as refused:
        WorklistFilter.parse({"status": "gone", "due": "never", "q": "x" * 200})
    assert set(refused.value.fields) == {"status", "due", "q"}
    with pytest.raises(InvalidData):
        platform.worklist.page(Actor("crc", frozenset({"crc"})), WorklistFilter(), after="a.1.x")
    assert WorklistFilter.parse({"status": "unclaimed", "q": " 1201 ", "junk": "1"}).as_query() == {
        "status": "unclaimed",
        "q": "1201",
    }
