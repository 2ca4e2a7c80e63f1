"""A batch gathers a burst into one message: also within one transaction before anything is flushed, and
only up to a size a reader can take in — the next item then begins the next message."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lintel.clock import FixedClock
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.quiet import QuietHours
from notifications.templates import Templates

TO = [Address("email", "eng@example.com", "user:eng"), Address("wecom", "https://robot.example/eng", "d:eng")]


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    kind = tmp_path / "task.new"
    kind.mkdir()
    (kind / "default.j2").write_text(
        "{% block subject %}{{ items|length }} 条新任务{% endblock %}"
        "{% block body %}{% for i in items %}{{ i.title }}\n{% endfor %}{% endblock %}"
    )
    return Templates([tmp_path])


def messages(session: Session) -> list[OutboxMessage]:
    session.flush()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_burst_within_one_unflushed_transaction_is_one_message_per_address(
    session: Session, clock: FixedClock, templates: Templates
) -> None:
    with session.no_autoflush:  # as a subscriber runs
        for title in ("漏水", "墙面开裂", "门窗变形"):
            outbox = Outbox(session, clock, templates, QuietHours(), timedelta(seconds=60))
            outbox.queue("task.new", TO, {"item": {"title": title}}, batch_key="task.new:eng")
    found = messages(session)
    assert [(m.channel, m.subject) for m in found] == [("email", "3 条新任务"), ("wecom", "3 条新任务")]
    assert found[0].body.splitlines() == ["漏水", "墙面开裂", "门窗变形"]


def test_a_full_batch_goes_as_it_is_and_the_next_item_begins_another(
    session: Session, clock: FixedClock, templates: Templates
) -> None:
    outbox = Outbox(session, clock, templates, QuietHours(), timedelta(seconds=60), batch_max=2)
    for title in ("一", "二", "三", "四", "五"):
        outbox.queue("task.new", TO[:1], {"item": {"title": title}}, batch_key="task.new:eng")
        session.flush()
    assert [m.subject for m in messages(session)] == ["2 条新任务", "2 条新任务", "1 条新任务"]
