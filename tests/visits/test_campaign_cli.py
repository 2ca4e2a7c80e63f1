"""`lintel campaigns` as an operator uses it, against a real database file: the list, a launch in the
foreground that goes on where an interrupted one stopped, pause and resume, the automatic campaigns' take-in
for a given day, with clear refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from crm.visits.launch import Launcher
from crm.visits.models import Visit
from lintel.clock import SHANGHAI, SystemClock
from tests.visits.campaign_support import actor, campaign, site
from tests.webapp.test_cli import Lintel
from webapp.database import make_engine


@pytest.fixture
def lintel(tmp_path: Path) -> Lintel:
    run = Lintel(tmp_path)
    assert run("init").exit_code == 0
    added = run(
        "user", "add", "crc_sup", "--role", "supervisor", "--department", "crc", "--password", "Lintel-2026!"
    )
    assert added.exit_code == 0, added.output
    return run


def test_launch_pause_resume_and_the_automatic_take_in(lintel: Lintel) -> None:
    engine = make_engine(lintel.url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    foundation = Foundation(clock=SystemClock())
    today = datetime.now(SHANGHAI).date()  # the centre's day: the take-in counts days in Shanghai
    with sessions() as session:
        platform = Platform(session, foundation)
        plan = [("handed_over", date(2024, 1, 1), date(2026, 1, 1))] * 7
        plan += [("handed_over", date(2024, 1, 1), today - timedelta(days=10))]
        s = site(platform, "CLI", plan=plan)
        audience = {"project_ids": [s.project.id], "handed_over_to": "2026-06-30"}
        thematic = campaign(platform, name="专题回访CLI", visitors=["crc_sup"], audience=audience)
        second = campaign(platform, name="第二个", visitors=["crc_sup"], audience=audience)
        platform.campaigns.launch(second.id, actor(platform, "crc_sup"))
        session.commit()
        ids = (thematic.id, second.id)

    listed = lintel("campaigns")
    assert listed.exit_code == 0
    line = next(row for row in listed.output.splitlines() if row.startswith(f"{ids[0]}\t"))
    assert line.startswith(f"{ids[0]}\tdraft\tthematic\tphone\t0/0\treached 0%\t专题回访CLI")

    launched = lintel("campaigns", "launch", str(ids[0]), "--as", "crc_sup", "--batch", "3")
    assert launched.exit_code == 0, launched.output
    assert f"campaign {ids[0]} launched: 7 visits queued" in launched.output
    assert launched.output.rstrip().endswith(f"started 7 visits; campaign {ids[0]} running, 7/7")
    again = lintel("campaigns", "launch", str(ids[0]))
    assert again.exit_code == 0 and "started 0 visits" in again.output

    # An interrupted launch (its first chunk started) goes on where it stopped.
    def interrupt(_n: int) -> None:
        raise KeyboardInterrupt

    launcher = Launcher(sessions, lambda x: Platform(x, foundation).runtime, foundation.clock, chunk=3)
    with pytest.raises(KeyboardInterrupt):
        launcher.launch(ids[1], on_chunk=interrupt)
    assert lintel("campaigns", "pause", str(ids[1])).output == f"campaign {ids[1]} paused\n"
    paused = lintel("campaigns", "launch", str(ids[1]))
    assert paused.exit_code == 1 and "is paused" in paused.output
    assert lintel("campaigns", "pause", str(ids[1])).exit_code == 1
    assert lintel("campaigns", "resume", str(ids[1])).output == f"campaign {ids[1]} launching\n"
    rest = lintel("campaigns", "launch", str(ids[1]))
    assert "started 4 visits" in rest.output and "running, 7/7" in rest.output

    missing = lintel("campaigns", "launch", "999999")
    assert (missing.exit_code, missing.output) == (1, "campaign 999999 does not exist\n")
    assert lintel("campaigns", "run-automatic", "--at", "2026-13-01").exit_code == 2

    with sessions() as session:
        platform = Platform(session, foundation)
        automatic = campaign(
            platform,
            name="交付十天回访",
            kind="post_handover",
            days_after=10,
            visitors=["crc_sup"],
            audience={"project_ids": [s.project.id]},
        )
        session.commit()
    assert lintel("campaigns", "launch", str(automatic.id)).exit_code == 0  # today's owner taken in
    nothing = lintel("campaigns", "run-automatic", "--at", (today + timedelta(days=1)).isoformat())
    assert "no owner's day has come" in nothing.output
    with Session(engine) as session:
        visits = session.scalar(
            select(func.count()).where(Visit.campaign_id == automatic.id, Visit.status == "open")
        )
    assert visits == 1
    engine.dispose()
