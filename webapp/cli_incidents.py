"""`lintel incidents`: failed instances from the command line — list, retry (on a newer version, with a
data patch), cancel with a reason. Acts as `cli` on the timeline."""

from __future__ import annotations

import json
import sys

import click

from crm.incidents import IncidentDesk
from engine.actors import Actor
from engine.errors import EngineError, InvalidData
from webapp import db_session, platform
from webapp.cli import _local, main

CLI = Actor("cli", sees_all=True)


def _refuse(exc: EngineError) -> None:
    db_session().rollback()
    fields = exc.fields if isinstance(exc, InvalidData) else {}
    details = "; ".join(f"{name}: {message}" for name, message in fields.items())
    click.echo(f"refused: {exc}" + (f" ({details})" if details else ""), err=True)
    sys.exit(1)


@main.group(invoke_without_command=True)
@click.pass_context
def incidents(ctx: click.Context) -> None:
    """Failed instances: list them, retry them, cancel them."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_incidents)


@incidents.command("list")
@click.option("--process", "process_key", default=None, help="Only this process (its key).")
def list_incidents(process_key: str | None) -> None:
    """Failed instances, the latest failure first."""
    p = platform()
    views = IncidentDesk(p.session, p.incidents).list(process_key=process_key)
    if not views:
        click.echo("no incidents")
        return
    for view in views:
        element = view.element_id or "-"
        if view.element_name and view.element_name != view.element_id:
            element = f"{view.element_id} ({view.element_name})"
        newer = f" (v{view.newer_version} deployed: retry --latest)" if view.newer_version else ""
        click.echo(
            f"{view.instance_id}\t{view.number or '-'}\t{view.process_key} v{view.version}{newer}\t"
            f"{element}\t{_local(view.failed_at)}\t{view.error or ''}"
        )


@incidents.command("retry")
@click.argument("instance_id", type=int)
@click.option("--latest", is_flag=True, help="Move it to the latest version of its process first.")
@click.option("--version", type=int, default=None, help="Move it to this version of its process first.")
@click.option("--data", "data_text", default=None, help="A JSON object merged into the failed task's data.")
def retry(instance_id: int, latest: bool, version: int | None, data_text: str | None) -> None:
    """Run a failed instance again from the task that failed."""
    if latest and version is not None:
        raise click.UsageError("give --latest or --version, not both")
    data = None
    if data_text is not None:
        try:
            data = json.loads(data_text)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
        if not isinstance(data, dict):
            raise click.BadParameter("give a JSON object, e.g. '{\"x\": 1}'", param_hint="--data")
    try:
        instance = platform().incidents.retry(
            instance_id, CLI, version="latest" if latest else version, data=data
        )
    except EngineError as exc:
        _refuse(exc)
        return
    db_session().commit()
    version_now = instance.definition.version
    if instance.status == "error":
        click.echo(
            f"instance {instance_id} failed again at {instance.error_element or '-'}: {instance.error}",
            err=True,
        )
        sys.exit(1)
    click.echo(f"instance {instance_id} is {instance.status} (v{version_now})")


@incidents.command("cancel")
@click.argument("instance_id", type=int)
@click.option("--reason", required=True, help="Why it is cancelled (shown on the request's timeline).")
def cancel(instance_id: int, reason: str) -> None:
    """Cancel a failed instance, with a reason."""
    try:
        platform().incidents.cancel(instance_id, CLI, reason)
    except EngineError as exc:
        _refuse(exc)
        return
    db_session().commit()
    click.echo(f"instance {instance_id} is cancelled")
