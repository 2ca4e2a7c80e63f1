"""Playing the demo complaints (crm.demo_cases) into a database: each step a transaction of its own at its
own moment, with the timers that fall due in between fired as the workers would have fired them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from crm.demo_cases import CASES, has_complaints, moves
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
    clock = FixedClock(plan[0].at)
    drill = Foundation(
        clock=clock,
        forms=base.forms,
        specs=base.specs,
        serializer=base.serializer,
        calendar=base.calendar,
        script_limits=base.script_limits,
    )
    job = TimerJob(sessions, lambda session: Platform(session, drill).runtime)
    for move in plan:
        job.run_until(move.at, clock)
        clock.set(move.at)
        with sessions() as session:
            move.play(Platform(session, drill))
            session.commit()
    job.run_until(now, clock)
    return len(CASES)
