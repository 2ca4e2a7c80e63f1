"""Queued messages belong to the transaction that queued them, though they are written only as it commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import FixedClock
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.pending import FLUSH_EVERY
from notifications.quiet import QuietHours
from notifications.templates import Templates


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    (tmp_path / "notice").mkdir()
    (tmp_path / "notice" / "default.j2").write_text(
        "{% block subject %}通知{% endblock %}{% block body %}{{ n }}{% endblock %}"
    )
    return Templates([tmp_path])


def send(session: Session, clock: FixedClock, templates: Templates, n: int) -> None:
    Outbox(session, clock, templates, QuietHours()).queue(
        "notice", [Address("email", f"o{n}@example.com", f"owner:{n}")], {"n": n}
    )


def stored(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))


def test_what_a_committed_transaction_queued_is_stored_and_a_rolled_back_one_is_not(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    with session_factory() as session:
        send(session, clock, templates, 1)
        session.rollback()
        send(session, clock, templates, 2)
        session.commit()
    with session_factory() as session:
        send(session, clock, templates, 3)  # closed without a commit
    assert stored(session_factory) == ["2"]


def test_a_savepoint_rolled_back_takes_its_messages_and_leaves_the_earlier_ones(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    with session_factory() as session:
        send(session, clock, templates, 1)
        savepoint = session.begin_nested()
        send(session, clock, templates, 2)
        savepoint.rollback()
        with session.begin_nested():
            send(session, clock, templates, 3)
        send(session, clock, templates, 4)
        session.commit()
    assert stored(session_factory) == ["1", "3", "4"]


def test_a_large_notice_is_written_as_it_goes_and_counted_once(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    with session_factory() as session:
        for n in range(FLUSH_EVERY + 5):
            send(session, clock, templates, n)
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == FLUSH_EVERY + 5
        session.commit()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == FLUSH_EVERY + 5


def test_a_query_in_the_same_transaction_sees_what_was_queued(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    with session_factory() as session:
        send(session, clock, templates, 1)
        with session.begin_nested():
            send(session, clock, templates, 2)
            assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # 1 waits for it
            send(session, clock, templates, 3)
            with session.begin_nested():
                send(session, clock, templates, 4)
                assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
                inner = session.get_nested_transaction()
                assert inner is not None
                inner.rollback()
        assert sorted(session.scalars(select(OutboxMessage.body))) == ["1", "2", "3"]
        session.commit()
    assert sorted(stored(session_factory)) == ["1", "2", "3"]
