"""`lintel bulletins`: the notices to buyers from the command line — list them, and run the sender of
approved notices once (what `lintel worker` does every few seconds)."""

from __future__ import annotations

import sys

import click
from flask import current_app

from crm.bulletins.models import KINDS, STATUSES, Bulletin
from crm.bulletins.sending import Sender
from crm.estate.models import Project
from webapp import db_session, platform
from webapp.cli import _local, main
from webapp.scheduler import describe_sending


@main.group(invoke_without_command=True)
@click.pass_context
def bulletins(ctx: click.Context) -> None:
    """Notices to buyers (楼盘进度通报, 规划设计变更通报): list them, send the approved ones."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_bulletins)


@bulletins.command("list")
@click.option("--kind", type=click.Choice(KINDS), help="Only progress or design-change notices.")
@click.option("--project", "project_code", help="Only the notices of the project with this code.")
@click.option("--status", type=click.Choice(STATUSES), help="Only notices in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def list_bulletins(
    kind: str | None = None, project_code: str | None = None, status: str | None = None, limit: int = 50
) -> None:
    """The notices, newest first: id, state, kind, project, month, recipients queued of all, title."""
    project_id = None
    if project_code:
        project = db_session().query(Project).filter(Project.code == project_code.strip()).one_or_none()
        if project is None:
            click.echo(f"--project: no project with the code '{project_code}'", err=True)
            sys.exit(2)
        project_id = project.id
    rows = platform().bulletins.page(kind=kind, project_id=project_id, status=status, limit=limit)
    if not rows:
        click.echo("no notices" + (" match" if any((kind, project_code, status)) else ""))
        return
    for b in rows:
        sent = f"\tsent {_local(b.sent_at)}" if b.sent_at else ""
        click.echo(
            f"{b.id}\t{b.status}\t{b.kind}\t{b.project.code}\t{b.period or '-'}\t"
            f"{b.recipients_queued}/{b.recipients_total}\t{b.title}{sent}"
        )


@bulletins.command("send")
@click.argument("bulletin_id", type=int, required=False)
@click.option(
    "--batch",
    default=2_000,
    show_default=True,
    type=click.IntRange(1, 50_000),
    help="Recipients queued per transaction.",
)
def send(bulletin_id: int | None, batch: int) -> None:
    """Queue the messages of every approved notice being sent (or only BULLETIN_ID) once, now; the
    workers send them. Exit 1 for a notice that does not exist or is not being sent."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sender = Sender(app.extensions["lintel.sessions"], app.extensions["lintel.foundation"], chunk=batch)
    if bulletin_id is None:
        click.echo(describe_sending(sender.run_once()))
        return
    bulletin = db_session().get(Bulletin, bulletin_id) if 0 < bulletin_id <= 2**31 - 1 else None
    if bulletin is None:
        click.echo(f"notice {bulletin_id} does not exist", err=True)
        sys.exit(1)
    if bulletin.status != "sending":
        said = "sent already" if bulletin.status == "sent" else f"{bulletin.status}, not approved for sending"
        click.echo(f"notice {bulletin_id} is {said}", err=True)
        sys.exit(1)
    db_session().rollback()  # the sender works in its own transactions
    click.echo(describe_sending(sender.send(bulletin_id)))
