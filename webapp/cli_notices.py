"""`lintel notices`: the outbox from the command line — list and count messages, resend dead letters, and
send one test message through a channel to check its configuration; and `lintel bench notices`."""

from __future__ import annotations

import sys
import uuid

import click
from flask import current_app
from sqlalchemy import select

from crm.messaging.masking import shown_address
from crm.models import Department
from notifications.channels import DeliveryFailed, Outgoing
from notifications.desk import NoSuchMessage, NotResendable, OutboxDesk, OutboxFilter
from notifications.models import STATUSES
from webapp import db_session, platform
from webapp.cli import _local, bench, main
from webapp.scheduler import dispatcher

TEST_CHANNELS = ("email", "sms", "wecom", "dingtalk")


def _desk() -> OutboxDesk:
    return OutboxDesk(db_session(), platform().clock)


@main.group(invoke_without_command=True)
@click.pass_context
def notices(ctx: click.Context) -> None:
    """Messages to owners and staff: list them, resend dead letters, test a channel."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_notices)


@notices.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only messages in this state.")
@click.option("--kind", help="Only this kind of message, e.g. task.new.")
@click.option("--channel", help="Only this channel: email, sms, wecom, dingtalk, console.")
@click.option("--recipient", help="Only messages whose recipient or address contains this.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def list_notices(
    status: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    recipient: str | None = None,
    limit: int = 50,
) -> None:
    """Counts by state and channel, then the latest messages, newest first (times in Asia/Shanghai)."""
    desk = _desk()
    counts = desk.counts()
    by_status = {s: sum(n for (st, _c), n in counts.items() if st == s) for s in STATUSES}
    click.echo("  ".join(f"{s} {by_status[s]}" for s in STATUSES))
    for name in sorted({c for _s, c in counts}):
        click.echo(f"  {name}: " + "  ".join(f"{s} {counts.get((s, name), 0)}" for s in STATUSES))
    wanted = OutboxFilter(status, kind, channel, recipient)
    rows = desk.latest(wanted, limit)
    if not rows:
        click.echo("no messages" + (" match" if any((status, kind, channel, recipient)) else ""))
        return
    total = desk.total(wanted)
    click.echo(f"latest {len(rows)} of {total}:")
    for m in rows:
        error = f"\t{(m.last_error or '').splitlines()[0][:120]}" if m.last_error else ""
        click.echo(
            f"{m.id}\t{_local(m.created_at)}\t{m.status}\t{m.channel}\t{m.kind}\t{m.recipient}\t"
            f"{shown_address(m.channel, m.address)}\tattempts {m.attempts}{error}"
        )


@notices.command("resend")
@click.argument("message_id", type=int, required=False)
@click.option("--dead", "every_dead", is_flag=True, help="Resend every dead letter.")
def resend(message_id: int | None, every_dead: bool) -> None:
    """Send a dead letter (or, with --dead, every one) again, its attempts counted afresh."""
    if (message_id is None) == (not every_dead):
        raise click.UsageError("give a message id or --dead (not both)")
    desk = _desk()
    if every_dead:
        count = desk.resend_dead()
        db_session().commit()
        click.echo(f"{count} dead letters will be sent again" if count else "no dead letters")
        return
    assert message_id is not None
    try:
        message = desk.resend(message_id)
    except (NoSuchMessage, NotResendable) as refused:
        db_session().rollback()
        click.echo(str(refused), err=True)
        sys.exit(1)
    db_session().commit()
    click.echo(f"message {message.id} ({message.kind} to {message.recipient}) will be sent again")


@notices.command("send-test")
@click.option("--channel", required=True, type=click.Choice(TEST_CHANNELS))
@click.option(
    "--to",
    "to",
    required=True,
    help="An email address, a mobile number, or a robot: its webhook URL or the code of the department "
    "whose robot it is.",
)
def send_test(channel: str, to: str) -> None:
    """Send one test message straight through a channel (not through the outbox) and say what happened."""
    to = to.strip()
    if channel in ("wecom", "dingtalk") and not to.startswith(("http://", "https://")):
        url = db_session().scalar(select(Department.robot_url).where(Department.code == to))
        if not url:
            click.echo(f"--to: no department '{to}' with a robot; give the robot's webhook URL", err=True)
            sys.exit(2)
        to = url
    elif channel == "email" and "@" not in to:
        click.echo(f"--to: '{to}' is not an email address", err=True)
        sys.exit(2)
    elif channel == "sms" and not to.lstrip("+").isdigit():
        click.echo(f"--to: '{to}' is not a mobile number", err=True)
        sys.exit(2)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sender = dispatcher(app).channels.get(channel)
    if sender is None:
        click.echo(
            f"channel {channel} is not configured (see the Configuration table in the README)", err=True
        )
        sys.exit(1)
    now = platform().clock.now()
    message = Outgoing(
        id=0,
        kind="test",
        channel=channel,
        address=to,
        subject="Lintel 测试消息",
        body=f"这是一条测试消息，发送于 {_local(now)}。收到即说明{channel}通道配置正确。",
        params={"test": True},
        idempotency_key=uuid.uuid4().hex,
        attempt=1,
    )
    try:
        sender.send(message)
    except DeliveryFailed as failure:
        kind = "refused (permanent)" if failure.permanent else "failed"
        click.echo(f"{channel} to {shown_address(channel, to)}: {kind}: {failure.reason}", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the administrator needs the channel's error, not a traceback
        click.echo(
            f"{channel} to {shown_address(channel, to)}: failed: {type(exc).__name__}: {exc}", err=True
        )
        sys.exit(1)
    click.echo(f"{channel} to {shown_address(channel, to)}: sent (key {message.idempotency_key})")


@bench.command("notices")
@click.option(
    "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True
)
@click.option("--messages", default=100_000, show_default=True, help="Messages rendered, queued and sent.")
@click.option(
    "--owners", default=100_000, show_default=True, help="Owners an approved notice goes to (0: skip it)."
)
def bench_notices(postgres_url: str, messages: int, owners: int) -> None:
    """Messages rendered and queued per second, then dispatched per second, on SQLite and PostgreSQL
    (database lintel_bench_notices); then a notice to 100,000 owners queued by the sender and dispatched
    (database lintel_bench_bulletins)."""
    from bench.notices import run

    run(messages=messages, owners=owners, postgres_url=postgres_url, echo=click.echo)
