"""`lintel notices` and `lintel worker --once` as an operator uses them, against a real database file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lintel.clock import SystemClock
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.quiet import QuietHours
from notifications.templates import Templates
from tests.webapp.test_cli import Lintel
from webapp.database import make_engine


@pytest.fixture
def lintel(tmp_path: Path) -> Lintel:
    run = Lintel(tmp_path)
    assert run("init", "--demo").exit_code == 0
    return run


def queue(lintel: Lintel, folder: Path, *addresses: Address) -> list[int]:
    kind = folder / "templates" / "notice"
    kind.mkdir(parents=True, exist_ok=True)
    (kind / "default.j2").write_text(
        "{% block subject %}维修通知{% endblock %}{% block body %}明天上门{% endblock %}"
    )
    engine = make_engine(lintel.url)
    with Session(engine) as session:
        outbox = Outbox(session, SystemClock(), Templates([folder / "templates"]), QuietHours(None, None))
        keys = [m.idempotency_key for m in outbox.queue("notice", addresses, {})]
        session.commit()
        by_key = dict(session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.id)).all())
        ids = [by_key[key] for key in keys]
    engine.dispose()
    return ids


def kill(lintel: Lintel, message_id: int, error: str = "550 mailbox unavailable") -> None:
    engine = make_engine(lintel.url)
    with Session(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="dead", attempts=8, last_error=error)
        )
        session.commit()
    engine.dispose()


def row(lintel: Lintel, message_id: int) -> OutboxMessage:
    engine = make_engine(lintel.url)
    with Session(engine) as session:
        found = session.scalars(select(OutboxMessage).where(OutboxMessage.id == message_id)).one()
    engine.dispose()
    return found


def test_list_counts_by_state_and_channel_and_shows_the_newest_first(lintel: Lintel, tmp_path: Path) -> None:
    first, second = queue(
        lintel,
        tmp_path,
        Address("email", "eng@example.com", "user:eng"),
        Address("sms", "13800000001", "owner:1"),
    )
    kill(lintel, first)
    result = lintel("notices", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "pending 1  sending 0  sent 0  dead 1"
    assert "  email: pending 0  sending 0  sent 0  dead 1" in lines
    rows = [line for line in lines if line.split("\t")[0].isdigit()]
    assert [r.split("\t")[0] for r in rows] == [str(second), str(first)]
    assert "138****0001" in rows[0] and "13800000001" not in result.output  # the phone is masked
    assert rows[1].endswith("550 mailbox unavailable")

    dead = lintel("notices", "list", "--status", "dead")
    assert [line.split("\t")[0] for line in dead.output.splitlines() if "\t" in line] == [str(first)]
    assert "no messages match" in lintel("notices", "list", "--channel", "wecom").output
    assert lintel("notices", "list", "--status", "lost").exit_code == 2


def test_resend_one_or_every_dead_letter_and_refuse_the_rest_clearly(lintel: Lintel, tmp_path: Path) -> None:
    first, second, third = queue(
        lintel,
        tmp_path,
        Address("email", "a@example.com", "user:a"),
        Address("email", "b@example.com", "user:b"),
        Address("email", "c@example.com", "user:c"),
    )
    kill(lintel, first)
    kill(lintel, second)

    result = lintel("notices", "resend", str(first))
    assert (result.exit_code, result.output) == (
        0,
        f"message {first} (notice to user:a) will be sent again\n",
    )
    resent = row(lintel, first)
    assert (resent.status, resent.attempts) == ("pending", 0)

    refused = lintel("notices", "resend", str(third))
    assert refused.exit_code == 1
    assert f"message {third} is pending, not a dead letter" in refused.output
    missing = lintel("notices", "resend", "999999")
    assert (missing.exit_code, missing.output) == (1, "message 999999 does not exist\n")
    assert lintel("notices", "resend").exit_code == 2  # neither an id nor --dead

    assert lintel("notices", "resend", "--dead").output == "1 dead letters will be sent again\n"
    assert lintel("notices", "resend", "--dead").output == "no dead letters\n"


def test_the_worker_once_sends_what_is_due(lintel: Lintel, tmp_path: Path) -> None:
    (message_id,) = queue(lintel, tmp_path, Address("email", "eng@example.com", "user:eng"))
    lintel.env["LINTEL_NOTICE_CONSOLE"] = "1"
    result = lintel("worker", "--once")
    assert result.exit_code == 0
    assert "sent 1 messages, 0 to retry, 0 dead letters" in result.output
    assert "[email → eng@example.com] 维修通知" in result.output  # the console channel printed it
    sent = row(lintel, message_id)
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert sent.sent_at is not None and sent.sent_at - sent.created_at < timedelta(minutes=1)


def test_a_bad_delivery_setting_is_named_before_the_worker_starts(lintel: Lintel) -> None:
    lintel.env["LINTEL_NOTICE_MAX_ATTEMPTS"] = "many"
    result = lintel("worker", "--once")
    assert (result.exit_code, result.output) == (
        2,
        "lintel cannot start: LINTEL_NOTICE_MAX_ATTEMPTS must be a number of at least 1, not 'many'\n",
    )


def test_send_test_says_what_happened(lintel: Lintel) -> None:
    missing = lintel("notices", "send-test", "--channel", "sms", "--to", "13800000001")
    assert missing.exit_code == 1
    assert "channel sms is not configured" in missing.output
    assert lintel("notices", "send-test", "--channel", "sms", "--to", "call me").exit_code == 2
    assert lintel("notices", "send-test", "--channel", "email", "--to", "nobody").exit_code == 2
    robot = lintel("notices", "send-test", "--channel", "wecom", "--to", "nowhere")
    assert (robot.exit_code, robot.output.strip()) == (
        2,
        "--to: no department 'nowhere' with a robot; give the robot's webhook URL",
    )

    lintel.env["LINTEL_NOTICE_CONSOLE"] = "1"
    sent = lintel("notices", "send-test", "--channel", "email", "--to", "admin@example.com")
    assert sent.exit_code == 0
    assert "Lintel 测试消息" in sent.output and "email to admin@example.com: sent" in sent.output
