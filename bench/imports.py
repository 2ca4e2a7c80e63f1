"""`lintel bench import`: 100,000 units with their owners and contracts imported from CSV files through
the import code the CLI and the import page use (read, check every row, write batch by batch, commit after
each batch), into a fresh SQLite file and a fresh PostgreSQL database (`lintel_bench_import`).

The files are generated first (not timed): one project, buildings of 32 floors × 4 doors, every unit with a
layout and an area, an owner per unit (every tenth unit a co-owner too, half of the owners with an ID
number), a contract per unit in every state. The time of each kind is printed; the last line is one JSON
object with the total per database.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bench.databases import fresh_postgres
from crm.estate.import_files import read_table
from crm.estate.imports import Importer, ImportReport
from lintel.clock import SHANGHAI, FixedClock
from webapp.database import make_engine, upgrade

DATABASE = "lintel_bench_import"
TARGET_SECONDS = 60.0
KINDS = ("projects", "units", "owners", "contracts")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def id_number(n: int) -> str:
    body = f"330106{1960 + n % 40:04d}{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def generate(units: int) -> dict[str, bytes]:
    """The four files of one project with `units` units."""
    projects = [["project_code", "project_name", "city"], ["BENCH", "基准花园", "杭州"]]
    unit_rows: list[list[object]] = [
        ["project_code", "building", "unit_number", "floor", "layout", "area_m2", "phase"]
    ]
    owner_rows: list[list[object]] = [
        ["project_code", "building", "unit_number", "owner_name", "phone", "id_number", "is_contact"]
    ]
    contract_rows: list[list[object]] = [
        [
            "project_code",
            "building",
            "unit_number",
            "contract_number",
            "signed_on",
            "planned_handover_on",
            "handed_over_on",
            "cancelled_on",
        ]
    ]
    signed = date(2024, 1, 1)
    for n in range(units):
        building = f"{n // 128 + 1}栋"
        floor = n % 128 // 4 + 1
        number = f"{floor:02d}{n % 4 + 1:02d}"
        layout = "ABCD"[n % 4]
        unit_rows.append(
            ["BENCH", building, number, floor, layout, f"{80 + n % 4 * 15}.50", f"{n // 25_000 + 1}期"]
        )
        name = SURNAMES[n % 20] + GIVEN[n // 20 % 20] + (GIVEN[n // 400 % 20] if n % 3 else "")
        owner_rows.append(["BENCH", building, number, name, f"139{n:08d}", id_number(n) if n % 2 else "", 1])
        if n % 10 == 0:
            owner_rows.append(["BENCH", building, number, "共" + name, f"137{n:08d}", "", 0])
        day = signed + timedelta(days=n % 700)
        handed = (day + timedelta(days=400)).isoformat() if n % 3 == 0 else ""
        cancelled = (day + timedelta(days=30)).isoformat() if n % 50 == 7 else ""
        contract_rows.append(
            ["BENCH", building, number, f"B-{n:07d}", day.isoformat(), "2026-06-30", handed, cancelled]
        )
    return {
        "projects": _csv(projects),
        "units": _csv(unit_rows),
        "owners": _csv(owner_rows),
        "contracts": _csv(contract_rows),
    }


def import_all(url: str, files: dict[str, bytes], echo: Callable[[str], None]) -> dict[str, float]:
    """Import the files in order into a fresh schema; seconds per kind and in all."""
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    seconds: dict[str, float] = {}
    with Session(engine) as session:
        for kind in KINDS:
            started, cpu = time.perf_counter(), time.process_time()
            table = read_table(f"{kind}.csv", files[kind])
            report: ImportReport = Importer(session, clock).run(
                kind, table, after_batch=lambda _report: session.commit()
            )
            session.commit()
            seconds[kind] = time.perf_counter() - started
            seconds[f"{kind}_cpu"] = time.process_time() - cpu
            counts = report.summary()
            echo(
                f"  {kind:<10} {report.done:>7} rows {seconds[kind]:6.1f} s "
                f"({seconds[f'{kind}_cpu']:5.1f} s CPU in this process)  "
                f"created {counts['created']}, skipped {counts['skipped']}"
            )
            if counts["skipped"]:
                echo(f"  first problem: line {report.problems[0].line}: {report.problems[0].message}")
    engine.dispose()
    seconds["total"] = sum(seconds[k] for k in KINDS)
    seconds["cpu"] = sum(seconds[f"{k}_cpu"] for k in KINDS)
    return seconds


def run(*, units: int, postgres_url: str, echo: Callable[[str], None]) -> dict[str, object]:
    echo(f"generating {units:,} units with owners and contracts …")
    files = generate(units)
    echo("  " + ", ".join(f"{k} {len(v) / 1e6:.1f} MB" for k, v in files.items()))
    results: dict[str, object] = {"units": units}
    with tempfile.TemporaryDirectory() as folder:
        echo("SQLite:")
        sqlite = import_all(f"sqlite:///{Path(folder) / 'bench.db'}", files, echo)
        echo(f"  total {sqlite['total']:.1f} s, {sqlite['cpu']:.1f} s CPU (target ≤ {TARGET_SECONDS:.0f} s)")
        results["sqlite"] = {"seconds": round(sqlite["total"], 1)}
    echo("PostgreSQL:")
    postgres = import_all(fresh_postgres(postgres_url, DATABASE), files, echo)
    echo(
        f"  total {postgres['total']:.1f} s, {postgres['cpu']:.1f} s CPU here "
        f"(target ≤ {TARGET_SECONDS:.0f} s)"
    )
    results["postgresql"] = {"seconds": round(postgres["total"], 1)}
    echo(json.dumps(results))
    return results
