"""The outbox and its dispatcher: queued with the change, sent once, retried with backoff, then dead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import FixedClock
from notifications.channels import DeliveryFailed, Outgoing, RecordingChannel
from notifications.dispatch import Dispatcher, Retry
from notifications.inapp import InAppMessages
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.quiet import QuietHours
from notifications.templates import Templates


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    kind = tmp_path / "task.new"
    kind.mkdir()
    (kind / "default.j2").write_text(
        "{% block subject %}{{ items|length }} 条新任务{% endblock %}"
        "{% block body %}{% for i in items %}{{ i.title }}\n{% endfor %}{% endblock %}"
    )
    (kind / "sms.j2").write_text("{% block body %}您有{{ items|length }}条新任务{% endblock %}")
    return Templates([tmp_path])


class Flaky:
    """Refuses the first `failures` attempts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryFailed("gateway busy")
        self.sent.append(message)


def outbox(session: Session, clock: FixedClock, templates: Templates) -> Outbox:
    return Outbox(session, clock, templates, QuietHours(), timedelta(seconds=60))


def test_a_burst_of_tasks_is_one_email_and_each_lands_in_the_bell(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    to = [Address("email", "eng@example.com", "user:eng"), Address("inapp", "user:eng", "user:eng")]
    with session_factory.begin() as session:
        for title in ("漏水", "墙面开裂", "门窗变形"):
            item = {"item": {"title": title}}
            outbox(session, clock, templates).queue("task.new", to, item, batch_key="eng")
    recording = RecordingChannel()
    dispatcher = Dispatcher(session_factory, {"email": recording}, clock)
    assert dispatcher.run_once().sent == 0  # the batch waits for more
    clock.advance(timedelta(seconds=61))
    assert dispatcher.run_until_empty().sent == 1
    assert recording.sent[0].subject == "3 条新任务"
    assert recording.sent[0].body.splitlines() == ["漏水", "墙面开裂", "门窗变形"]
    with session_factory() as session:
        assert InAppMessages(session, clock).unread_count("user:eng") == 3


def test_a_failing_channel_is_retried_with_backoff_then_dead_then_resent(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    with session_factory.begin() as session:
        outbox(session, clock, templates).queue(
            "task.new", [Address("email", "eng@example.com", "user:eng")], {"items": [{"title": "漏水"}]}
        )
    flaky = Flaky(failures=3)
    retry = Retry(max_attempts=3, first_delay=timedelta(seconds=30))
    dispatcher = Dispatcher(session_factory, {"email": flaky}, clock, retry=retry)
    assert dispatcher.run_once().retried == 1
    assert dispatcher.run_once().retried == 0  # not before 30 s
    clock.advance(timedelta(seconds=30))
    assert dispatcher.run_once().retried == 1
    clock.advance(timedelta(seconds=59))
    assert dispatcher.run_once().retried == 0  # the second wait is 60 s
    clock.advance(timedelta(seconds=1))
    assert dispatcher.run_once().dead == 1
    with session_factory.begin() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.attempts, message.last_error) == ("dead", 3, "gateway busy")
        assert outbox(session, clock, templates).resend(message.id) is not None
    assert dispatcher.run_once().sent == 1
    assert len(flaky.sent) == 1


def test_an_sms_queued_at_night_waits_for_the_morning(
    session_factory: sessionmaker[Session], templates: Templates
) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
    with session_factory.begin() as session:
        outbox(session, clock, templates).queue(
            "task.new", [Address("sms", "13800000001", "user:eng")], {"items": [{"title": "漏水"}]}
        )
    sms = RecordingChannel()
    dispatcher = Dispatcher(session_factory, {"sms": sms}, clock)
    clock.set(datetime(2026, 12, 1, 23, 59, tzinfo=UTC))  # 07:59
    assert dispatcher.run_once().sent == 0
    clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # 08:00
    assert dispatcher.run_once().sent == 1
    assert sms.sent[0].body == "您有1条新任务"
