"""Limits on repeated failures (sign-in, portal look-ups), counted in the database so that every web
process sees the same attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crm.models import ThrottleAttempt
from lintel.clock import Clock


class Throttled(Exception):
    """Too many failures for this key; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


class Throttle:
    def __init__(self, session: Session, clock: Clock, *, limit: int, window: timedelta) -> None:
        self.session = session
        self.clock = clock
        self.limit = limit
        self.window = window

    def check(self, scope: str, *keys: str) -> None:
        """Raise Throttled when any of `keys` has had `limit` failures within the window."""
        since = self.clock.now() - self.window
        for key in keys:
            failures, oldest = self.session.execute(
                select(func.count(), func.min(ThrottleAttempt.at)).where(
                    ThrottleAttempt.scope == scope,
                    ThrottleAttempt.key == key[:200],
                    ThrottleAttempt.at > since,
                )
            ).one()
            if failures >= self.limit:
                retry = oldest + self.window - self.clock.now()
                raise Throttled(max(1, int(retry.total_seconds()) + 1))

    def fail(self, scope: str, *keys: str) -> None:
        now = self.clock.now()
        for key in keys:
            # Old attempts of this key are of no further use: keep the table small as it goes.
            self.session.execute(
                delete(ThrottleAttempt).where(
                    ThrottleAttempt.scope == scope,
                    ThrottleAttempt.key == key[:200],
                    ThrottleAttempt.at <= now - self.window,
                )
            )
            self.session.add(ThrottleAttempt(scope=scope, key=key[:200], at=now))
        self.session.flush()

    def clear(self, scope: str, key: str) -> None:
        self.session.execute(
            delete(ThrottleAttempt).where(ThrottleAttempt.scope == scope, ThrottleAttempt.key == key[:200])
        )
