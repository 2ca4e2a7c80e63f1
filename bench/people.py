"""`lintel bench people`: each way of finding an owner (crm.estate.search) with 100,000 owners, on SQLite and
PostgreSQL.

A project of 50 buildings and 100,000 units, each with its owner (a name from common surnames and given
names, a unique mobile, every other one an ID number), is written in bulk; every search form of the issue
is then timed (median of a few runs after a warm-up, loading included). The last line is one JSON object
`{"owners": N, "sqlite": {form: ms}, "postgresql": {form: ms}}`.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from bench.databases import fresh_postgres
from crm.estate.models import Building, Owner, Ownership, Project, Unit
from crm.estate.people import name_keys
from crm.estate.search import PeopleSearch
from webapp.database import make_engine, upgrade

DATABASE = "lintel_bench_people"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 文".split()
BUILDINGS = 50
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FORMS = {
    "phone last 4": "5678",
    "whole phone": None,  # an owner's own, filled in
    "phone typed +86": None,
    "surname": "张",
    "name": "张伟",
    "pinyin initials": "zw",
    "pinyin": "zhangwei",
    "unit with project": "湖畔苑1栋1201",
    "unit 1-1201": "1-1201",
    "unit 1栋 1201": "1栋 1201",
    "unit number alone": "1201",
    "ID last 4": None,
    "whole ID": None,
    "request number": "TS-2026-000123",
}


def _id_number(n: int) -> str:
    body = f"{330100 + n // 1000:06d}{1960 + n % 40}{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    return body + check


def _fill(engine: Engine, owners: int) -> dict[str, str]:
    rng = random.Random(10)
    names = [s + g for s in SURNAMES for g in GIVEN]
    keys = {name: name_keys(name) for name in names}
    phones = rng.sample(range(10**9), owners)
    now = datetime.now(UTC)
    with Session(engine) as session:
        project = Project(code="HPY", name="湖畔苑", city="杭州")
        session.add(project)
        session.flush()
        buildings = [Building(project_id=project.id, name=f"{b}栋") for b in range(1, BUILDINGS + 1)]
        session.add_all(buildings)
        session.flush()
        per = -(-owners // BUILDINGS)
        units = []
        for building in buildings:
            for k in range(per):
                floor, door = k // 40 + 1, k % 40 + 1
                units.append({"building_id": building.id, "number": f"{floor:02d}{door:02d}", "floor": floor})
        session.execute(insert(Unit), units[:owners])
        unit_ids = [row[0] for row in session.execute(text("SELECT id FROM units ORDER BY id"))]
        rows = []
        for n in range(owners):
            name = rng.choice(names)
            initials, pinyin = keys[name]
            rows.append(
                {
                    "id": n + 1,
                    "name": name,
                    "phone": f"13{phones[n]:09d}",
                    "tier": "regular",
                    "id_number": _id_number(n) if n % 2 == 0 else None,
                    "name_initials": initials,
                    "name_pinyin": pinyin,
                    "created_at": now,
                }
            )
        session.execute(insert(Owner), rows)
        session.execute(
            insert(Ownership),
            [
                {"owner_id": n + 1, "unit_id": unit_id, "is_contact": True, "started_on": date(2024, 1, 1)}
                for n, unit_id in enumerate(unit_ids[:owners])
            ],
        )
        session.commit()
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
    sample = rows[len(rows) // 2]
    return {
        "whole phone": sample["phone"],
        "phone typed +86": f"+86 {sample['phone'][:3]}-{sample['phone'][3:7]}-{sample['phone'][7:]}",
        "ID last 4": rows[0]["id_number"][-4:],
        "whole ID": rows[0]["id_number"],
    }


def _time(engine: Engine, forms: dict[str, str], runs: int) -> dict[str, float]:
    figures = {}
    with Session(engine) as session:
        search = PeopleSearch(session)
        for form, query in forms.items():
            search.find(query)
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                found = search.find(query)
                samples.append((time.perf_counter() - started) * 1000)
                session.expunge_all()
            figures[form] = round(statistics.median(samples), 1)
            assert found or form == "request number", form
    return figures


def run(*, owners: int, postgres_url: str, runs: int, echo: Callable[[str], None]) -> dict[str, Any]:
    result: dict[str, Any] = {"owners": owners}
    with tempfile.TemporaryDirectory() as folder:
        for kind, url in (
            ("sqlite", f"sqlite:///{Path(folder) / 'people.db'}"),
            ("postgresql", fresh_postgres(postgres_url, DATABASE)),
        ):
            engine = make_engine(url)
            upgrade(engine)
            started = time.perf_counter()
            forms = {**FORMS, **_fill(engine, owners)}
            echo(f"{kind}: {owners} owners written in {time.perf_counter() - started:.1f} s")
            figures = _time(engine, {k: v for k, v in forms.items() if v}, runs)
            for form, ms in figures.items():
                echo(f"  {form:<20} {ms:7.1f} ms")
            result[kind] = figures
            engine.dispose()
    echo(json.dumps(result, ensure_ascii=False))
    return result
