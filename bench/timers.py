"""`lintel bench timers`: the timer job on PostgreSQL with 1,000,000 pending timers.

Setup: a fresh database `lintel_bench_timers`; 990,000 instances whose timers are due over the next year
(filler rows: their state is never loaded), and 10,000 real instances cloned from one started through the
engine (fresh task ids each), each with two reminder timers.
1. Acquisition: the worker's `SELECT ... FOR UPDATE SKIP LOCKED LIMIT 50` timed on that table.
2. Burst: the first timer of all 10,000 is already due; two `lintel worker` processes drain them (fires/s).
3. Stream: the second timers fall due evenly over STREAM_SECONDS while the workers run; lateness is the
   audit time of each firing minus its due moment (p50/p99).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from bench.engine import _fresh_database
from crm.demo import load_organisation
from crm.platform import Foundation, Platform
from engine.actors import SYSTEM
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.timers import acquire_due
from webapp.database import make_engine, upgrade

DIAGRAM = Path(__file__).with_name("timer_bench.bpmn")
FAR = "2100-01-01T00:00:00+00:00"
LATER = "2099-01-01T00:00:00+00:00"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STREAM_SECONDS = 40


def _template(engine: Engine) -> tuple[int, dict[str, Any], dict[str, Any]]:
    upgrade(engine)
    foundation = Foundation()
    with Session(engine) as session:
        load_organisation(session)
        platform = Platform(session, foundation)
        platform.definitions.deploy(DIAGRAM.read_bytes(), DIAGRAM.name, actor="bench")
        instance = platform.runtime.start("timer_bench", {"first_due": LATER, "second_due": FAR}, SYSTEM)
        session.commit()
        row = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).one()
        columns = {c.key: getattr(instance, c.key) for c in ProcessInstance.__table__.columns}
        task = {c.key: getattr(row, c.key) for c in HumanTask.__table__.columns}
        return instance.id, columns, task


def _clone(
    engine: Engine, template: dict[str, Any], task: dict[str, Any], count: int, first_id: int, due: datetime
) -> None:
    """`count` copies of the template instance, each with fresh task ids and its first timer due at `due`."""
    template = {**template, "state": template["state"].replace(LATER, due.isoformat()), "next_timer_at": due}
    ids = sorted(set(UUID_RE.findall(template["state"])))
    rows, tasks = [], []
    for n in range(count):
        mapping = {old: str(uuid.uuid4()) for old in ids}
        state = UUID_RE.sub(lambda m, ids=mapping: ids.get(m.group(0), m.group(0)), template["state"])
        instance_id = first_id + n
        rows.append({**template, "id": instance_id, "state": state})
        tasks.append(
            {**task, "id": None, "instance_id": instance_id, "task_guid": mapping[task["task_guid"]]}
        )
    for row in tasks:
        row.pop("id")
    with engine.begin() as connection:
        for start in range(0, count, 2000):
            connection.execute(insert(ProcessInstance.__table__), rows[start : start + 2000])
            connection.execute(insert(HumanTask.__table__), tasks[start : start + 2000])


def _fill(engine: Engine, definition_id: int, first_id: int, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("""
            INSERT INTO process_instances (id, definition_id, process_key, status, state, revision,
                                           started_at, updated_at, next_timer_at)
            SELECT g, :definition, 'timer_bench', 'running', '{}', 1, now(), now(),
                   now() + interval '1 day' + (g % 31536000) * interval '1 second'
            FROM generate_series(:first, :last) AS g
        """),
            {"definition": definition_id, "first": first_id, "last": first_id + count - 1},
        )
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('process_instances', 'id'), :top)"),
            {"top": first_id + count},
        )
        connection.execute(text("ANALYZE process_instances"))


def _acquisition_ms(engine: Engine) -> float:
    samples = []
    for _ in range(20):
        with Session(engine) as session:
            started = time.perf_counter()
            acquire_due(session, datetime.now(UTC), 50)
            samples.append((time.perf_counter() - started) * 1000)
            session.rollback()
    return statistics.median(samples)


def _reminders(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).where(AuditEvent.kind == "task.reminder")) or 0


def _wait_for(engine: Engine, target: int, limit: float) -> float:
    started = time.perf_counter()
    while _reminders(engine) < target and time.perf_counter() - started < limit:
        time.sleep(0.05)
    return time.perf_counter() - started


def _drain_rate(engine: Engine, target: int, limit: float) -> tuple[int, float]:
    """Timers fired per second from the first firing seen to the last (worker start-up excluded)."""
    _wait_for(engine, 1, limit)
    first = _reminders(engine)
    seconds = _wait_for(engine, target, limit)
    fired = _reminders(engine)
    return fired, (fired - first) / seconds if seconds > 0 else float("nan")


def run(
    *,
    postgres_url: str,
    pending: int = 1_000_000,
    due: int = 10_000,
    workers: int = 2,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    url = _fresh_database(postgres_url, "lintel_bench_timers")
    engine = make_engine(url)
    echo(f"setting up {pending:,} pending timers ({due:,} due) in lintel_bench_timers ...")
    past = datetime.now(UTC) - timedelta(minutes=5)
    template_id, template, task = _template(engine)
    _clone(engine, template, task, due, template_id + 1, past)
    _fill(engine, template["definition_id"], template_id + due + 1, pending - due)
    acquisition = _acquisition_ms(engine)
    echo(f"acquisition query (FOR UPDATE SKIP LOCKED LIMIT 50 over {pending:,} rows): {acquisition:.1f} ms")

    env = {**os.environ, "LINTEL_DATABASE_URL": url, "LINTEL_TIMER_POLL_SECONDS": "0.2"}
    command = [sys.executable, "-m", "webapp.cli", "worker", "--batch", "50"]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    try:
        fired, fires_per_s = _drain_rate(engine, due, 900)
        echo(f"burst: {fired:,} due timers fired by {workers} workers at {fires_per_s:.0f} fires/s")

        start = datetime.now(UTC) + timedelta(seconds=3)
        with engine.begin() as connection:
            rows = connection.execute(
                text("SELECT id FROM process_instances WHERE state LIKE :far ORDER BY id"),
                {"far": f"%{FAR}%"},
            ).all()
            dues = {
                row.id: start + timedelta(seconds=STREAM_SECONDS * n / len(rows))
                for n, row in enumerate(rows)
            }
            connection.execute(
                text(
                    "UPDATE process_instances SET state = replace(state, :far, :due), next_timer_at = :at "
                    "WHERE id = :id"
                ),
                [{"far": FAR, "due": d.isoformat(), "at": d, "id": i} for i, d in dues.items()],
            )
        _wait_for(engine, fired + len(dues), STREAM_SECONDS + 120)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    with Session(engine) as session:
        events = session.execute(
            select(AuditEvent.instance_id, AuditEvent.at).where(
                AuditEvent.kind == "task.reminder", AuditEvent.data["timer"].as_string() == "第二次提醒"
            )
        ).all()
    engine.dispose()
    lateness = sorted((at - dues[i]).total_seconds() for i, at in events if i in dues)
    p50 = lateness[len(lateness) // 2] if lateness else float("nan")
    p99 = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))] if lateness else float("nan")
    echo(
        f"stream: {len(lateness):,} timers due over {STREAM_SECONDS} s; "
        f"lateness p50 {p50:.2f} s, p99 {p99:.2f} s"
    )
    figures = {
        "pending": pending,
        "due": due,
        "workers": workers,
        "acquisition_ms": round(acquisition, 2),
        "fires_per_s": round(fires_per_s, 1),
        "stream_fired": len(lateness),
        "lateness_p50_s": round(p50, 3),
        "lateness_p99_s": round(p99, 3),
    }
    echo(json.dumps(figures))
    return figures
