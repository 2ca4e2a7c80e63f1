"""`lintel bench notices`: 100,000 messages rendered and queued through the outbox, then dispatched, on SQLite
and PostgreSQL (database `lintel_bench_notices`).

The reply to a complaint (`complaint.replied`, the templates in crm/messaging/templates) to 75,000 owners,
each by SMS and every third also by email — 100,000 messages: every one rendered from its Jinja2 template and
queued through `Outbox.queue` in the owner's own call, the caller committing every 1,000 owners as a job
would. Then one dispatcher sends them all to a recording channel
(claim, send, record, batch by batch) — the code `lintel worker` runs. Queued/s and dispatched/s per
database. Then a notice to 100,000 owners (bench/bulletins.py): the sender queues it, the dispatcher sends
it. The last line is one JSON object `{"messages": N, "sqlite": {"queued_per_s": X, "dispatched_per_s": Y},
"postgresql": {...}, "notice": {"sqlite": {"owners": N, "messages": M, "queued_per_s": …}, "postgresql":
{...}}}`.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import fresh_postgres
from crm.messaging.config import TEMPLATES
from lintel.clock import FixedClock
from notifications.channels import RecordingChannel
from notifications.dispatch import Dispatcher
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.quiet import QuietHours
from notifications.templates import Templates
from webapp.database import make_engine, upgrade

DATABASE = "lintel_bench_notices"
KIND = "complaint.replied"
COMMIT_EVERY = 1_000
TARGET = {"queued_per_s": 5_000, "dispatched_per_s": 2_000}
REPLY = (
    "已安排师傅于明天上午上门更换卫生间防水层，施工约需半天，请您届时在家；如时间不便，可在业主服务页改约。"
)


def _addresses(n: int) -> list[Address]:
    owner = f"owner:{n}"
    found = [Address("sms", f"139{n:08d}", owner)]
    if n % 3 == 0:
        found.append(Address("email", f"owner{n}@example.com", owner))
    return found


def owners_for(messages: int) -> int:
    """Owners whose notices make `messages` messages (every third owner gets an email too)."""
    owners = messages * 3 // 4
    while sum(len(_addresses(n)) for n in range(owners)) < messages:
        owners += 1
    return owners


def queue(
    sessions: sessionmaker[Session], clock: FixedClock, messages: int, echo: Callable[[str], None]
) -> int:
    templates = Templates([TEMPLATES])  # the real ones, compiled once per kind and channel
    # Daytime in Shanghai: quiet hours hold nothing.
    quiet = QuietHours()
    queued = 0
    session = sessions()
    outbox = Outbox(session, clock, templates, quiet)
    for n in range(owners_for(messages)):
        addresses = _addresses(n)[: messages - queued]
        number = f"TS-2026-{n:06d}"
        context = {
            "number": number,
            "name": f"业主{n}",
            "reply": REPLY,
            "link": f"https://crm.example.com/portal/{number}",
        }
        queued += len(outbox.queue(KIND, addresses, context))
        if n % COMMIT_EVERY == COMMIT_EVERY - 1:
            session.commit()
            if n % (COMMIT_EVERY * 20) == COMMIT_EVERY * 20 - 1:
                echo(f"  queued {queued:,}")
        if queued >= messages:
            break
    session.commit()
    session.close()
    return queued


def _measure(url: str, messages: int, echo: Callable[[str], None]) -> dict[str, float]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    started = time.perf_counter()
    queued = queue(sessions, clock, messages, echo)
    queue_seconds = time.perf_counter() - started
    echo(f"  {queued:,} queued in {queue_seconds:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE outbox_messages"))
    recording = RecordingChannel()
    dispatcher = Dispatcher(sessions, {"sms": recording, "email": recording}, clock, quiet=QuietHours())
    started = time.perf_counter()
    report = dispatcher.run_until_empty(batch=500)
    dispatch_seconds = time.perf_counter() - started
    echo(f"  {report.sent:,} dispatched in {dispatch_seconds:.1f} s")
    with Session(engine) as session:
        sent = session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    engine.dispose()
    if sent != queued or len(recording.sent) != queued:
        raise RuntimeError(f"{queued} queued but {sent} recorded as sent, {len(recording.sent)} received")
    return {
        "queued_per_s": round(queued / queue_seconds),
        "dispatched_per_s": round(report.sent / dispatch_seconds),
    }


def run(*, messages: int, owners: int, postgres_url: str, echo: Callable[[str], None]) -> dict[str, Any]:
    result: dict[str, Any] = {"messages": messages}
    with tempfile.TemporaryDirectory() as folder:
        for kind, url in (
            ("sqlite", f"sqlite:///{Path(folder) / 'notices.db'}"),
            ("postgresql", fresh_postgres(postgres_url, DATABASE)),
        ):
            echo(f"{kind}:")
            figures = _measure(url, messages, echo)
            echo(
                "  "
                + ", ".join(
                    f"{name} {value:,.0f} (aim ≥ {TARGET[name]:,})" for name, value in figures.items()
                )
            )
            result[kind] = figures
    if owners:
        from bench.bulletins import run as notice

        result["notice"] = notice(owners=owners, postgres_url=postgres_url, echo=echo)
    echo(json.dumps(result))
    return result
