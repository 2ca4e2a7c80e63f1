"""Failures earn the client a doubling wait, and are forgotten once it has been quiet a whole window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.throttle import Throttle, Throttled

WINDOW = timedelta(minutes=15)


@pytest.fixture
def throttle(session, clock) -> Throttle:  # type: ignore[no-untyped-def]
    return Throttle(session, clock, free=2, client_free=100, window=WINDOW)


def wait(throttle: Throttle, subject: str = "user:crc", client: str = "203.0.113.9") -> int:
    try:
        throttle.check("login", subject, client)
    except Throttled as exc:
        return exc.retry_after
    return 0


def test_waits_double_up_to_the_window_and_failures_are_then_forgotten(throttle, clock) -> None:
    waits = []
    for _ in range(12):
        throttle.fail("login", "user:crc", "203.0.113.9")
        waits.append(wait(throttle))
        clock.advance(timedelta(seconds=waits[-1]))
    # a guesser who waits out every delay keeps waiting five minutes a try (a third of the window)
    assert waits == [0, 5, 10, 20, 40, 80, 160, 300, 300, 300, 300, 300]
    clock.advance(WINDOW)
    throttle.fail("login", "user:crc", "203.0.113.9")
    assert wait(throttle) == 0  # a fresh start: only this failure is within the window


def test_one_clients_failures_never_hold_up_another_or_another_scope(throttle) -> None:
    for _ in range(5):
        throttle.fail("login", "user:crc", "203.0.113.9")
    assert wait(throttle) > 0
    assert wait(throttle, client="198.51.100.7") == 0
    assert wait(throttle, subject="user:eng") == 0  # the client's own count is far from its limit
    throttle.check("portal", "user:crc", "203.0.113.9")
