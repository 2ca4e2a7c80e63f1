"""`lintel campaigns`: return-visit campaigns from the command line — list them, launch one in the
foreground with a progress bar (interrupt it and run it again: it goes on where it stopped), pause and
resume, and the automatic campaigns' daily take-in for drills; and `lintel bench campaigns`."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm.directory import actor_for
from crm.visits.automatic import run_automatic
from crm.visits.launch import Launcher
from crm.visits.models import STATUSES, Campaign
from engine.actors import SYSTEM, Actor
from engine.errors import EngineError
from webapp import db_session, platform
from webapp.cli import _local, bench, main
from webapp.scheduler import campaign_launcher


def _campaign(campaign_id: int) -> Campaign:
    campaign = db_session().get(Campaign, campaign_id) if 0 < campaign_id < 2**31 else None
    if campaign is None:
        click.echo(f"campaign {campaign_id} does not exist", err=True)
        sys.exit(1)
    return campaign


def _actor(username: str | None) -> Actor:
    if not username:
        return SYSTEM
    user = platform().directory.user(username)
    if user is None or not user.active:
        click.echo(f"--as: no active user '{username}'", err=True)
        sys.exit(2)
    return actor_for(user)


@main.group(invoke_without_command=True)
@click.pass_context
def campaigns(ctx: click.Context) -> None:
    """Return-visit campaigns (客户回访): list, launch, pause, resume; the automatic ones' take-in."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_campaigns)


@campaigns.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only campaigns in this state.")
def list_campaigns(status: str | None = None) -> None:
    """The campaigns, newest first: id, state, kind, method, visits started of all, reached %, name."""
    p = platform()
    rows = p.campaigns.listing(status=status)
    if not rows:
        click.echo("no campaigns" + (" match" if status else ""))
        return
    figures = p.campaigns.progress([c.id for c in rows])
    for c in rows:
        f = figures[c.id]
        launched = f"\tlaunched {_local(c.launched_at)}" if c.launched_at else ""
        click.echo(
            f"{c.id}\t{c.status}\t{c.kind}\t{c.method}\t{f.started}/{f.total}\t"
            f"reached {f.reached_percent}%\t{c.name}{launched}"
        )


@campaigns.command("launch")
@click.argument("campaign_id", type=int)
@click.option("--as", "username", help="Who launches it (a draft); default: system.")
@click.option(
    "--batch", default=500, show_default=True, type=click.IntRange(1, 5_000), help="Visits a chunk."
)
def launch(campaign_id: int, username: str | None, batch: int) -> None:
    """Launch the campaign (a draft) and start its visits here, a chunk per transaction, with a progress bar.
    Interrupted, it stops after its chunk: run it again and it goes on. Exit 1 for a campaign that is
    paused, finished or does not exist."""
    campaign = _campaign(campaign_id)
    if campaign.status == "draft":
        try:
            platform().campaigns.launch(campaign_id, _actor(username))
        except EngineError as refused:
            db_session().rollback()
            fields = getattr(refused, "fields", {})
            detail = "; ".join(f"{k}: {v}" for k, v in fields.items())
            click.echo(f"campaign {campaign_id}: {refused}" + (f" ({detail})" if detail else ""), err=True)
            sys.exit(1)
        db_session().commit()
        click.echo(f"campaign {campaign_id} launched: {campaign.total} visits queued")
    elif campaign.status == "paused":
        click.echo(
            f"campaign {campaign_id} is paused: `lintel campaigns resume {campaign_id}` first", err=True
        )
        sys.exit(1)
    elif campaign.status == "finished":
        click.echo(f"campaign {campaign_id} is finished", err=True)
        sys.exit(1)
    total, started = campaign.total, campaign.started
    db_session().rollback()  # the launcher works in its own transactions
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    launcher: Launcher = campaign_launcher(app, chunk=batch)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(f"campaign {campaign_id}", total=total, completed=started)
        report = launcher.launch(campaign_id, on_chunk=lambda n: bar.advance(task, n))
    db_session().expire_all()
    campaign = _campaign(campaign_id)
    click.echo(
        f"started {report.started} visits; campaign {campaign_id} {campaign.status}, "
        f"{campaign.started}/{campaign.total}"
    )


def _change(campaign_id: int, username: str | None, what: str) -> None:
    _campaign(campaign_id)
    try:
        changed = getattr(platform().campaigns, what)(campaign_id, _actor(username))
    except EngineError as refused:
        db_session().rollback()
        click.echo(f"campaign {campaign_id}: {refused}", err=True)
        sys.exit(1)
    db_session().commit()
    click.echo(f"campaign {campaign_id} {changed.status}")


@campaigns.command("pause")
@click.argument("campaign_id", type=int)
@click.option("--as", "username", help="Who pauses it; default: system.")
def pause(campaign_id: int, username: str | None) -> None:
    """Stop starting the campaign's visits (after the chunk being started)."""
    _change(campaign_id, username, "pause")


@campaigns.command("resume")
@click.argument("campaign_id", type=int)
@click.option("--as", "username", help="Who resumes it; default: system.")
def resume(campaign_id: int, username: str | None) -> None:
    """Go on starting a paused campaign's visits (the workers, or `lintel campaigns launch ID`)."""
    _change(campaign_id, username, "resume")


@campaigns.command("run-automatic")
@click.option("--at", "at_text", help="The day (YYYY-MM-DD, Asia/Shanghai) to run for; default: today.")
def run_automatic_command(at_text: str | None) -> None:
    """Every running post-signing and post-handover campaign takes in the owners whose day has come by
    --at (missed days caught up, nobody twice); their visits are started at once."""
    day = None
    if at_text:
        try:
            day = date.fromisoformat(at_text)
        except ValueError:
            click.echo(f"--at '{at_text}' is not a date such as 2026-11-30", err=True)
            sys.exit(2)
    p = platform()
    report = run_automatic(db_session(), p.clock, day)
    db_session().commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    started = campaign_launcher(app).run_once().started
    if not report.added:
        click.echo("no owner's day has come: no visits added")
    for campaign_id, added in report.added.items():
        click.echo(f"campaign {campaign_id}: {added} visits added")
    click.echo(f"started {started} visits")


@bench.command("campaigns")
@click.option(
    "--owners", default=50_000, show_default=True, help="Owners (one unit each) the campaign reaches."
)
@click.option(
    "--postgres-url",
    "--database-url",
    "postgres_url",
    default=None,
    help="Run on PostgreSQL (database lintel_bench_campaigns), not SQLite.",
)
def bench_campaigns(owners: int, postgres_url: str | None) -> None:
    """Seconds to launch a campaign over OWNERS owners with 10 visitors: the visits written and every
    one's instance started (the launcher's chunks); SQLite unless --postgres-url."""
    from bench.campaigns import run

    run(owners=owners, postgres_url=postgres_url, echo=click.echo)
