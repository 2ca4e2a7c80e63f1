"""Growing delays after repeated failures (sign-in, portal look-ups), counted in the database so that every
web process sees the same attempts.

Failures are counted per key: what was tried *from where* (an account or a request number with the
client's address), and the client's address alone. A key may fail `free` times; after that each further
attempt under it waits a delay that doubles with every failure, up to a third of the window. The failures
add up for as long as the key keeps failing, and are forgotten once it has been quiet for a whole window.
Nothing is ever keyed by the account or the request number alone, so an attacker slows down only
themselves: the real person, from a client that has not failed, always gets in with the right password or
the right phone."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crm.models import ThrottleAttempt
from lintel.clock import Clock

FIRST_DELAY = timedelta(seconds=5)
MAX_KEY = 200


class Throttled(Exception):
    """Too many failures under one key; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Key:
    value: str
    free: int  # failures allowed before each further attempt waits

    @property
    def stored(self) -> str:
        return self.value[:MAX_KEY]


class Throttle:
    """`free` failures per subject and client (an account, a request number), `client_free` per client
    over every subject, before delays begin."""

    def __init__(
        self, session: Session, clock: Clock, *, free: int, client_free: int, window: timedelta
    ) -> None:
        self.session = session
        self.clock = clock
        self.free = free
        self.client_free = client_free
        self.window = window

    def keys(self, subject: str, client: str, device: str | None = None) -> tuple[Key, ...]:
        if device:
            # A browser that has proved it knows this subject before (a signed cookie from an earlier
            # success) is counted on its own, so a stranger at the same address cannot slow it down.
            return (Key(f"{subject}|device:{device}", self.free),)
        return Key(f"{subject}|client:{client}", self.free), Key(f"client:{client}", self.client_free)

    def delay(self, failures: int, free: int) -> timedelta:
        """How long the next attempt waits after `failures` recent failures under a key."""
        if failures < free:
            return timedelta(0)
        doublings = min(failures - free, 32)  # 5 s · 2^32 is far past any window already
        return min(FIRST_DELAY * 2**doublings, self.longest_delay)

    @property
    def longest_delay(self) -> timedelta:
        # Shorter than the window, so that a guesser who waits out each delay never looks quiet.
        return max(FIRST_DELAY, self.window / 3)

    def check(self, scope: str, subject: str, client: str, device: str | None = None) -> None:
        """Raise Throttled while this subject from this client, or this client at all, is still waiting
        out the delay its failures earned."""
        now = self.clock.now()
        by_value = {key.stored: key for key in self.keys(subject, client, device)}
        rows = self.session.execute(
            select(ThrottleAttempt.key, func.count(), func.max(ThrottleAttempt.at))
            .where(ThrottleAttempt.scope == scope, ThrottleAttempt.key.in_(list(by_value)))
            .group_by(ThrottleAttempt.key)
        ).all()
        wait = timedelta(0)
        for value, failures, last in rows:
            if last > now - self.window:  # else the key has been quiet a whole window: a fresh start
                wait = max(wait, last + self.delay(failures, by_value[value].free) - now)
        if wait > timedelta(0):
            raise Throttled(max(1, math.ceil(wait.total_seconds())))

    def fail(self, scope: str, subject: str, client: str, device: str | None = None) -> None:
        """Count a failure. A key's failures add up for as long as it keeps failing (so the delay keeps
        growing); once it has been quiet for a whole window they are dropped and it starts afresh."""
        now = self.clock.now()
        values = [key.stored for key in self.keys(subject, client, device)]
        quiet = (
            select(ThrottleAttempt.key)
            .where(ThrottleAttempt.scope == scope, ThrottleAttempt.key.in_(values))
            .group_by(ThrottleAttempt.key)
            .having(func.max(ThrottleAttempt.at) <= now - self.window)
        )
        self.session.execute(
            delete(ThrottleAttempt).where(ThrottleAttempt.scope == scope, ThrottleAttempt.key.in_(quiet))
        )
        self.session.add_all(ThrottleAttempt(scope=scope, key=value, at=now) for value in values)
        self.session.flush()

    def succeed(self, scope: str, subject: str, client: str, device: str | None = None) -> None:
        """The subject's failures from this client are forgiven; the client's own count stays, so an
        attacker cannot wipe it by signing in to an account of their own between guesses."""
        subject_key = self.keys(subject, client, device)[0]
        self.session.execute(
            delete(ThrottleAttempt).where(
                ThrottleAttempt.scope == scope, ThrottleAttempt.key == subject_key.stored
            )
        )
