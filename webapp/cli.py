"""The `lintel` command: set up, deploy diagrams, serve, issue tokens, benchmark."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup

from crm.demo import DEMO_PASSWORD, USERS, load_demo, load_organisation
from crm.directory import hash_password
from crm.models import Department, User
from engine.errors import DeployRefused
from webapp import create_app, db_session, platform
from webapp.database import ROOT, upgrade

BUNDLED_WORKFLOWS = ROOT / "workflows"


@click.group(
    cls=FlaskGroup,
    create_app=lambda: create_app(),
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def main() -> None:
    """Lintel: workflow-driven service requests for a homebuilder's customer-relations centre."""


@main.command()
@click.option(
    "--demo", is_flag=True, help="Also load demo staff (password 'demo'), a project, units and owners."
)
def init(demo: bool) -> None:
    """Create or upgrade the database, load the departments, deploy the bundled workflows."""
    session = db_session()
    upgrade(session.get_bind())
    (load_demo if demo else load_organisation)(session)
    session.commit()
    _deploy_paths(sorted(BUNDLED_WORKFLOWS.glob("*.bpmn")), dry_run=False)
    click.echo(f"database ready: {current_app.config['LINTEL_DATABASE_URL']}")
    if demo:
        click.echo(f"demo logins (password '{DEMO_PASSWORD}'): " + ", ".join(u[0] for u in USERS))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only check the files; store nothing.")
def deploy(paths: tuple[Path, ...], dry_run: bool) -> None:
    """Check BPMN files and store each as a new version of its process (all or none)."""
    _deploy_paths(list(paths), dry_run=dry_run)


def _deploy_paths(paths: list[Path], *, dry_run: bool) -> None:
    definitions = platform().definitions
    problems = []
    contents = []
    for path in paths:
        try:
            contents.append((path, path.read_bytes()))
        except OSError as exc:
            problems.append(f"{path}:0: -: cannot read the file: {exc.strerror}")
    for path, content in contents:
        try:
            definitions.check(content, str(path))
        except DeployRefused as refused:
            problems.extend(p.format() for p in refused.problems)
    if problems:
        click.echo("\n".join(problems), err=True)
        click.echo(f"nothing deployed: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    for path, content in contents:
        result = definitions.deploy(content, str(path), actor="cli", dry_run=dry_run)
        note = "" if result.created else " (unchanged)"
        click.echo(f"{result.key} v{result.version}{note}{' (dry run)' if dry_run else ''}")
    if not dry_run:
        db_session().commit()


@main.command()
@click.argument("username")
def token(username: str) -> None:
    """Print a new API token for USERNAME."""
    directory = platform().directory
    user = directory.user(username)
    if user is None or not user.active:
        click.echo(f"no active user '{username}'", err=True)
        sys.exit(1)
    value = directory.issue_token(user)
    db_session().commit()
    click.echo(value)


@main.group()
def user() -> None:
    """Manage staff accounts."""


@user.command("add")
@click.argument("username")
@click.option("--name", "display_name", help="Display name (defaults to the username).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="administrator, coordinator, supervisor, handler, manager, "
    "inspector, process_owner, group (repeatable)",
)
@click.option("--department", "departments", multiple=True, help="Department code (repeatable).")
@click.password_option()
def add_user(
    username: str,
    display_name: str | None,
    roles: tuple[str, ...],
    departments: tuple[str, ...],
    password: str,
) -> None:
    """Create a staff account."""
    session = db_session()
    if platform().directory.user(username) is not None:
        click.echo(f"user '{username}' already exists", err=True)
        sys.exit(1)
    found = {d.code: d for d in session.query(Department).filter(Department.code.in_(departments))}
    missing = [d for d in departments if d not in found]
    if missing:
        click.echo(f"unknown department(s): {', '.join(missing)}", err=True)
        sys.exit(1)
    session.add(
        User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            roles=",".join(roles),
            departments=list(found.values()),
        )
    )
    session.commit()
    click.echo(f"user '{username}' created")


@main.command()
@click.option("--host", default=None, help="Defaults to LINTEL_HOST.")
@click.option("--port", default=None, type=int, help="Defaults to LINTEL_PORT.")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web application and the API."""
    from waitress import serve as waitress_serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    host = host or app.config["LINTEL_HOST"]
    port = port or int(app.config["LINTEL_PORT"])
    click.echo(f"Lintel is serving on http://{host}:{port}")
    waitress_serve(app, host=host, port=port, threads=8, ident="lintel")


@main.group()
def bench() -> None:
    """Benchmarks (they print their figures; the last line is one JSON object)."""


@bench.command("engine")
@click.option("--instances", default=200, show_default=True, help="Complaint instances per database.")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
def bench_engine(instances: int, postgres_url: str) -> None:
    """Complaint instances/s and task completions/s on SQLite and PostgreSQL against raw SpiffWorkflow."""
    from bench.engine import run

    run(instances=instances, postgres_url=postgres_url, echo=click.echo)
