"""`lintel kpis`: the figures' tables brought up to date with the audit trail (what the scheduler does every
minute), or rebuilt from it entirely with a progress bar."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from webapp import db_session, platform
from webapp.cli import main


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
