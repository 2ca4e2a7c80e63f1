"""`lintel worker` processes sending messages: two of them against one PostgreSQL database share the
outbox and never send one message twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lintel.clock import SystemClock
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.quiet import QuietHours
from notifications.templates import Templates
from tests.conftest import fresh_database_url
from webapp.database import make_engine, upgrade

LINTEL = str(Path(sys.executable).with_name("lintel"))
MESSAGES = 600
PRINTED = re.compile(r"^\[email → (owner\d+@example\.com)\]", re.M)


def sent(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) or 0
    engine.dispose()
    return count


def test_two_workers_on_postgresql_never_send_a_message_twice(tmp_path: Path) -> None:
    url = fresh_database_url("postgresql", tmp_path, name="notices")
    engine = make_engine(url)
    upgrade(engine)
    env = {
        **os.environ,
        "LINTEL_DATABASE_URL": url,
        "LINTEL_INSTANCE_PATH": str(tmp_path),
        "LINTEL_NOTICE_POLL_SECONDS": "0.2",
        "LINTEL_NOTICE_CONSOLE": "1",  # every email printed: what each worker sent
        "LINTEL_QUIET_HOURS": "",
    }
    workers = [
        subprocess.Popen(
            [LINTEL, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:  # both polling before anything is queued
            assert worker.stdout is not None
            assert "Lintel worker" in worker.stdout.readline()
        (tmp_path / "notice").mkdir()
        (tmp_path / "notice" / "default.j2").write_text(
            "{% block subject %}通知{% endblock %}{% block body %}{{ n }}{% endblock %}"
        )
        with Session(engine) as session:  # queued while both are already polling
            outbox = Outbox(session, SystemClock(), Templates([tmp_path]), QuietHours(None, None))
            for n in range(MESSAGES):
                outbox.queue("notice", [Address("email", f"owner{n}@example.com", f"owner:{n}")], {"n": n})
            session.commit()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sent(url) < MESSAGES:
            time.sleep(0.3)
    finally:
        for worker in workers:
            worker.terminate()
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
        engine.dispose()
    printed = [PRINTED.findall(output) for output in outputs]
    every = Counter(address for addresses in printed for address in addresses)
    assert len(every) == MESSAGES and set(every.values()) == {1}, outputs
    assert sent(url) == MESSAGES
    # Which worker sends what is a matter of timing (one may claim batch after batch while the other
    # sleeps between polls); what must hold is that none is sent twice, whoever sent it.
