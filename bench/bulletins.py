"""The notice part of `lintel bench notices`: an approved progress notice to 100,000 owners, queued by the
sender the workers run (crm.bulletins.sending: chunks of 2,000, each one transaction) and then dispatched
to a recording channel by the dispatcher, on a fresh SQLite file and a fresh PostgreSQL database
(`lintel_bench_bulletins`).

The owners are one project's signed buyers, each with a mobile and an email; most keep the kind's defaults
(SMS and in-app), every tenth chose SMS, email and in-app, every fiftieth email only, every twentieth
不接收. The approval is written as the workflow leaves it (the notice `sending`, its recipients written by
INSERT … SELECT from the audience query), so only the sending and the dispatching are timed."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import fresh_postgres
from crm.bulletins.bulletins import recipients_of
from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.bulletins.sending import Sender
from crm.estate.models import Building, Contract, Owner, Ownership, Project, Unit
from crm.messaging.config import MessagingConfig
from crm.messaging.models import OwnerNoticePreference
from lintel.clock import FixedClock
from notifications.channels import RecordingChannel
from notifications.dispatch import Dispatcher
from notifications.models import InAppMessage, OutboxMessage
from notifications.quiet import QuietHours
from webapp.database import make_engine, upgrade

DATABASE = "lintel_bench_bulletins"
BUILDINGS = 100
KIND = "bulletin.progress"
TARGET = {"queued_per_s": 5_000, "dispatched_per_s": 2_000}
BODY = (
    "湖畔苑12月工程进度如下：\n1栋：主体封顶，整体完成65%。本月完成屋面防水，外立面石材开始安装。\n"
    "2栋：外立面施工，整体完成58%。\n\n各楼栋的现场照片和往期通报可在业主服务页查看。感谢您的关注与支持！"
)


class Wiring:
    """What the sender reads of the process (crm.platform.Foundation): the clock and the messaging."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.messaging = MessagingConfig(public_url="https://crm.example.com", quiet=QuietHours())


def _choice(n: int) -> str | None:
    if n % 20 == 1:
        return ""  # 不接收
    if n % 50 == 2:
        return "email"
    if n % 10 == 0:
        return "sms,email,inapp"
    return None


def fill(sessions: sessionmaker[Session], owners: int, now: datetime) -> int:
    """The project, its buyers and the approved notice; the notice's id."""
    with sessions.begin() as session:
        project = Project(code="HPY", name="湖畔苑", city="杭州")
        session.add(project)
        session.flush()
        buildings = [Building(project_id=project.id, name=f"{b}栋") for b in range(1, BUILDINGS + 1)]
        session.add_all(buildings)
        session.flush()
        per = -(-owners // BUILDINGS)
        units = [
            {"id": n + 1, "building_id": buildings[n // per].id, "number": f"{n % per:04d}", "floor": 1}
            for n in range(owners)
        ]
        session.execute(insert(Unit), units)
        session.execute(
            insert(Contract),
            [
                {
                    "number": f"HPY-{n:06d}",
                    "unit_id": n + 1,
                    "signed_on": date(2025, 3, 1),
                    "status": "signed",
                }
                for n in range(owners)
            ],
        )
        session.execute(
            insert(Owner),
            [
                {
                    "id": n + 1,
                    "name": f"业主{n}",
                    "phone": f"139{n:08d}",
                    "email": f"owner{n}@example.com",
                    "tier": "regular",
                    "name_initials": "",
                    "name_pinyin": "",
                    "created_at": now,
                }
                for n in range(owners)
            ],
        )
        session.execute(
            insert(Ownership),
            [
                {"owner_id": n + 1, "unit_id": n + 1, "is_contact": True, "started_on": date(2025, 3, 1)}
                for n in range(owners)
            ],
        )
        chosen = [(n, _choice(n)) for n in range(owners)]
        session.execute(
            insert(OwnerNoticePreference),
            [
                {"owner_id": n + 1, "kind": KIND, "channels": c, "updated_at": now, "updated_by": "owner"}
                for n, c in chosen
                if c is not None
            ],
        )
        bulletin = Bulletin(
            kind="progress",
            project_id=project.id,
            period="2026-12",
            status="sending",
            title="湖畔苑2026年12月楼盘进度通报",
            body=BODY,
            sms_text="【湖畔苑】12月工程进度：1栋主体封顶（65%），2栋外立面施工（58%）。",
            created_by="system",
            created_at=now,
            updated_at=now,
            approved_by="crc_sup",
            approved_at=now,
        )
        session.add(bulletin)
        session.flush()
        audience = recipients_of(bulletin).subquery()
        session.execute(
            insert(BulletinRecipient).from_select(
                ["bulletin_id", "owner_id"], select(literal(bulletin.id), audience.c.owner_id)
            )
        )
        bulletin.recipients_total = owners
        return bulletin.id


def _measure(url: str, owners: int, echo: Callable[[str], None]) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai: no quiet hours
    started = time.perf_counter()
    bulletin_id = fill(sessions, owners, clock.now())
    echo(f"  {owners:,} owners and the approved notice written in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    started = time.perf_counter()
    report = Sender(sessions, Wiring(clock)).run_once()
    queue_seconds = time.perf_counter() - started
    with Session(engine) as session:
        outbox = (
            session.scalar(select(func.count()).where(OutboxMessage.ref == f"bulletin:{bulletin_id}")) or 0
        )
        inapp = session.scalar(select(func.count()).select_from(InAppMessage)) or 0
        status = session.scalar(select(Bulletin.status).where(Bulletin.id == bulletin_id))
    if report.recipients != owners or status != "sent" or outbox + inapp != report.messages:
        raise RuntimeError(f"{report.recipients} of {owners} queued, notice {status}, {outbox}+{inapp} rows")
    echo(
        f"  {report.recipients:,} owners' {report.messages:,} messages queued in {queue_seconds:.1f} s "
        f"({outbox:,} to send, {inapp:,} in-app)"
    )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE outbox_messages"))
    recording = RecordingChannel()
    dispatcher = Dispatcher(sessions, {"sms": recording, "email": recording}, clock, quiet=QuietHours())
    started = time.perf_counter()
    sent = dispatcher.run_until_empty(batch=500).sent
    dispatch_seconds = time.perf_counter() - started
    engine.dispose()
    if sent != outbox or len(recording.sent) != outbox:
        raise RuntimeError(f"{outbox} queued but {sent} sent, {len(recording.sent)} received")
    echo(f"  {sent:,} dispatched in {dispatch_seconds:.1f} s")
    return {
        "owners": owners,
        "messages": report.messages,
        "queued_per_s": round(report.messages / queue_seconds),
        "owners_queued_per_s": round(owners / queue_seconds),
        "dispatched_per_s": round(sent / dispatch_seconds),
    }


def run(*, owners: int, postgres_url: str, echo: Callable[[str], None]) -> dict[str, Any]:
    """Both databases; each figure against its aim."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, url in (
            ("sqlite", f"sqlite:///{Path(folder) / 'bulletins.db'}"),
            ("postgresql", fresh_postgres(postgres_url, DATABASE)),
        ):
            echo(f"a notice to {owners:,} owners, {kind}:")
            figures = _measure(url, owners, echo)
            echo(
                "  "
                + ", ".join(f"{name} {figures[name]:,} (aim ≥ {aim:,})" for name, aim in TARGET.items())
                + f"; owners queued/s {figures['owners_queued_per_s']:,}"
            )
            result[kind] = figures
    return result
