"""The `lintel` command: set up, deploy diagrams, serve, issue tokens, benchmark."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy import func, select

from crm.credentials import Credentials
from crm.demo import DEMO_PASSWORD, USERS, load_demo, load_departments
from crm.directory import actor_for, hash_password
from crm.models import Department, User
from crm.platform import Foundation, Platform
from crm.staff import contact
from engine.actors import Actor
from engine.bundle_files import base_name
from engine.bundle_groups import BadOption, deploy_options, split_bundles
from engine.definitions import deploy_checksum
from engine.errors import DeployRefused, EngineError, InvalidData
from engine.models import ProcessInstance, TimerStartSchedule
from engine.timing import to_aware
from engine.validation import DeployOptions
from lintel.clock import SHANGHAI, FixedClock
from webapp import create_app, db_session, platform
from webapp.database import ROOT, upgrade
from webapp.scheduler import (
    describe,
    describe_sending,
    dispatch,
    move_instances,
    refresh_kpis,
    run_blocking,
    send_bulletins,
    start_in_background,
    start_visits,
    tick,
    timer_job,
)
from webapp.serving import AccessLog, configure_logging, database_problem, port_problem
from webapp.settings import SettingsProblem

BUNDLED_WORKFLOWS = ROOT / "workflows"


class LintelGroup(FlaskGroup):
    """Lintel's own commands and nothing of the framework's generic options (--app, --env-file, --debug)."""

    def __init__(self, **extra: Any) -> None:
        super().__init__(**extra)
        self.params = [p for p in self.params if p.name not in ("env_file", "app", "debug")]


def _app() -> Flask:
    try:
        return create_app()
    except SettingsProblem as problem:
        # An operator's mistake in the environment: say which setting, not a traceback.
        click.echo(f"lintel cannot start: {problem}", err=True)
        sys.exit(2)


# Commands that make their database, or need none.
NO_DATABASE_NEEDED = {"init", "bench", None}


@click.group(
    cls=LintelGroup,
    create_app=_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Lintel: workflow-driven service requests for a homebuilder's customer-relations centre."""
    if ctx.invoked_subcommand in NO_DATABASE_NEEDED or "--help" in sys.argv[1:]:
        return
    problem = database_problem(ctx.ensure_object(ScriptInfo).load_app())
    if problem is not None:
        click.echo(problem, err=True)
        ctx.exit(1)


@main.command()
@click.option(
    "--demo",
    is_flag=True,
    help="Also load demo staff (password 'demo') and a demo centre: projects, units, owners, contracts.",
)
def init(demo: bool) -> None:
    """Create or upgrade the database, load the departments, deploy the bundled workflows.

    Without --demo no account is created: add the first administrator with `lintel user add`."""
    session = db_session()
    upgrade(session.get_bind())
    if demo:
        load_demo(session, centre=True, clock=current_app.extensions["lintel.foundation"].clock)
    else:
        load_departments(session)
    session.commit()
    # Only where the process has no version yet: a running system's diagram changes by an explicit deploy,
    # never because someone ran init (a version a process owner uploaded stays current).
    _deploy_paths(sorted(BUNDLED_WORKFLOWS.glob("*.bpmn")), dry_run=False, only_new=True)
    click.echo(f"database ready: {current_app.config['LINTEL_DATABASE_URL']}")
    if demo:
        click.echo(f"demo logins (password '{DEMO_PASSWORD}'): " + ", ".join(u[0] for u in USERS))
    elif not db_session().scalar(select(func.count()).select_from(User)):
        click.echo("no accounts yet: lintel user add NAME --role administrator --department crc")


