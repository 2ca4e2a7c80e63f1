"""A worker killed between sending and recording: after its lease runs out another dispatcher sends the
message again with the same idempotency key, so the gateway sends no SMS twice and the second email is
the same email (one Message-ID). Real processes, a real SIGKILL, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import SHANGHAI, FixedClock
from notifications.channels import Channel
from notifications.dispatch import Dispatcher
from notifications.quiet import QuietHours
from tests.conftest import fresh_database_url
from tests.notifications.crash_worker import channel
from tests.notifications.loopback import (
    Mailbox,
    message_templates,
    queue,
    sms_gateway,
    smtp_server,
    the_message,
    wait_for,
)
from webapp.database import make_engine, upgrade

ROOT = Path(__file__).parents[2]
AT = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
ADDRESS = {"sms": "13800000001", "email": "zhangwei@example.com"}


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A database of its own, committed to for real: the worker process reads what the test wrote."""
    engine = make_engine(fresh_database_url(request.param, tmp_path, name="crash"))
    upgrade(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@contextmanager
def worker(url: str, kind: str, target: str) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "tests.notifications.crash_worker", url, kind, target, AT.isoformat()]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        process.kill()
        process.communicate()


def kill_mid_send(process: subprocess.Popen[bytes], arrived: Sequence[object]) -> None:
    wait_for(lambda: bool(arrived) or process.poll() is not None, "the worker's request")
    assert process.poll() is None, process.communicate()[1].decode()
    process.kill()  # SIGKILL: no finally, no rollback, no answer read
    process.wait()


def restarted(sessions: sessionmaker[Session], kind: str, target: str, minutes: float) -> Dispatcher:
    clock = FixedClock(AT + timedelta(minutes=minutes))
    channels: dict[str, Channel] = {kind: channel(kind, target)}
    return Dispatcher(sessions, channels, clock, quiet=QuietHours(None, None), name="restarted")


def test_a_worker_killed_between_send_and_record_sends_no_sms_twice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    key = queue(sessions, FixedClock(AT), message_templates(tmp_path / "t"), "sms", ADDRESS["sms"])
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    with sms_gateway(hold_first=1) as gateway:
        with worker(url, "sms", gateway.url) as process:
            kill_mid_send(process, gateway.received)
        gateway.release.set()
        assert the_message(sessions).status == "sending"  # sent, but never recorded

        assert restarted(sessions, "sms", gateway.url, minutes=4).run_once().sent == 0  # still leased
        assert restarted(sessions, "sms", gateway.url, minutes=6).run_once().sent == 1

    assert [r.headers["Idempotency-Key"] for r in gateway.received] == [key, key]
    assert list(gateway.delivered) == [key]  # one SMS reached the phone; the second was a DUPLICATE
    done = the_message(sessions)
    assert (done.status, done.attempts) == ("sent", 2)


def test_a_worker_killed_between_send_and_record_resends_the_same_email(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    key = queue(sessions, FixedClock(AT), message_templates(tmp_path / "t"), "email", ADDRESS["email"])
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    mailbox = Mailbox(hold_first=1)
    with smtp_server(mailbox) as port:
        with worker(url, "email", str(port)) as process:
            kill_mid_send(process, mailbox.received)
        mailbox.released = True
        assert the_message(sessions).status == "sending"
        assert restarted(sessions, "email", str(port), minutes=6).run_once().sent == 1

    first, second = mailbox.received
    assert first["Message-ID"] == second["Message-ID"] == f"<{key}@lintel.example.com>"
    assert the_message(sessions).status == "sent"
