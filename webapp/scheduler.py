"""The thin scheduler around the timer job, the sender of approved notices and the outbox's dispatcher:
started by `lintel serve` and `lintel worker`, never in tests."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from crm.bulletins.sending import Sender, SendReport
from crm.kpis.refresh import KpiRefresher, RefreshReport
from crm.platform import Foundation, Platform
from crm.visits.automatic import AutomaticReport, run_automatic
from crm.visits.launch import CHUNK as VISIT_CHUNK
from crm.visits.launch import Launcher, LaunchReport
from engine.migration_runs import MigrationWorker
from engine.timers import FireReport, TimerJob
from notifications.dispatch import Dispatcher, DispatchReport
from webapp import db_session, platform
from webapp.pages.kpi_reports import send_due

log = logging.getLogger("lintel.timers")
notices_log = logging.getLogger("lintel.notices")
visits_log = logging.getLogger("lintel.visits")
kpis_log = logging.getLogger("lintel.kpis")
KPI_REFRESH_SECONDS = 60


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


def dispatcher(app: Flask) -> Dispatcher:
    """The dispatcher of this process: the channels, quiet hours and retries built from the settings."""
    foundation: Foundation = app.extensions["lintel.foundation"]
    return Dispatcher(
        app.extensions["lintel.sessions"],
        app.extensions["lintel.channels"],
        foundation.clock,
        quiet=foundation.messaging.quiet,
        retry=app.extensions["lintel.retry"],
    )


def dispatch(app: Flask, job: Dispatcher | None = None, batch: int = 50) -> DispatchReport:
    """One pass: send every message due now, `batch` claimed at a time."""
    report = (job or dispatcher(app)).run_until_empty(batch)
    if report.busy or report.held:
        notices_log.info(describe(report))
    return report


def sender(app: Flask) -> Sender:
    """The sender of approved notices of this process (crm.bulletins.sending)."""
    return Sender(app.extensions["lintel.sessions"], app.extensions["lintel.foundation"])


def send_bulletins(app: Flask, job: Sender | None = None) -> SendReport:
    """One pass: queue the messages of every notice being sent, a chunk per transaction."""
    report = (job or sender(app)).run_once()
    if report.busy:
        notices_log.info(describe_sending(report))
    return report


def campaign_launcher(app: Flask, chunk: int = VISIT_CHUNK) -> Launcher:
    """The starter of launched campaigns' visits of this process (crm.visits.launch)."""
    foundation: Foundation = app.extensions["lintel.foundation"]
    return Launcher(
        app.extensions["lintel.sessions"],
        lambda session: Platform(session, foundation).runtime,
        foundation.clock,
        chunk=chunk,
    )


def start_visits(app: Flask, job: Launcher | None = None) -> LaunchReport:
    """One pass: start the queued visits of launched campaigns, cancel a finished one's, a chunk per
    transaction."""
    report = (job or campaign_launcher(app)).run_once()
    if report.busy:
        visits_log.info(
            "started %d visits, cancelled %d; campaigns running: %s",
            report.started,
            report.cancelled,
            ", ".join(str(i) for i in report.running) or "-",
        )
    return report


def migration_worker(app: Flask) -> MigrationWorker:
    """The mover of queued migration runs of this process (engine.migration_runs)."""
    foundation: Foundation = app.extensions["lintel.foundation"]
    return MigrationWorker(
        app.extensions["lintel.sessions"], lambda session: Platform(session, foundation).runtime
    )


def move_instances(app: Flask, job: MigrationWorker | None = None) -> int:
    """One pass: move the requests of every queued migration run, one transaction each."""
    count = (job or migration_worker(app)).run_once()
    if count:
        log.info("migration runs: dealt with %d requests", count)
    return count


def take_in_visits(app: Flask) -> AutomaticReport:
    """The automatic campaigns' daily take-in (missed days caught up), then their visits started."""
    with app.extensions["lintel.sessions"].begin() as session:
        report = run_automatic(session, app.extensions["lintel.foundation"].clock)
    if report.added:
        visits_log.info("automatic campaigns took in %d owners", report.total)
        start_visits(app)
    return report


def refresh_kpis(app: Flask) -> RefreshReport:
    """The figures brought up to date with the audit trail (every minute: they lag by at most that)."""
    foundation = app.extensions["lintel.foundation"]
    with app.extensions["lintel.sessions"].begin() as session:
        report = KpiRefresher(session, foundation.clock, foundation.calendar).run()
    if report.instances:
        kpis_log.info("figures: %d requests recomputed, %d days added up", report.instances, report.days)
    return report


def send_monthly_report(app: Flask) -> str | None:
    """Last month's report, made and sent to the managers from 08:30 on the month's first working day —
    once: every later run (and every other worker) finds it sent."""
    # In the app's context, as a command runs: the report's words are the pages' (their translations).
    with app.app_context():
        month = send_due(platform())
        db_session().commit()
    if month is not None:
        kpis_log.info("the monthly report of %s was sent to the managers", month)
    return month


def describe_sending(report: SendReport) -> str:
    if not report.busy:
        return "no notice to send"
    line = f"queued the messages of {report.recipients} notice recipients ({report.messages} messages)"
    if report.sent:
        line += f"; notices sent: {', '.join(str(i) for i in report.sent)}"
    return line


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
    # Before the dispatcher's first pass: what an approved notice queues goes out in the same minute.
    scheduler.add_job(
        send_bulletins,
        "interval",
        args=[app, sender(app)],
        seconds=app.extensions["lintel.notice_poll"],
        id="lintel-bulletins",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    # Launched campaigns' visits started, a finished one's cancelled; the automatic campaigns' daily take-in
    # (at start too: a day missed while everything was down is caught up).
    scheduler.add_job(
        start_visits,
        "interval",
        args=[app, campaign_launcher(app)],
        seconds=app.extensions["lintel.notice_poll"],
        id="lintel-visits",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    # Migration runs queued on a process's page (迁移运行中的工单): their requests moved one by one.
    scheduler.add_job(
        move_instances,
        "interval",
        args=[app, migration_worker(app)],
        seconds=app.extensions["lintel.notice_poll"],
        id="lintel-migrations",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        take_in_visits,
        "cron",
        args=[app],
        hour=0,
        minute=30,
        timezone="Asia/Shanghai",
        id="lintel-automatic-visits",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        refresh_kpis,
        "interval",
        args=[app],
        seconds=KPI_REFRESH_SECONDS,
        id="lintel-kpis",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    # Every quarter of an hour (08:30 among them): the day's first run after 08:30 on the month's first
    # working day sends the report; the others find it sent. A day missed while down is caught up.
    scheduler.add_job(
        send_monthly_report,
        "cron",
        args=[app],
        minute="0,15,30,45",
        timezone="Asia/Shanghai",
        id="lintel-kpi-report",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        dispatch,
        "interval",
        args=[app, dispatcher(app), batch],
        seconds=app.extensions["lintel.notice_poll"],
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
