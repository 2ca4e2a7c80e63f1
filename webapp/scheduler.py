"""The thin scheduler around the timer job and the outbox's dispatcher: started by `lintel serve` and
`lintel worker`, never in tests."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import select

from crm.models import Department
from crm.platform import Foundation, Platform
from engine.timers import FireReport, TimerJob
from notifications.config import build_channels
from notifications.dispatch import Dispatcher, DispatchReport, Retry

log = logging.getLogger("lintel.timers")
notices_log = logging.getLogger("lintel.notices")


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


def _whole(config: dict[str, object], name: str, least: float) -> float:
    text = str(config[name]).strip()
    try:
        value = float(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise ValueError(f"{name} must be a number of at least {least:g}, not '{text}'")
    return value


def retry_policy(config: dict[str, object]) -> Retry:
    """Attempts and backoff of failed messages, from the settings. Raises ValueError naming the setting."""
    return Retry(
        max_attempts=int(_whole(config, "LINTEL_NOTICE_MAX_ATTEMPTS", 1)),
        first_delay=timedelta(seconds=_whole(config, "LINTEL_NOTICE_RETRY_SECONDS", 0)),
    )


def dispatcher(app: Flask) -> Dispatcher:
    """The dispatcher of this process: the configured channels, quiet hours, retries."""
    sessions = app.extensions["lintel.sessions"]
    foundation: Foundation = app.extensions["lintel.foundation"]

    def robot_secret(url: str) -> str | None:
        # A department's robot signs with that department's secret.
        with sessions() as session:
            return session.scalar(select(Department.robot_secret).where(Department.robot_url == url).limit(1))

    return Dispatcher(
        sessions,
        build_channels(app.config, robot_secret),
        foundation.clock,
        quiet=foundation.messaging.quiet,
        retry=retry_policy(app.config),
    )


def dispatch(app: Flask, job: Dispatcher | None = None, batch: int = 50) -> DispatchReport:
    """One pass: send every message due now, `batch` claimed at a time."""
    report = (job or dispatcher(app)).run_until_empty(batch)
    if report.busy or report.held:
        notices_log.info(describe(report))
    return report


def describe(report: DispatchReport) -> str:
    line = f"sent {report.sent} messages, {report.retried} to retry, {report.dead} dead letters"
    if report.held:
        line += f", {report.held} SMS held for quiet hours"
    return line


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
    scheduler.add_job(
        dispatch,
        "interval",
        args=[app, dispatcher(app), batch],
        seconds=_whole(app.config, "LINTEL_NOTICE_POLL_SECONDS", 0.1),
        id="lintel-notices",
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


def check_settings(app: Flask) -> str | None:
    """What is wrong with the delivery settings, in one line, before anything starts; None when fine."""
    try:
        retry_policy(app.config)
        _whole(app.config, "LINTEL_NOTICE_POLL_SECONDS", 0.1)
    except ValueError as exc:
        return str(exc)
    return None
