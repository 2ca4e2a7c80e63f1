"""`lintel bench starts`: many instances of the return visit started at once (`Runtime.start_many`), as a
campaign's launch starts them, on SQLite and PostgreSQL.

One unit of work: the platform wired around a new session, one `start_many` of every item (a visitor and
a title each, the visit's method and days shared), one commit. The instances are as a start leaves them:
state, inbox row, request number and index row, audit, and one notice per visitor. The figure is the whole
unit of work, commit included; the engine's phases are shown besides.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.databases import fresh_postgres
from crm.demo import load_demo
from crm.platform import Foundation, Platform
from engine.actors import SYSTEM
from engine.models import HumanTask, ProcessInstance
from lintel.clock import SHANGHAI, FixedClock
from webapp.database import ROOT, make_engine, upgrade

DIAGRAM = ROOT / "workflows" / "return_visit.bpmn"
VISITORS = ("crc", "crc_sup", "admin")
SHARED = {"method": "phone", "visit_days": 5, "attempts": 0}


def _prepare(url: str, clock: FixedClock) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
        Platform(session, Foundation(clock=clock)).definitions.deploy(
            DIAGRAM.read_bytes(), DIAGRAM.name, actor="bench"
        )
        session.commit()
    engine.dispose()


def _starts(url: str, instances: int) -> dict[str, Any]:
    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    _prepare(url, clock)
    engine = make_engine(url)
    foundation = Foundation(clock=clock)
    items = [
        {"visit_id": n + 1, "visitor": VISITORS[n % len(VISITORS)], "title": f"回访 第{n + 1}户"}
        for n in range(instances)
    ]
    with Session(engine) as session:  # the evaluator and the caches warm, as in a running server
        Platform(session, foundation).runtime.start_many("return_visit", SHARED, items[:2], SYSTEM)
        session.rollback()
    started = time.perf_counter()
    with Session(engine) as session:
        platform = Platform(session, foundation)
        ids = platform.runtime.start_many("return_visit", SHARED, items, SYSTEM)
        phases = dict(platform.runtime.start_many_timings)
        commit = time.perf_counter()
        session.commit()
        phases["commit"] = time.perf_counter() - commit
    seconds = time.perf_counter() - started
    with Session(engine) as session:
        running = session.scalar(
            select(func.count()).select_from(ProcessInstance).where(ProcessInstance.status == "running")
        )
        rows = session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "open"))
    engine.dispose()
    assert len(ids) == instances and running == instances and rows == instances, (len(ids), running, rows)
    return {"seconds": seconds, "per_second": instances / seconds, "phases": phases}


def run(*, instances: int, postgres_url: str | None, echo: Callable[[str], None] = print) -> dict[str, Any]:
    figures: dict[str, Any] = {"instances": instances}
    with tempfile.TemporaryDirectory() as folder:
        databases = [("sqlite", f"sqlite:///{Path(folder) / 'starts.db'}")]
        if postgres_url:
            databases.append(("postgresql", fresh_postgres(postgres_url, "lintel_bench_starts")))
        for name, url in databases:
            result = _starts(url, instances)
            figures[name] = result
            phases = ", ".join(f"{k} {v:.2f}" for k, v in result["phases"].items())
            echo(
                f"{name}: {instances} return visits started at once in {result['seconds']:.1f} s "
                f"({result['per_second']:.0f}/s); seconds per phase: {phases}"
            )
    slowest = max(figures[name]["seconds"] for name, _ in databases)
    summary = {"instances": instances, "seconds": round(slowest, 2), "per_second": round(instances / slowest)}
    for name, _ in databases:
        summary[name] = {
            "seconds": round(figures[name]["seconds"], 2),
            "per_second": round(figures[name]["per_second"]),
        }
    echo(json.dumps(summary))
    return figures
