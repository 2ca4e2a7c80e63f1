"""`lintel kpis`: the figures' tables brought up to date with the audit trail (what the scheduler does every
minute), or rebuilt from it entirely with a progress bar; the monthly report made (and sent) by hand."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm.kpis.monthly import MonthlyReports, parse_month
from webapp import db_session, platform
from webapp.cli import main
from webapp.pages.kpi_reports import message_context, scoped_words


@main.group()
def kpis() -> None:
    """The figures (及时率, 封闭率, times, rework, escalations): refresh or rebuild them."""


@kpis.command("refresh")
def refresh() -> None:
    """Read the audit events since the last run into the figures."""
    report = platform().kpi_refresher.run()
    db_session().commit()
    if report.skipped:
        click.echo("another process is refreshing the figures: nothing done")
        return
    click.echo(f"{report.instances} requests recomputed, {report.days} days added up")


@kpis.command("rebuild")
def rebuild() -> None:
    """Recompute every request's figures from the whole audit trail."""
    with Progress(
        TextColumn("requests"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("rebuild", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = platform().kpi_refresher.rebuild(progress)
    if report.skipped:
        click.echo("another process is refreshing the figures: nothing done", err=True)
        raise SystemExit(1)
    db_session().commit()
    click.echo(f"{report.instances} requests recomputed, {report.days} days added up")


@kpis.command("report")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month, e.g. 2026-11.")
@click.option(
    "--out",
    "-o",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the workbook to this XLSX file.",
)
@click.option("--send", is_flag=True, help="Send it to the managers now (even if it was sent before).")
def report(month: str, path: Path | None, send: bool) -> None:
    """Make the monthly report of MONTH (kept for /kpis/reports); with --send, email it to the managers."""
    try:
        parse_month(month)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--month") from None
    p = platform()
    reports = MonthlyReports(p.session, p.clock, p.foundation.calendar)
    words = scoped_words(p, month)
    made = reports.generate(month, words)
    if path is not None:
        try:
            path.write_bytes(made.data)
        except OSError as error:
            click.echo(f"cannot write {path}: {error}", err=True)
            raise SystemExit(1) from None
    sent = reports.send(made, p.outbox, words, message_context(p, month)) if send else None
    db_session().commit()
    written = f", written to {path}" if path is not None else ""
    click.echo(f"the report of {month} is made ({len(made.data)} bytes){written}")
    if sent is not None:
        click.echo(f"queued to {sent} managers")