@main.command()
def demo() -> None:
    """Add demo complaints in every state (new, overdue, escalated, waiting for the owner, replied,
    reworked, closed and rated), and the demo project's owners' open day with defects in every state of
    their rectification (to assign, rectifying, overdue, re-verification after a failed round, waiting for
    the owner, closed) and the contractors that rectify them, and this month's progress notices of the
    projects under construction with engineering's reports: played from days ago up to now; each only
    when there is none yet."""
    from webapp.demo import load_demo_cases, load_demo_open_day, load_demo_progress

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sessions, foundation = app.extensions["lintel.sessions"], app.extensions["lintel.foundation"]
    added = load_demo_cases(sessions, foundation)
    click.echo(
        f"demo complaints added: {added}" if added else "complaints exist already: no demo cases added"
    )
    uploads = Path(app.config["LINTEL_INSTANCE_PATH"]) / "uploads"
    defects = load_demo_open_day(sessions, foundation, uploads)
    click.echo(
        f"demo open day added: {defects} defects"
        if defects
        else "the demo project has an open day already: no demo defects added"
    )
    notices = load_demo_progress(sessions, foundation)
    click.echo(
        f"demo progress notices added: {notices}"
        if notices
        else "progress notices exist already: no demo progress notices added"
    )
    from crm.visits.demo_visits import load_demo_visits

    visits = load_demo_visits(
        sessions, foundation.clock, lambda session: Platform(session, foundation).runtime
    )
    click.echo(
        f"demo return visits started: {visits}"
        if visits
        else "campaigns exist already: no demo campaigns added"
    )


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only check the files; store nothing.")
@click.option("--default-department", metavar="CODE", help="Department of a task with no lane or group.")
@click.option("--lane", "lanes", multiple=True, metavar="NAME=CODE", help="Route a lane to a department.")
def deploy(
    paths: tuple[Path, ...], dry_run: bool, default_department: str | None, lanes: tuple[str, ...]
) -> None:
    """Check and deploy diagrams with their companions (all or none).

    The files are the main BPMN diagram and what it uses: BPMN files its call activities call, DMN files
    its business rule tasks run, form files (.form, .json). Several main diagrams (processes no other file
    calls) are several deploys, each with the files it uses. The options apply to each deploy."""
    try:
        options = deploy_options(default_department, lanes)
    except BadOption as exc:
        click.echo(f"--lane: {exc}", err=True)
        sys.exit(2)
    _deploy_paths(list(paths), dry_run=dry_run, options=options)


