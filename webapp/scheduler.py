"""The thin scheduler around the timer job: started by `lintel serve` and `lintel worker`, never in tests."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from crm.platform import Foundation, Platform
from engine.timers import FireReport, TimerJob

log = logging.getLogger("lintel.timers")


def timer_job(app: Flask, foundation: Foundation | None = None, batch: int = 50) -> TimerJob:
    foundation = foundation or app.extensions["lintel.foundation"]
    assert foundation is not None
    return TimerJob(
        app.extensions["lintel.sessions"], lambda session: Platform(session, foundation).runtime, batch
    )


def tick(app: Flask, job: TimerJob | None = None) -> FireReport:
    """One pass: fire every timer and timer start event due now."""
    job = job or timer_job(app)
    report = job.run_due(app.extensions["lintel.foundation"].clock.now())
    if report.timers or report.starts:
        log.info("fired %d timers, started %d instances", report.timers, report.starts)
    return report


def _schedule(scheduler: BaseScheduler, app: Flask, batch: int) -> BaseScheduler:
    job = timer_job(app, batch=batch)
    seconds = float(app.config["LINTEL_TIMER_POLL_SECONDS"])
    # First run at once: whatever fell due while everything was down fires on start.
    scheduler.add_job(
        tick,
        "interval",
        args=[app, job],
        seconds=seconds,
        id="lintel-timers",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    return scheduler


def start_in_background(app: Flask) -> BackgroundScheduler | None:
    if app.config.get("TESTING") or os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return None
    scheduler = BackgroundScheduler(timezone="UTC")
    _schedule(scheduler, app, batch=50)
    scheduler.start()
    return scheduler


def run_blocking(app: Flask, batch: int) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _schedule(scheduler, app, batch)
    scheduler.start()
