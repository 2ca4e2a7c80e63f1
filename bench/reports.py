"""`lintel bench reports`: the three defect reports (crm.handover.reports) with 100,000 defects, on SQLite and
PostgreSQL.

A project of 20 buildings and 6,000 units with five contractors gets 100,000 defects written in bulk —
categories from the default catalogue, every state of the loop, deadlines met and missed, rework rounds,
found over two months. Each report is then written to memory as a reader downloads it: the housing bureau's
summary and the defect-feedback report of the whole project, the defect list of one building, and the
defect list of all 100,000 (median of a few runs after a warm-up; the whole list once). The last line is
one JSON object `{"defects": N, "sqlite": {report: ms}, "postgresql": {report: ms}}`.
"""

from __future__ import annotations

import io
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from bench.databases import fresh_postgres
from crm.estate.models import Building, Contractor, Project, Unit
from crm.handover.catalogue import DEFAULT_CATALOGUE
from crm.handover.models import Defect
from crm.handover.report_scope import ReportScope
from crm.handover.reports import DefectReports, Names
from lintel.clock import FixedClock
from webapp.database import make_engine, upgrade
from webapp.pages.handover_labels import DEFECT_STATUS, SEVERITY, SOURCE

DATABASE = "lintel_bench_reports"
BUILDINGS = 20
UNITS_PER_BUILDING = 300
CONTRACTORS = 5
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
# How the defects of a project two months after its open day stand.
STATES = (
    ("closed", 45),
    ("confirming", 10),
    ("verifying", 10),
    ("rectifying", 25),
    ("assigning", 8),
    ("cancelled", 2),
)
NAMES = Names(DEFECT_STATUS, SEVERITY, SOURCE)


def _fill(engine: Engine, defects: int) -> tuple[int, int]:
    """Write the project and its defects; returns the project's and one building's id."""
    rng = random.Random(12)
    states = [state for state, weight in STATES for _ in range(weight)]
    with Session(engine) as session:
        project = Project(code="BMK", name="基准花园", city="杭州")
        session.add(project)
        session.flush()
        buildings = [Building(project_id=project.id, name=f"{b}栋") for b in range(1, BUILDINGS + 1)]
        session.add_all(buildings)
        contractors = [Contractor(name=f"基准承建商{c}", trades=["土建"]) for c in range(1, CONTRACTORS + 1)]
        session.add_all(contractors)
        session.flush()
        session.execute(
            insert(Unit),
            [
                {"building_id": b.id, "number": f"{k // 4 + 1:02d}{k % 4 + 1:02d}", "floor": k // 4 + 1}
                for b in buildings
                for k in range(UNITS_PER_BUILDING)
            ],
        )
        units = session.execute(select(Unit.id, Unit.building_id)).all()
        batch = []
        for n in range(defects):
            unit_id, building_id = rng.choice(units)
            category, part, item, severity, days = rng.choice(DEFAULT_CATALOGUE)
            status = rng.choice(states)
            found = NOW - timedelta(days=60) + timedelta(minutes=rng.randrange(60 * 24 * 55))
            due = found + timedelta(days=days)
            assigned = status not in ("assigning", "cancelled")
            rectified = (
                found + timedelta(days=rng.uniform(1, days * 1.4))
                if status in ("verifying", "confirming", "closed")
                else None
            )
            closed = (
                rectified + timedelta(days=rng.uniform(1, 4)) if status == "closed" and rectified else None
            )
            batch.append(
                {
                    "number": f"ZG-2026-{n + 1:06d}",
                    "project_id": project.id,
                    "building_id": building_id,
                    "unit_id": unit_id,
                    "source": "open_day",
                    "room": "客厅",
                    "category": category,
                    "part": part,
                    "item": item,
                    "description": f"{part}{item}",
                    "severity": severity,
                    "status": status,
                    "assignee": None,
                    "contractor_id": rng.choice(contractors).id if assigned and rng.random() < 0.85 else None,
                    "due_at": due if assigned else None,
                    "rounds": rng.choice((0, 0, 0, 0, 1, 1, 2)) if assigned else 0,
                    "created_at": found,
                    "created_by": "eng",
                    "rectified_at": rectified,
                    "verified_at": rectified + timedelta(hours=20)
                    if rectified and status != "verifying"
                    else None,
                    "closed_at": closed,
                }
            )
            if len(batch) == 5000:
                session.execute(insert(Defect), batch)
                batch = []
        if batch:
            session.execute(insert(Defect), batch)
        session.commit()
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        return project.id, buildings[0].id


def _time(engine: Engine, project_id: int, building_id: int, runs: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with Session(engine) as session:
        reports = DefectReports(session, FixedClock(NOW))
        project = session.get(Project, project_id)
        building = session.get(Building, building_id)
        cases: list[tuple[str, str, ReportScope, int]] = [
            ("summary", "summary", ReportScope(project=project), runs),
            ("feedback", "feedback", ReportScope(project=project), runs),
            ("defect list, one building", "defects", ReportScope(building=building), runs),
            ("defect list, all", "defects", ReportScope(project=project), 1),
        ]
        for label, kind, scope, repeat in cases:
            reports.write(kind, scope, NAMES, io.BytesIO())
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                reports.write(kind, scope, NAMES, io.BytesIO())
                samples.append((time.perf_counter() - started) * 1000)
                session.expunge_all()
            figures[label] = round(statistics.median(samples), 1)
    return figures


def run(*, defects: int, postgres_url: str, runs: int, echo: Callable[[str], None]) -> dict[str, Any]:
    result: dict[str, Any] = {"defects": defects}
    with tempfile.TemporaryDirectory() as folder:
        for kind, url in (
            ("sqlite", f"sqlite:///{Path(folder) / 'reports.db'}"),
            ("postgresql", fresh_postgres(postgres_url, DATABASE)),
        ):
            engine = make_engine(url)
            upgrade(engine)
            started = time.perf_counter()
            project_id, building_id = _fill(engine, defects)
            echo(f"{kind}: {defects} defects written in {time.perf_counter() - started:.1f} s")
            figures = _time(engine, project_id, building_id, runs)
            for label, ms in figures.items():
                echo(f"  {label:<28} {ms:9.1f} ms")
            result[kind] = figures
            engine.dispose()
    echo(json.dumps(result, ensure_ascii=False))
    return result