def _deploy_paths(
    paths: list[Path], *, dry_run: bool, only_new: bool = False, options: DeployOptions | None = None
) -> None:
    """Deploy every bundle or none; with `only_new`, bundles whose process already has a version are left
    out."""
    definitions = platform().definitions
    problems = []
    files: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            files.append((str(path), path.read_bytes()))
        except OSError as exc:
            problems.append(f"{path}:0: -: cannot read the file: {exc.strerror}")
    bundles = [[files[i] for i in group] for group in split_bundles(files, definitions.form_keys)]
    if only_new:  # `lintel init`: each bundled workflow is its own deploy
        bundles = [[f] for f in files]
    kept = []
    checked = []
    for bundle in bundles:
        try:
            checked_bundle = definitions.check_bundle(bundle, options=options)
        except DeployRefused as refused:
            given = {base_name(name): name for name, _ in bundle}  # say the path as it was typed
            problems.extend(replace(p, file=given.get(p.file, p.file)).format() for p in refused.problems)
            continue
        parsed = checked_bundle.parsed
        current = definitions.latest_or_none(parsed.key) if only_new else None
        if current is not None:
            stored = [(f.filename, f.content) for f in checked_bundle.files]
            same = current.checksum == deploy_checksum(stored, parsed.options)
            note = "unchanged" if same else "kept: deploy a changed diagram with lintel deploy"
            kept.append(f"{current.key} v{current.version} ({note})")
            continue
        checked.append(bundle)
    if problems:
        click.echo("\n".join(problems), err=True)
        click.echo(f"nothing deployed: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    lines = kept
    for bundle in checked:
        try:
            result = definitions.deploy(bundle, options=options, actor="cli", dry_run=dry_run)
        except DeployRefused as refused:  # found only when storing (a timer start that cannot be scheduled)
            db_session().rollback()
            click.echo("\n".join(p.format() for p in refused.problems), err=True)
            click.echo("nothing deployed", err=True)
            sys.exit(1)
        note = "" if result.created else " (unchanged)"
        with_files = f" with {len(bundle) - 1} more file(s)" if len(bundle) > 1 else ""
        lines.append(f"{result.key} v{result.version}{note}{with_files}{' (dry run)' if dry_run else ''}")
        lines.extend(f"  note: {notice.format()}" for notice in result.notices)
    if not dry_run:
        db_session().commit()
    click.echo("\n".join(lines))


@main.command()
@click.argument("key")
@click.option(
    "--data", "data_text", default="{}", help='The start data as a JSON object, e.g. \'{"summary": "…"}\'.'
)
@click.option(
    "--as",
    "username",
    default=None,
    help="Start it as this staff member (who must be allowed to); by default as the operator, `cli`.",
)
def start(key: str, data_text: str, username: str | None) -> None:
    """Start the latest version of process KEY as a new request; prints its number and id."""
    try:
        data = json.loads(data_text)
    except ValueError as exc:
        click.echo(f"--data is not valid JSON: {exc}", err=True)
        sys.exit(2)
    if not isinstance(data, dict):
        click.echo('--data must be a JSON object, e.g. \'{"summary": "…"}\'', err=True)
        sys.exit(2)
    p = platform()
    if username is None:
        starter, check = Actor("cli", frozenset()), False
    else:
        user = p.directory.user(username)
        if user is None or not user.active:
            click.echo(f"no active user '{username}'", err=True)
            sys.exit(1)
        starter, check = actor_for(user), True
    try:
        request = p.process_requests.start(key, data, starter, check_starter=check)
    except InvalidData as invalid:
        db_session().rollback()
        reasons = "; ".join(f"{field}: {why}" for field, why in invalid.fields.items())
        click.echo(f"the data is refused: {reasons or invalid}", err=True)
        sys.exit(1)
    except EngineError as refused:
        db_session().rollback()
        click.echo(str(refused), err=True)
        sys.exit(1)
    db_session().commit()
    click.echo(f"{request.number} {request.title} (request {request.instance_id})")
    instance = p.runtime.get(request.instance_id)
    if instance.status == "error":  # registered, but its workflow failed at once: an incident to look at
        click.echo(f"the workflow failed as it started: {instance.error} (see lintel incidents)", err=True)
        sys.exit(1)


@main.command()
@click.argument("username")
@click.option("--name", default="命令行签发", show_default=True, help="A label to recognise the token by.")
def token(username: str, name: str) -> None:
    """Print a new API token for USERNAME (and, on stderr, when it expires).

    The token is shown this once; only its hash is kept. It is listed, and can be revoked, on the user's
    account page and by administrators."""
    user = platform().directory.user(username)
    if user is None or not user.active:
        click.echo(f"no active user '{username}'", err=True)
        sys.exit(1)
    days = int(current_app.config["LINTEL_TOKEN_DAYS"])
    try:
        issued = Credentials(db_session(), platform().clock, token_lifetime=timedelta(days=days)).issue_token(
            user, name
        )
    except InvalidData as invalid:
        click.echo(f"--name {invalid.fields['name']}", err=True)
        sys.exit(2)
    db_session().commit()
    click.echo(issued.value)
    expires = issued.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    click.echo(f"expires {expires} (Asia/Shanghai)", err=True)


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
@click.option("--email", default="", help="Where notices of their work are emailed.")
@click.option("--phone", default="", help="Their mobile: escalations also come by SMS.")
@click.password_option()
def add_user(
    username: str,
    display_name: str | None,
    roles: tuple[str, ...],
    departments: tuple[str, ...],
    email: str,
    phone: str,
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
    problems: dict[str, str] = {}
    address, number = contact(email, phone, problems)
    if problems:
        click.echo("; ".join(f"--{name}: {message}" for name, message in problems.items()), err=True)
        sys.exit(1)
    session.add(
        User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            roles=",".join(roles),
            departments=list(found.values()),
            email=address,
            phone=number,
        )
    )
    session.commit()
    click.echo(f"user '{username}' created")


@main.command()
@click.option("--host", default=None, help="Defaults to LINTEL_HOST.")
@click.option("--port", default=None, type=int, help="Defaults to LINTEL_PORT.")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web application and the API."""
    from waitress import create_server

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    host = host or app.config["LINTEL_HOST"]
    port = port or int(app.config["LINTEL_PORT"])
    configure_logging()
    problem = port_problem(host, port)
    if problem is not None:
        click.echo(problem, err=True)
        sys.exit(1)
    server = create_server(AccessLog(app), host=host, port=port, threads=8, ident="lintel")
    scheduler = start_in_background(app)
    # Only now, with the socket listening, is the server really serving.
    click.echo(
        f"Lintel is serving on http://{host}:{port}" + (" (timers and messages on)" if scheduler else "")
    )
    try:
        server.run()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@main.command()
@click.option("--once", is_flag=True, help="Fire and send what is due now, print what was done, and exit.")
@click.option(
    "--batch",
    default=50,
    show_default=True,
    help="Instances with due timers, or messages, taken per transaction.",
)
def worker(once: bool, batch: int) -> None:
    """Fire due timers and timer start events, queue the messages of approved notices, move the requests
    of queued migration runs, bring the figures up to date, and send the messages due (run as many as you
    like against PostgreSQL: no timer fires twice, no message goes out twice)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        report = tick(app, timer_job(app, batch=batch))
        click.echo(f"fired {report.timers} timers, started {report.starts} instances")
        click.echo(describe_sending(send_bulletins(app)))
        visits = start_visits(app)
        click.echo(f"started {visits.started} return visits, cancelled {visits.cancelled}")
        click.echo(f"migration runs: dealt with {move_instances(app)} requests")
        figures = refresh_kpis(app)
        click.echo(f"figures: {figures.instances} requests recomputed, {figures.days} days added up")
        click.echo(describe(dispatch(app, batch=batch)))
        return
    configure_logging()
    click.echo(
        f"Lintel worker: looking for due timers every {app.config['LINTEL_TIMER_POLL_SECONDS']} s, "
        f"for messages to send every {app.config['LINTEL_NOTICE_POLL_SECONDS']} s"
    )
    run_blocking(app, batch)


@main.group()
def timers() -> None:
    """Pending timers, and drills that fire what would be due at a given moment."""


@timers.command("list")
@click.option("--limit", default=50, show_default=True)
def list_timers(limit: int) -> None:
    """Pending instance timers and timer start events, soonest first (times in Asia/Shanghai)."""
    session = db_session()
    rows = session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.process_key,
            ProcessInstance.business_key,
            ProcessInstance.next_timer_at,
        )
        .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at.is_not(None))
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    ).all()
    starts = session.scalars(
        select(TimerStartSchedule)
        .where(TimerStartSchedule.next_due_at.is_not(None))
        .order_by(TimerStartSchedule.next_due_at)
    ).all()
    if not rows and not starts:
        click.echo("no pending timers")
    for instance_id, key, business_key, due in rows:
        click.echo(f"{_local(due)}  instance {instance_id}  {key}  {business_key or ''}".rstrip())
    for start in starts:
        click.echo(f"{_local(start.next_due_at)}  start  {start.process_key}  ({start.element_id})")


