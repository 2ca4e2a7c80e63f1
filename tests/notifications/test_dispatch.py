"""The dispatcher under pressure: several at once never send one message twice, a dispatcher that dies
mid-batch loses nothing, quiet hours hold an SMS without spending an attempt."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import FixedClock
from notifications.channels import DeliveryFailed, Outgoing, RecordingChannel
from notifications.dispatch import Dispatcher, Retry
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.quiet import QuietHours
from notifications.templates import Templates
from tests.conftest import fresh_database_url
from webapp.database import make_engine, upgrade


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    kind = tmp_path / "templates" / "notice"
    kind.mkdir(parents=True)
    (kind / "default.j2").write_text(
        "{% block subject %}通知 {{ n }}{% endblock %}{% block body %}第 {{ n }} 条{% endblock %}"
    )
    return Templates([tmp_path / "templates"])


def queue(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    templates: Templates,
    count: int,
    channel: str = "email",
) -> None:
    with sessions.begin() as session:
        outbox = Outbox(session, clock, templates, QuietHours())
        for n in range(count):
            address = "13800000001" if channel == "sms" else f"owner{n}@example.com"
            outbox.queue("notice", [Address(channel, address, f"owner:{n}")], {"n": n})


def messages(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


class Crash(BaseException):
    """The process dies: not a delivery failure, nothing after it runs."""


class CrashesAfter:
    """Delivers (the far end has it) and then the dispatcher dies, after `deliveries` messages."""

    def __init__(self, deliveries: int) -> None:
        self.deliveries = deliveries
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)
        if len(self.sent) == self.deliveries:
            raise Crash


class Shared:
    """One far end that several dispatcher threads send to; gives the other threads a turn after each."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by: dict[str, list[Outgoing]] = {}

    def channel(self, name: str) -> RecordingChannel:
        shared = self

        class Send(RecordingChannel):
            def send(self, message: Outgoing) -> None:
                with shared.lock:
                    shared.by.setdefault(name, []).append(message)
                time.sleep(0.0005)  # a real channel waits on the network; lets the other dispatcher in

        return Send()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_dispatchers_send_every_message_exactly_once(
    kind: str, tmp_path: Path, templates: Templates
) -> None:
    engine = make_engine(fresh_database_url(kind, tmp_path, name="dispatch"))
    upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    clock = FixedClock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    queue(sessions, clock, templates, 400)
    far_end = Shared()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            Dispatcher(
                sessionmaker(engine), {"email": far_end.channel(name)}, clock, name=name
            ).run_until_empty(batch=20)
        except BaseException as exc:  # noqa: BLE001 - any failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("worker-a", "worker-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    keys = Counter(m.idempotency_key for sent in far_end.by.values() for m in sent)
    assert len(keys) == 400 and set(keys.values()) == {1}
    assert all(far_end.by.get(name) for name in ("worker-a", "worker-b")), "both took a share"
    rows = messages(sessions)
    assert {(m.status, m.attempts, m.claimed_by) for m in rows} == {("sent", 1, None)}
    engine.dispose()


def test_a_dispatcher_that_died_mid_batch_loses_nothing(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, 5)
    dying = CrashesAfter(deliveries=4)
    first = Dispatcher(session_factory, {"email": dying}, clock, name="first", record_every=2)
    with pytest.raises(Crash):
        first.run_once()
    # The first two were recorded; the third went out and the fourth went out as it died: not recorded.
    assert [m.status for m in messages(session_factory)] == ["sent", "sent", "sending", "sending", "sending"]

    recording = RecordingChannel()
    second = Dispatcher(session_factory, {"email": recording}, clock, name="second")
    assert second.run_once().sent == 0  # still leased to the first
    clock.advance(timedelta(minutes=5, seconds=1))
    assert second.run_until_empty().sent == 3
    # The ones that had gone out are offered again with the same key, so the far end can recognise them.
    assert [m.idempotency_key for m in recording.sent] == [m.idempotency_key for m in dying.sent[2:]] + [
        messages(session_factory)[4].idempotency_key
    ]
    assert [m.attempt for m in recording.sent] == [2, 2, 2]
    assert {m.status for m in messages(session_factory)} == {"sent"}


def test_a_batch_that_outlives_its_lease_gives_the_rest_back_untried(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, 4)

    class Slow(RecordingChannel):
        def send(self, message: Outgoing) -> None:
            super().send(message)
            clock.advance(timedelta(minutes=2))  # each takes two minutes of a five-minute lease

    slow = Slow()
    report = Dispatcher(session_factory, {"email": slow}, clock).run_once()
    assert (report.sent, report.released) == (2, 2)
    rows = messages(session_factory)
    assert [(m.status, m.attempts) for m in rows] == [
        ("sent", 1),
        ("sent", 1),
        ("pending", 0),
        ("pending", 0),
    ]


def test_an_sms_retry_falling_in_quiet_hours_waits_for_the_morning_without_spending_an_attempt(
    session_factory: sessionmaker[Session], templates: Templates
) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 12, 59, tzinfo=UTC))  # 20:59 in Shanghai
    queue(session_factory, clock, templates, 1, channel="sms")

    class Busy:
        def send(self, message: Outgoing) -> None:
            raise DeliveryFailed("gateway busy")

    retry = Retry(max_attempts=2, first_delay=timedelta(seconds=30))
    assert Dispatcher(session_factory, {"sms": Busy()}, clock, retry=retry).run_once().retried == 1
    clock.set(datetime(2026, 12, 1, 13, 0, 30, tzinfo=UTC))  # 21:00:30: due, but quiet
    sms = RecordingChannel()
    dispatcher = Dispatcher(session_factory, {"sms": sms}, clock, retry=retry)
    assert dispatcher.run_once().held == 1
    (row,) = messages(session_factory)
    assert (row.status, row.attempts, row.not_before) == (
        "pending",
        1,
        datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
    )
    clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # 08:00
    assert dispatcher.run_once().sent == 1
    assert sms.sent[0].attempt == 2  # the last one allowed: the night's hold did not count


def test_a_message_for_a_channel_not_configured_is_a_dead_letter_at_once(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, 1, channel="wecom")
    assert Dispatcher(session_factory, {}, clock).run_once().dead == 1
    (row,) = messages(session_factory)
    assert (row.status, row.attempts, row.last_error) == (
        "dead",
        1,
        "未配置企业微信群机器人通道（见 README 的配置一节），消息无法发出",
    )


def test_a_channel_that_breaks_is_a_failed_attempt_not_a_stalled_batch(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, 2)

    class Broken:
        def send(self, message: Outgoing) -> None:
            raise KeyError("template_id")

    report = Dispatcher(session_factory, {"email": Broken()}, clock).run_once()
    assert report.retried == 2
    assert {(m.status, m.last_error) for m in messages(session_factory)} == {
        ("pending", "KeyError: 'template_id'")
    }
