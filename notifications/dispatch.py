"""The dispatcher: takes due messages from the outbox, sends them, records the outcome.

A message is claimed (status `sending`, a lease until `claimed_until`, the attempt counted) and committed
before it is sent, and recorded after. A dispatcher that dies between the two leaves the message claimed;
when the lease runs out another one sends it again with the same idempotency key / Message-ID, so the far
end recognises it. On PostgreSQL several dispatchers claim with SKIP LOCKED and never take one message
together.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import Clock
from notifications.channels import Channel, DeliveryFailed, Outgoing
from notifications.models import OutboxMessage
from notifications.quiet import QuietHours


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    held: int = 0  # SMS reached in quiet hours, put back until the morning


@dataclass
class Retry:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    longest_delay: timedelta = timedelta(hours=2)

    def delay(self, attempts: int) -> timedelta:
        """After the n-th failed attempt: first_delay × 2^(n-1), at most longest_delay."""
        return min(self.first_delay * (2 ** max(attempts - 1, 0)), self.longest_delay)


@dataclass
class Dispatcher:
    sessions: sessionmaker[Session]
    channels: Mapping[str, Channel]
    clock: Clock
    quiet: QuietHours = field(default_factory=QuietHours)
    retry: Retry = field(default_factory=Retry)
    lease: timedelta = timedelta(minutes=5)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    def run_once(self, batch: int = 200) -> DispatchReport:
        report = DispatchReport()
        for message in self._claim(batch):
            self._deliver(message, report)
        return report

    def run_until_empty(self, batch: int = 200) -> DispatchReport:
        total = DispatchReport()
        while True:
            report = self.run_once(batch)
            for name in ("sent", "retried", "dead", "held"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            if not (report.sent or report.retried or report.dead or report.held):
                return total

    def _claim(self, batch: int) -> list[Outgoing]:
        now = self.clock.now()
        with self.sessions.begin() as session:
            due = (
                select(OutboxMessage)
                .where(
                    or_(
                        (OutboxMessage.status == "pending") & (OutboxMessage.not_before <= now),
                        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now),
                    )
                )
                .order_by(OutboxMessage.not_before)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
            claimed = []
            for row in session.scalars(due):
                row.status = "sending"
                row.attempts += 1
                row.claimed_until = now + self.lease
                row.claimed_by = self.name
                claimed.append(
                    Outgoing(
                        id=row.id,
                        kind=row.kind,
                        channel=row.channel,
                        address=row.address,
                        subject=row.subject,
                        body=row.body,
                        params=dict(row.params),
                        idempotency_key=row.idempotency_key,
                        attempt=row.attempts,
                    )
                )
        return claimed

    def _deliver(self, message: Outgoing, report: DispatchReport) -> None:
        now = self.clock.now()
        if message.channel == "sms" and self.quiet.is_quiet(now):
            self._record(
                message, status="pending", not_before=self.quiet.next_allowed(now), undo_attempt=True
            )
            report.held += 1
            return
        channel = self.channels.get(message.channel)
        try:
            if channel is None:
                raise DeliveryFailed(f"channel {message.channel} is not configured", permanent=True)
            channel.send(message)
        except DeliveryFailed as failure:
            if failure.permanent or message.attempt >= self.retry.max_attempts:
                self._record(message, status="dead", error=failure.reason)
                report.dead += 1
            else:
                delay = self.retry.delay(message.attempt)
                self._record(message, status="pending", not_before=now + delay, error=failure.reason)
                report.retried += 1
            return
        self._record(message, status="sent", sent_at=now)
        report.sent += 1

    def _record(
        self, message: Outgoing, *, status: str, undo_attempt: bool = False, **values: object
    ) -> None:
        changes: dict[str, object] = {"status": status, "claimed_until": None, "claimed_by": None}
        if "error" in values:
            changes["last_error"] = str(values.pop("error"))[:2000]
        changes.update(values)
        if undo_attempt:
            changes["attempts"] = OutboxMessage.attempts - 1
        with self.sessions.begin() as session:
            # Only while still ours: a message whose lease ran out may have been taken by another.
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message.id,
                    OutboxMessage.status == "sending",
                    OutboxMessage.claimed_by == self.name,
                )
                .values(changes)
            )