@timers.command("run")
@click.option(
    "--at", "at_text", required=True, help="ISO date-time; without an offset it is Asia/Shanghai time."
)
def run_timers(at_text: str) -> None:
    """Fire everything due up to --at, each at its own moment, exactly as waiting until then would."""
    try:
        at = to_aware(datetime.fromisoformat(at_text))
    except ValueError:
        click.echo(f"--at '{at_text}' is not an ISO date-time such as 2026-11-30T10:00", err=True)
        sys.exit(2)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    base = app.extensions["lintel.foundation"]
    job = timer_job(app, base)
    first = job.next_due()
    clock = FixedClock(min(first, at) if first else at)
    drill = Foundation(
        clock=clock,
        forms=base.forms,
        specs=base.specs,
        serializer=base.serializer,
        calendar=base.calendar,
        script_limits=base.script_limits,
    )
    report = timer_job(app, drill).run_until(at, clock)
    click.echo(f"fired {report.timers} timers, started {report.starts} instances up to {_local(at)}")


def _local(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


@main.group()
def bench() -> None:
    """Benchmarks (they print their figures; the last line is one JSON object)."""


@bench.command("engine")
@click.option("--instances", default=200, show_default=True, help="Complaint instances per database.")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option(
    "--processes", default=2, show_default=True, help="Also complete on PostgreSQL from this many processes."
)
def bench_engine(instances: int, postgres_url: str, processes: int) -> None:
    """Complaint instances/s and task completions/s on SQLite and PostgreSQL against raw SpiffWorkflow."""
    from bench.engine import run

    run(instances=instances, postgres_url=postgres_url, processes=processes, echo=click.echo)


@bench.command("starts")
@click.option("--instances", default=50_000, show_default=True, help="Return visits started in one call.")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option("--sqlite-only", is_flag=True, help="Leave PostgreSQL out.")
def bench_starts(instances: int, postgres_url: str, sqlite_only: bool) -> None:
    """Return-visit instances started at once (start_many) per second on SQLite and PostgreSQL (database
    lintel_bench_starts)."""
    from bench.starts import run

    run(instances=instances, postgres_url=None if sqlite_only else postgres_url, echo=click.echo)


@bench.command("timers")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option("--pending", default=1_000_000, show_default=True, help="Pending timers in the table.")
@click.option("--due", default=10_000, show_default=True, help="Of which due (real instances).")
@click.option("--workers", default=2, show_default=True, help="`lintel worker` processes.")
def bench_timers(postgres_url: str, pending: int, due: int, workers: int) -> None:
    """Acquisition query time, fires/s and lateness p50/p99 with 1,000,000 pending timers on PostgreSQL."""
    from bench.timers import run

    run(postgres_url=postgres_url, pending=pending, due=due, workers=workers, echo=click.echo)


@bench.command("pages")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option("--tasks", default=1_000_000, show_default=True, help="Inbox rows (human_tasks) to fill in.")
@click.option("--runs", default=30, show_default=True, help="Timed requests per page (after a warm-up).")
def bench_pages(postgres_url: str, tasks: int, runs: int) -> None:
    """p50/p95 of every page with 1,000,000 inbox rows on PostgreSQL (database lintel_bench_pages)."""
    from bench.pages import run

    run(postgres_url=postgres_url, tasks=tasks, runs=runs, echo=click.echo)


@bench.command("kpis")
@click.option(
    "--postgres-url",
    default="postgresql+psycopg://postgres@127.0.0.1:5432/lintel_bench_kpis",
    show_default=True,
    help="The database to fill (dropped and made anew; its name must contain 'bench').",
)
@click.option("--requests", default=1_000_000, show_default=True, help="Requests to fill in (two years).")
@click.option("--runs", default=20, show_default=True, help="Timed requests per page (after a warm-up).")
@click.option("--reuse", is_flag=True, help="Keep the data already there when it has that many requests.")
@click.option(
    "--keep-figures",
    is_flag=True,
    help="With --reuse: keep the figures' tables as the last run built them (no rebuild; the refresh runs).",
)
def bench_kpis(postgres_url: str, requests: int, runs: int, reuse: bool, keep_figures: bool) -> None:
    """The figures rebuilt and refreshed, and p50/p95 of every figures page, with 1,000,000 requests and
    about 10,000,000 audit events on PostgreSQL."""
    from bench.kpis import run

    run(
        postgres_url=postgres_url,
        requests=requests,
        runs=runs,
        reuse=reuse,
        keep_figures=keep_figures,
        echo=click.echo,
    )


@bench.command("people")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option("--owners", default=100_000, show_default=True, help="Owners (each with a unit) to fill in.")
@click.option("--runs", default=5, show_default=True, help="Timed searches per form (after a warm-up).")
def bench_people(postgres_url: str, owners: int, runs: int) -> None:
    """Each way of finding an owner, timed with 100,000 owners on SQLite and PostgreSQL (database
    lintel_bench_people)."""
    from bench.people import run

    run(owners=owners, postgres_url=postgres_url, runs=runs, echo=click.echo)


@bench.command("reports")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option("--defects", default=100_000, show_default=True, help="Defects to fill in.")
@click.option("--runs", default=3, show_default=True, help="Timed runs per report (after a warm-up).")
def bench_reports(postgres_url: str, defects: int, runs: int) -> None:
    """The defect reports (bureau summary, defect feedback, defect lists) written with 100,000 defects on
    SQLite and PostgreSQL (database lintel_bench_reports)."""
    from bench.reports import run

    run(defects=defects, postgres_url=postgres_url, runs=runs, echo=click.echo)


@bench.command("import")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option("--units", default=100_000, show_default=True, help="Units (each with owners and a contract).")
def bench_import(postgres_url: str, units: int) -> None:
    """Seconds to import 100,000 units with their owners and contracts on SQLite and PostgreSQL."""
    from bench.imports import run

    run(units=units, postgres_url=postgres_url, echo=click.echo)


@bench.command("handover")
@click.option(
    "--postgres-url", default=None, help="Run on PostgreSQL (database lintel_bench_handover), not SQLite."
)
@click.option("--runs", default=30, show_default=True, help="Timed building boards (after a warm-up).")
def bench_handover(postgres_url: str | None, runs: int) -> None:
    """Seconds to register 3,000 defects (600 units × 5) through the service layer, then the building
    board's p95 at 100,000 defects; SQLite unless --postgres-url."""
    from bench.handover import run

    run(postgres_url=postgres_url, runs=runs, echo=click.echo)


if __name__ == "__main__":
    main()


# Registering `lintel import`, `lintel incidents`, `lintel notices`, `lintel bulletins`, `lintel campaigns`.
from webapp import (  # noqa: E402,F401
    cli_bulletins,
    cli_campaigns,
    cli_imports,
    cli_incidents,
    cli_kpis,
    cli_notices,
    cli_reports,
)
