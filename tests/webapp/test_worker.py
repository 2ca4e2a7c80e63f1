"""Timer workers as separate processes: a timer that fell due while everything was down fires on start, and
two workers against one PostgreSQL database never fire the same timer twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.directory import actor_for
from crm.platform import Foundation, Platform
from engine.models import AuditEvent, HumanTask
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import fresh_database_url, prepare
from webapp.database import make_engine

LINTEL = str(Path(sys.executable).with_name("lintel"))
LONG_AGO = datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI)


def committed_complaints(url: str, count: int) -> list[int]:
    """`count` complaints registered long ago, so every triage timer is overdue now."""
    engine = make_engine(url)
    clock = FixedClock(LONG_AGO)
    prepare(engine, clock)
    with Session(engine) as session:
        platform = Platform(session, Foundation(clock=clock))
        crc = actor_for(platform.directory.user("crc"))
        ids = [
            platform.complaints.register(
                crc, channel="hotline", description=f"报修 {n}", owner_phone="13800000004"
            ).instance_id
            for n in range(count)
        ]
        session.commit()
    engine.dispose()
    return ids


def env(url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LINTEL_DATABASE_URL": url,
        "LINTEL_INSTANCE_PATH": str(folder),
        "LINTEL_TIMER_POLL_SECONDS": "0.5",
    }


def counts(url: str, kind: str) -> dict[int, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEvent.instance_id, func.count())
            .where(AuditEvent.kind == kind)
            .group_by(AuditEvent.instance_id)
        ).all()
    engine.dispose()
    return dict(rows)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_timer_that_fell_due_while_down_fires_when_the_worker_starts(kind: str, tmp_path: Path) -> None:
    url = fresh_database_url(kind, tmp_path, name="worker")
    (instance_id,) = committed_complaints(url, 1)
    worker = subprocess.Popen(
        [LINTEL, "worker"],
        env=env(url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and counts(url, "task.escalated").get(instance_id, 0) < 2:
            time.sleep(0.3)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert counts(url, "task.escalated") == {instance_id: 2}, output  # levels 2 and 3 of the triage ladder
    assert counts(url, "task.reminder") == {instance_id: 1}
    engine = make_engine(url)
    with Session(engine) as session:
        escalations = session.scalars(select(HumanTask).where(HumanTask.kind == "escalation")).all()
        assert sorted((e.escalation_level, e.department, e.assignee) for e in escalations) == [
            (2, "crc", "crc_sup"),
            (3, "group_crc", "group_crc"),
        ]
    engine.dispose()


def test_two_workers_on_postgresql_never_fire_a_timer_twice(tmp_path: Path) -> None:
    url = fresh_database_url("postgresql", tmp_path, name="workers")
    instance_ids = committed_complaints(url, 60)
    command = [LINTEL, "worker", "--once", "--batch", "4"]
    workers = [
        subprocess.Popen(
            command, env=env(url, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    fired = [int(re.search(r"fired (\d+) timers", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(fired) == len(instance_ids)
    assert counts(url, "task.reminder") == {i: 1 for i in instance_ids}
    assert counts(url, "task.escalated") == {i: 2 for i in instance_ids}


def test_two_people_claiming_the_same_task_at_once_cannot_both_win(tmp_path: Path) -> None:
    from engine.errors import Conflict

    url = fresh_database_url("postgresql", tmp_path, name="race")
    (instance_id,) = committed_complaints(url, 1)
    engine = make_engine(url)
    foundation = Foundation(clock=FixedClock(LONG_AGO))
    with Session(engine) as first, Session(engine) as second:
        one, two = Platform(first, foundation), Platform(second, foundation)
        task_id = one.tasks.open_tasks_of(instance_id)[0].id
        crc, sup = actor_for(one.directory.user("crc")), actor_for(two.directory.user("crc_sup"))
        seen = two.tasks.get(task_id, sup)  # both have seen it unclaimed
        assert seen.assignee is None
        one.tasks.claim(task_id, crc)
        first.commit()
        with pytest.raises(Conflict, match="someone else"):
            two.tasks.claim(task_id, sup)
        second.rollback()
        assert two.tasks.get(task_id, sup).assignee == "crc"
    engine.dispose()
