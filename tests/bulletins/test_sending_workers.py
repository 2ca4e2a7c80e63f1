"""An approved notice sent by real processes to real servers on loopback: the sending (`lintel bulletins
send`) is killed with SIGKILL mid-way, then `lintel worker` finishes it and sends the messages through an
SMTP server and an SMS gateway. Exactly the project's signed-not-delivered owners hear of it, each on the
channels they chose and once on each — on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.estate.models import Contract, Owner, Ownership, Unit
from crm.platform import Foundation, Platform
from lintel.clock import SystemClock
from tests.bulletins.support import actor, estate, open_task, report
from tests.conftest import fresh_database_url, prepare
from tests.notifications.loopback import (
    SIGN_NAME,
    SMS_KEY,
    SMS_SECRET,
    Mailbox,
    sms_gateway,
    smtp_server,
    wait_for,
)
from webapp.database import make_engine

ROOT = Path(__file__).parents[2]
KIND = "bulletin.progress"
MORE = 600  # signed buyers besides the named ones: the sending takes several chunks
CHUNK = "5"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own, committed to for real: the processes read what the test wrote."""
    engine = make_engine(fresh_database_url(request.param, tmp_path, name="sending"))
    prepare(engine, SystemClock())  # type: ignore[arg-type]
    yield engine
    engine.dispose()


def lintel(*args: str) -> list[str]:
    # This checkout's code (the installed `lintel` script may be another checkout's).
    return [sys.executable, "-c", "from webapp.cli import main; main()", *args]


def approved_notice(engine: Engine) -> tuple[int, dict[str, set[str]]]:
    """The progress notice of a project with buyers of every kind, approved; its id and what each channel
    must reach (the mobiles and email addresses)."""
    with Session(engine) as session:
        platform = Platform(session, Foundation(clock=SystemClock()))
        site = estate(platform, "LXF", "临溪府", waiting=4, handed_over=2)
        estate(platform, "YJY", "云境园", waiting=2, handed_over=0, phone_base=900)  # another project
        sms_only, email_only, everything, opted_out = site.waiting.values()
        choose = platform.notice_preferences.choose
        choose(email_only.id, KIND, ["email"], "crc")
        choose(everything.id, KIND, ["sms", "email", "inapp"], "crc")
        choose(opted_out.id, KIND, [], "crc")
        for n in range(MORE):
            unit = Unit(building_id=site.buildings[0].id, number=f"9{n:03d}", floor=9)
            session.add(unit)
            session.flush()
            session.add(Contract(number=f"LXF-9{n:03d}", unit_id=unit.id, signed_on=date(2025, 3, 1)))
            owner = Owner(name=f"买家{n}", phone=f"137{n:08d}", email=f"buyer{n}@example.com")
            session.add(owner)
            session.flush()
            session.add(Ownership(owner_id=owner.id, unit_id=unit.id, is_contact=True))
        session.flush()

        crc = actor(platform, "crc")
        instance_id = platform.bulletins.start_progress({"project_id": site.project.id}, crc)
        bulletin = bulletin_of(session, instance_id)
        assert bulletin is not None
        report(platform, bulletin, site.buildings[0], "主体封顶", 65)
        platform.tasks.complete(
            open_task(platform, bulletin, "submit_progress").id, {}, actor(platform, "eng")
        )
        platform.tasks.complete(open_task(platform, bulletin, "draft").id, {}, crc)
        platform.tasks.complete(
            open_task(platform, bulletin, "approve").id, {"decision": "approve"}, actor(platform, "crc_sup")
        )
        assert bulletin.status == "sending" and bulletin.recipients_total == MORE + 4
        expected = {
            "sms": {sms_only.phone, everything.phone} | {f"137{n:08d}" for n in range(MORE)},
            "email": {email_only.email or "", everything.email or ""},
        }
        session.commit()
        return bulletin.id, expected


def queued(engine: Engine, bulletin_id: int) -> int:
    # A bare read: a SQLAlchemy transaction on SQLite begins IMMEDIATE and would wait for the writer.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT recipients_queued FROM bulletins WHERE id = {int(bulletin_id)}")
        found = cursor.fetchone()
        cursor.close()
        connection.rollback()
    finally:
        connection.close()
    return int(found[0]) if found else 0


def test_a_notice_killed_mid_sending_reaches_every_owner_once_after_a_restart(
    engine: Engine, tmp_path: Path
) -> None:
    bulletin_id, expected = approved_notice(engine)
    url = engine.url.render_as_string(hide_password=False)
    mailbox = Mailbox()
    with smtp_server(mailbox) as port, sms_gateway() as gateway:
        env = {
            **os.environ,
            "LINTEL_DATABASE_URL": url,
            "LINTEL_INSTANCE_PATH": str(tmp_path),
            "LINTEL_NOTICE_POLL_SECONDS": "0.2",
            "LINTEL_QUIET_HOURS": "",
            "LINTEL_SMTP_HOST": "127.0.0.1",
            "LINTEL_SMTP_PORT": str(port),
            "LINTEL_MAIL_FROM": "客户关系中心 <crc@lintel.example.com>",
            "LINTEL_SMS_GATEWAY_URL": gateway.url,
            "LINTEL_SMS_GATEWAY_KEY": SMS_KEY,
            "LINTEL_SMS_GATEWAY_SECRET": SMS_SECRET,
            "LINTEL_SMS_SIGN_NAME": SIGN_NAME,
        }
        # The sending, killed once it has queued some chunks and not all.
        sending = subprocess.Popen(
            lintel("bulletins", "send", str(bulletin_id), "--batch", CHUNK),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for(lambda: queued(engine, bulletin_id) > 0 or sending.poll() is not None, "a first chunk")
            sending.kill()  # SIGKILL: the chunk it was in is never committed
            sending.wait()
        finally:
            sending.kill()
            said = sending.communicate()
        part = queued(engine, bulletin_id)
        assert 0 < part < MORE + 4, ("killed mid-way", said)
        assert gateway.received == [] and mailbox.received == []  # nothing was sent by the sending

        worker = subprocess.Popen(
            lintel("worker"), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            total = len(expected["sms"]) + len(expected["email"])
            wait_for(
                lambda: len(gateway.delivered) + len(mailbox.received) >= total or worker.poll() is not None,
                "every message sent",
                seconds=240,
            )
        finally:
            worker.terminate()
            output = worker.communicate(timeout=30)[0]

    assert worker.returncode is not None
    phones = Counter(body["phone"] for body in gateway.delivered.values())
    assert set(phones) == expected["sms"] and set(phones.values()) == {1}, output[-2000:]
    mails = Counter(str(m["To"]) for m in mailbox.received)
    assert set(mails) == expected["email"] and set(mails.values()) == {1}
    [mail] = [m for m in mailbox.received if str(m["To"]) == min(expected["email"])]
    assert str(mail["Subject"]).endswith("楼盘进度通报")
    with Session(engine) as session:
        bulletin = session.get(Bulletin, bulletin_id)
        assert bulletin is not None and bulletin.status == "sent"
        assert bulletin.recipients_queued == MORE + 4
        waiting = session.scalars(
            select(BulletinRecipient).where(
                BulletinRecipient.bulletin_id == bulletin_id, BulletinRecipient.queued_at.is_(None)
            )
        ).all()
        assert waiting == []
