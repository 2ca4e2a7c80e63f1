"""`lintel bulletins list` and `lintel bulletins send` as an operator uses them, against a real database
file: the notices with their state and progress, and the sender run once, with clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.bulletins.bulletins import bulletin_of
from crm.platform import Foundation, Platform
from lintel.clock import SystemClock
from notifications.models import OutboxMessage
from tests.bulletins.support import actor, estate, open_task, report
from tests.webapp.test_cli import Lintel
from webapp.database import make_engine


@pytest.fixture
def lintel(tmp_path: Path) -> Lintel:
    run = Lintel(tmp_path)
    assert run("init", "--demo").exit_code == 0
    return run


def approved(lintel: Lintel) -> int:
    engine = make_engine(lintel.url)
    with Session(engine) as session:
        platform = Platform(session, Foundation(clock=SystemClock()))
        site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=1)
        crc = actor(platform, "crc")
        bulletin = bulletin_of(
            session, platform.bulletins.start_progress({"project_id": site.project.id}, crc)
        )
        assert bulletin is not None
        report(platform, bulletin, site.buildings[0], "主体封顶", 65)
        platform.tasks.complete(
            open_task(platform, bulletin, "submit_progress").id, {}, actor(platform, "eng")
        )
        platform.tasks.complete(open_task(platform, bulletin, "draft").id, {}, crc)
        platform.tasks.complete(
            open_task(platform, bulletin, "approve").id, {"decision": "approve"}, actor(platform, "crc_sup")
        )
        session.commit()
        found = bulletin.id
    engine.dispose()
    return found


def test_list_and_send_a_notice(lintel: Lintel) -> None:
    bulletin_id = approved(lintel)
    listed = lintel("bulletins")
    assert listed.exit_code == 0
    line = next(row for row in listed.output.splitlines() if row.startswith(f"{bulletin_id}\t"))
    assert "\tsending\tprogress\tLXF\t" in line and "\t0/3\t" in line and line.endswith("楼盘进度通报")
    assert lintel("bulletins", "list", "--status", "cancelled").output == "no notices match\n"
    unknown = lintel("bulletins", "list", "--project", "NOPE")
    assert (unknown.exit_code, unknown.output) == (2, "--project: no project with the code 'NOPE'\n")

    missing = lintel("bulletins", "send", "999999")
    assert (missing.exit_code, missing.output) == (1, "notice 999999 does not exist\n")
    sent = lintel("bulletins", "send", str(bulletin_id), "--batch", "2")
    assert sent.exit_code == 0
    assert sent.output == (
        f"queued the messages of 3 notice recipients (6 messages); notices sent: {bulletin_id}\n"
    )
    again = lintel("bulletins", "send", str(bulletin_id))
    assert (again.exit_code, again.output) == (1, f"notice {bulletin_id} is sent already\n")
    assert lintel("bulletins", "send").output == "no notice to send\n"
    assert "\tsent\tprogress\tLXF\t" in lintel("bulletins", "list", "--project", "LXF").output

    engine = make_engine(lintel.url)
    with Session(engine) as session:
        ref = f"bulletin:{bulletin_id}"
        assert session.scalar(select(func.count()).where(OutboxMessage.ref == ref)) == 3  # an SMS each
    engine.dispose()
