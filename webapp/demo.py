"""Playing the demo complaints (crm.demo_cases) and the demo open day (crm.handover.demo_open_day) into a
database: each step a transaction of its own at its own moment, with the timers that fall due in between
fired as the workers would have fired them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from crm.bulletins import demo_progress
from crm.demo_cases import CASES, has_complaints, moves
from crm.handover import demo_open_day
from crm.platform import Foundation, Platform
from engine.timers import TimerJob
from lintel.clock import FixedClock


def load_demo_cases(sessions: Callable[[], Session], base: Foundation) -> int:
    """Play every demo case up to now; nothing when the database has complaints already. Returns how many
    complaints were added."""
    now = base.clock.now()
    with sessions() as session:
        if has_complaints(Platform(session, base)):
            return 0
    plan = moves(now)
    _play([(m.at, lambda p, m=m: m.play(p)) for m in plan], sessions, base, now)
    return len(CASES)


def load_demo_open_day(sessions: Callable[[], Session], base: Foundation, uploads: Path) -> int:
    """Play the demo project's open day and its defects' rectification up to now; nothing when the project
    has an open day already. Returns how many defects were added."""
    now = base.clock.now()
    with sessions() as session:
        platform = Platform(session, base)
        if demo_open_day.has_open_day(platform):
            return 0
        plan = demo_open_day.moves(platform, now)

    def step(move: demo_open_day.Move) -> Callable[[Platform], None]:
        return lambda p: move.play(p, demo_open_day.uploads_attachments(p, uploads))

    _play([(m.at, step(m)) for m in plan], sessions, base, now)
    return sum(1 for m in plan if m.registers)


def load_demo_progress(sessions: Callable[[], Session], base: Foundation) -> int:
    """This month's progress notices of the demo projects under construction, with engineering's reports;
    nothing when there are progress notices already. Returns how many notices were started."""
    now = base.clock.now()
    with sessions() as session:
        platform = Platform(session, base)
        if demo_progress.has_progress_notices(platform):
            return 0
        plan = demo_progress.moves(platform, now)
    _play([(m.at, m.play) for m in plan], sessions, base, now)
    return sum(1 for m in plan if m.starts)


def _play(
    plan: Sequence[tuple[datetime, Callable[[Platform], Any]]],
    sessions: Callable[[], Session],
    base: Foundation,
    now: datetime,
) -> None:
    """Each move at its moment on a drill clock, in its own transaction, the timers fired in between."""
    if not plan:
        return
    clock = FixedClock(plan[0][0])
    drill = Foundation(
        clock=clock,
        forms=base.forms,
        specs=base.specs,
        serializer=base.serializer,
        calendar=base.calendar,
        script_limits=base.script_limits,
    )
    job = TimerJob(sessions, lambda session: Platform(session, drill).runtime)
    for at, play in plan:
        job.run_until(at, clock)
        clock.set(at)
        with sessions() as session:
            play(Platform(session, drill))
            session.commit()
    job.run_until(now, clock)
