"""`lintel bench campaigns`: a campaign over 50,000 owners (one handed-over unit each, 100 buildings) with 10
visitors of the centre, launched: the visits written balanced over the visitors (one INSERT … SELECT) and
every visit's return_visit instance started by the launcher the workers run (crm.visits.launch, chunks of
500, each one transaction). `launch_seconds` is both together; the last line is one JSON object
`{"visits": N, "launch_seconds": S}`. SQLite unless --postgres-url (database lintel_bench_campaigns)."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import fresh_postgres
from crm.demo import load_organisation
from crm.estate.models import Building, Contract, Owner, Ownership, Project, Unit
from crm.models import User, UserDepartment
from crm.platform import Foundation, Platform
from crm.visits.launch import Launcher
from crm.visits.models import Campaign, Visit
from crm.visits.questionnaires import install_default
from engine.actors import Actor
from engine.models import HumanTask
from lintel.clock import FixedClock
from webapp.database import ROOT, make_engine, upgrade

DATABASE = "lintel_bench_campaigns"
BUILDINGS = 100
VISITORS = 10
FIRST_ID = 1_000_000  # clear of any record the organisation brings
TARGET_SECONDS = 30.0


def fill(session: Session, owners: int, now: datetime) -> list[str]:
    """The project, its owners (handed over), and the visitors; the visitors' usernames."""
    project = Project(code="BCH", name="回访花园", city="杭州")
    session.add(project)
    session.flush()
    buildings = [Building(project_id=project.id, name=f"{b}栋") for b in range(1, BUILDINGS + 1)]
    session.add_all(buildings)
    session.flush()
    per = -(-owners // BUILDINGS)
    ids = range(FIRST_ID, FIRST_ID + owners)
    session.execute(
        insert(Unit),
        [
            {
                "id": i,
                "building_id": buildings[(i - FIRST_ID) // per].id,
                "number": f"{i % per:04d}",
                "floor": 1,
            }
            for i in ids
        ],
    )
    session.execute(
        insert(Contract),
        [
            {
                "id": i,
                "number": f"BCH-{i}",
                "unit_id": i,
                "signed_on": date(2024, 3, 1),
                "handed_over_on": date(2026, 6, 1),
                "status": "handed_over",
            }
            for i in ids
        ],
    )
    session.execute(
        insert(Owner),
        [
            {
                "id": i,
                "name": f"业主{i}",
                "phone": f"139{i:08d}",
                "tier": "regular",
                "name_initials": "",
                "name_pinyin": "",
                "created_at": now,
            }
            for i in ids
        ],
    )
    session.execute(
        insert(Ownership),
        [{"owner_id": i, "unit_id": i, "is_contact": True, "started_on": date(2026, 6, 1)} for i in ids],
    )
    names = [f"visitor{n:02d}" for n in range(1, VISITORS + 1)]
    users = [
        User(username=u, display_name=f"回访专员{u[-2:]}", password_hash="!", roles="coordinator")
        for u in names
    ]
    session.add_all(users)
    session.flush()
    session.execute(insert(UserDepartment), [{"user_id": u.id, "department_code": "crc"} for u in users])
    return names


def _measure(url: str, owners: int, echo: Callable[[str], None]) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    foundation = Foundation(clock=clock)
    started = time.perf_counter()
    with sessions.begin() as session:
        load_organisation(session)
        install_default(session, clock)
        platform = Platform(session, foundation)
        name = "return_visit.bpmn"
        platform.definitions.deploy((ROOT / "workflows" / name).read_bytes(), name, actor="bench")
        visitors = fill(session, owners, clock.now())
        project_id = session.scalar(select(Project.id).where(Project.code == "BCH"))
        campaign = platform.campaigns.create(
            {
                "name": "交付回访（压测）",
                "kind": "thematic",
                "method": "phone",
                "questionnaire_id": platform.campaigns.questionnaires()[0].id,
                "visitors": visitors,
                "audience": {"project_ids": [project_id]},
            },
            Actor("bench"),
        )
        campaign_id = campaign.id
    echo(f"  {owners:,} owners and {VISITORS} visitors written in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    launcher = Launcher(sessions, lambda s: Platform(s, foundation).runtime, clock)
    started = time.perf_counter()
    with sessions.begin() as session:
        Platform(session, foundation).campaigns.launch(campaign_id, Actor("bench"))
    written = time.perf_counter() - started
    report = launcher.run_once()
    seconds = time.perf_counter() - started
    with Session(engine) as session:
        status, total, count = session.execute(
            select(Campaign.status, Campaign.total, Campaign.started).where(Campaign.id == campaign_id)
        ).one()
        loads = dict(
            session.execute(
                select(HumanTask.assignee, func.count())
                .where(HumanTask.state == "open", HumanTask.assignee.in_(visitors))
                .group_by(HumanTask.assignee)
            ).all()
        )
        opened = session.scalar(
            select(func.count()).where(Visit.campaign_id == campaign_id, Visit.status == "open")
        )
    engine.dispose()
    if status != "running" or total != owners or count != owners or opened != owners:
        raise RuntimeError(f"campaign {status}: {count} of {total} started, {opened} open, {owners} owners")
    if report.started != owners or max(loads.values()) - min(loads.values()) > 1:
        raise RuntimeError(f"{report.started} started; loads {loads}")
    echo(
        f"  {owners:,} visits written in {written:.1f} s, all started in {seconds:.1f} s "
        f"({owners / seconds:,.0f}/s); calls per visitor {min(loads.values()):,}–{max(loads.values()):,}"
    )
    return {"visits": owners, "launch_seconds": round(seconds, 1), "write_seconds": round(written, 2)}


def run(*, owners: int, postgres_url: str | None, echo: Callable[[str], None]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        kind = "postgresql" if postgres_url else "sqlite"
        url = (
            fresh_postgres(postgres_url, DATABASE)
            if postgres_url
            else f"sqlite:///{Path(folder) / 'campaigns.db'}"
        )
        echo(f"a campaign over {owners:,} owners, {kind}:")
        figures = _measure(url, owners, echo)
    echo(f"  launch {figures['launch_seconds']:.1f} s (aim ≤ {TARGET_SECONDS:.0f} s)")
    result = {"visits": figures["visits"], "launch_seconds": figures["launch_seconds"]}
    echo(json.dumps(result))
    return result
