"""The dispatcher: takes due messages from the outbox, sends them, records the outcome.

A batch of messages is claimed in one statement (status `sending`, a lease until `claimed_until`, the attempt
counted, a claim token in `claimed_by`) and committed before anything is sent; the outcomes are recorded
afterwards, a batch at a time, each only where the claim is still ours. A dispatcher that dies between the
two leaves its messages claimed; when the lease runs out another one sends them again with the same
idempotency key / Message-ID, so the far end recognises them. Nothing is lost, at worst a message is offered
twice to a channel that can tell.

Several dispatchers: on PostgreSQL the claim locks its rows FOR UPDATE SKIP LOCKED, so two never take one
message together and neither waits for the other; on SQLite every write transaction begins IMMEDIATE (one
writer at a time, the others queue for the busy timeout), and a pass that still finds the database locked
simply claims nothing this time.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from itertools import count
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import Clock
from notifications.channels import Attachment, Channel, DeliveryFailed, Outgoing
from notifications.models import OutboxFile, OutboxMessage
from notifications.quiet import QuietHours

log = logging.getLogger("lintel.notices")
T = TypeVar("T")
OUTBOX = cast(Table, OutboxMessage.__table__)
# How often a transaction the database refused (SQLite still locked after its busy timeout, a PostgreSQL
# deadlock or serialization failure) is tried again before the pass gives up on it.
WRITE_TRIES = 3

# The channels by the names the administrator knows them by (a dead letter's reason names one).
CHANNEL_NAMES = {"email": "邮件", "sms": "短信", "wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人"}


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    held: int = 0  # SMS that fell due in quiet hours, put back until the morning (not an attempt)
    released: int = 0  # claimed but not tried before the lease ran short: put back, not an attempt

    def __iadd__(self, other: DispatchReport) -> DispatchReport:
        for name in ("sent", "retried", "dead", "held", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.retried or self.dead or self.held or self.released)


@dataclass
class Retry:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    longest_delay: timedelta = timedelta(hours=2)

    def delay(self, attempts: int) -> timedelta:
        """After the n-th failed attempt: first_delay × 2^(n-1), at most longest_delay."""
        return min(self.first_delay * (2 ** max(attempts - 1, 0)), self.longest_delay)


@dataclass
class _Outcomes:
    """What one stretch of sending came to, recorded together in one transaction."""

    sent: list[int] = field(default_factory=list)
    retried: list[dict[str, Any]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sent) + len(self.retried) + len(self.dead)


def due_now(now: datetime) -> list[tuple[ColumnElement[bool], Any]]:
    """The two ways a message is due, each with the order it is taken in: claimed by a dispatcher whose
    lease has run out (rare), and pending with its time come. Asked one after the other rather than or-ed,
    so that each walks the (status, not_before) index and stops at the batch instead of sorting every due
    row of a 100,000-message backlog on every claim."""
    return [
        (
            and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
            OutboxMessage.claimed_until,
        ),
        (and_(OutboxMessage.status == "pending", OutboxMessage.not_before <= now), OutboxMessage.not_before),
    ]


@dataclass
class Dispatcher:
    sessions: sessionmaker[Session]
    channels: Mapping[str, Channel]
    clock: Clock
    quiet: QuietHours = field(default_factory=QuietHours)
    retry: Retry = field(default_factory=Retry)
    lease: timedelta = timedelta(minutes=5)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # Outcomes are recorded every so many messages (and at the end of a batch): fewer transactions, while a
    # crash re-offers at most this many messages that had in fact gone out.
    record_every: int = 100
    _claims: Iterator[int] = field(default_factory=lambda: count(1), init=False, repr=False)
    _instance: str = field(default_factory=lambda: uuid.uuid4().hex[:6], init=False, repr=False)

    def run_once(self, batch: int = 200) -> DispatchReport:
        """Hold the SMS that quiet hours stop, then claim, send and record one batch."""
        report = DispatchReport()
        now = self.clock.now()
        quiet = self.quiet.is_quiet(now)
        if quiet:
            report.held = self._write(lambda session: self._hold_sms(session, now), default=0)
        token = f"{self.name[:70]}/{self._instance}/{next(self._claims)}"  # fits claimed_by (100)
        claimed: list[Outgoing] = self._write(
            lambda session: self._claim(session, now, batch, token, quiet), default=[]
        )
        if claimed:
            self._send_all(token, claimed, now + self.lease, report)
        return report

    def run_until_empty(self, batch: int = 200) -> DispatchReport:
        total = DispatchReport()
        while True:
            report = self.run_once(batch)
            total += report
            if not report.busy:
                return total

    # -- claiming ----------------------------------------------------------------------------------------

    def _due_ids(self, session: Session, condition: ColumnElement[bool], order: Any, batch: int) -> Any:
        query = select(OutboxMessage.id).where(condition).order_by(order).limit(batch)
        if session.get_bind().dialect.name == "postgresql":
            # Locked and skipped by the others; materialised so the LIMIT is taken once, not per row.
            return select(query.with_for_update(skip_locked=True).cte().prefix_with("MATERIALIZED").c.id)
        return query.scalar_subquery()

    def _claim(self, session: Session, now: datetime, batch: int, token: str, quiet: bool) -> list[Outgoing]:
        claimed: list[Outgoing] = []
        for condition, order in due_now(now):
            if len(claimed) >= batch:
                break
            if quiet:
                condition = and_(condition, OutboxMessage.channel != "sms")
            claimed += self._claim_part(
                session, now, self._due_ids(session, condition, order, batch - len(claimed)), token
            )
        claimed.sort(key=lambda message: message.id)
        return claimed

    def _claim_part(self, session: Session, now: datetime, due: Any, token: str) -> list[Outgoing]:
        statement = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(due))
            .values(
                status="sending",
                attempts=OUTBOX.c.attempts + 1,
                claimed_until=now + self.lease,
                claimed_by=token,
            )
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.kind,
                OUTBOX.c.channel,
                OUTBOX.c.address,
                OUTBOX.c.subject,
                OUTBOX.c.body,
                OUTBOX.c.params,
                OUTBOX.c.idempotency_key,
                OUTBOX.c.attempts,
            )
        )
        claimed = [
            Outgoing(
                id=row.id,
                kind=row.kind,
                channel=row.channel,
                address=row.address,
                subject=row.subject,
                body=row.body,
                params=dict(row.params or {}),
                idempotency_key=row.idempotency_key,
                attempt=row.attempts,
            )
            for row in session.execute(statement)
        ]
        return _with_attachments(session, claimed)

    def _hold_sms(self, session: Session, now: datetime) -> int:
        """SMS due in quiet hours wait for the morning, untried (their attempts are not counted)."""
        held = 0
        for condition, order in due_now(now):
            due = self._due_ids(session, and_(condition, OutboxMessage.channel == "sms"), order, 10_000)
            result = session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(due))
                .values(
                    status="pending",
                    not_before=self.quiet.next_allowed(now),
                    claimed_until=None,
                    claimed_by=None,
                )
            )
            held += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return held

    # -- sending and recording ---------------------------------------------------------------------------

    def _send_all(
        self, token: str, claimed: Sequence[Outgoing], until: datetime, report: DispatchReport
    ) -> None:
        # Stop taking new messages from the batch once most of the lease is gone: past it another dispatcher
        # may take them, and the rest go back untried rather than risk being sent by both.
        stop_at = until - self.lease / 5
        outcomes = _Outcomes()
        for index, message in enumerate(claimed):
            now = self.clock.now()
            if now >= stop_at:
                rest = [m.id for m in claimed[index:]]
                report.released += self._write(partial(self._release, token=token, ids=rest), default=0)
                break
            self._send(message, now, outcomes, report)
            if len(outcomes) >= self.record_every:
                self._write(partial(self._record, token=token, outcomes=outcomes, now=now))
                outcomes = _Outcomes()
        if outcomes:
            self._write(partial(self._record, token=token, outcomes=outcomes, now=self.clock.now()))

    def _send(self, message: Outgoing, now: datetime, outcomes: _Outcomes, report: DispatchReport) -> None:
        channel = self.channels.get(message.channel)
        try:
            if channel is None:
                # The dead letter's reason on the pages, in their language like the channels' own.
                name = CHANNEL_NAMES.get(message.channel, message.channel)
                raise DeliveryFailed(
                    f"未配置{name}通道（见 README 的配置一节），消息无法发出", permanent=True
                )
            try:
                channel.send(message)
            except DeliveryFailed:
                raise
            except Exception as exc:
                # A channel that broke rather than refused (a bug, an error it did not expect) must not
                # stall the batch: it counts as a failed attempt, the error kept for the administrator.
                log.exception("outbox: the %s channel failed on message %d", message.channel, message.id)
                raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        except DeliveryFailed as failure:
            error = failure.reason[:2000]
            if failure.permanent or message.attempt >= self.retry.max_attempts:
                outcomes.dead.append({"b_id": message.id, "b_error": error})
                report.dead += 1
            else:
                not_before = now + self.retry.delay(message.attempt)
                outcomes.retried.append({"b_id": message.id, "b_error": error, "b_not_before": not_before})
                report.retried += 1
            return
        outcomes.sent.append(message.id)
        report.sent += 1

    def _record(self, session: Session, token: str, outcomes: _Outcomes, now: datetime) -> None:
        # Only while still ours: a message whose lease ran out may have been taken by another dispatcher.
        ours = and_(OUTBOX.c.claimed_by == token, OUTBOX.c.status == "sending")
        done = {"claimed_until": None, "claimed_by": None}
        if outcomes.sent:
            session.execute(
                update(OUTBOX)
                .where(ours, OUTBOX.c.id.in_(outcomes.sent))
                .values(status="sent", sent_at=now, **done)
            )
        one = and_(ours, OUTBOX.c.id == bindparam("b_id"))
        if outcomes.retried:
            session.execute(
                update(OUTBOX)
                .where(one)
                .values(
                    status="pending",
                    not_before=bindparam("b_not_before"),
                    last_error=bindparam("b_error"),
                    **done,
                ),
                outcomes.retried,
            )
        if outcomes.dead:
            session.execute(
                update(OUTBOX).where(one).values(status="dead", last_error=bindparam("b_error"), **done),
                outcomes.dead,
            )

    def _release(self, session: Session, token: str, ids: list[int]) -> int:
        released = session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.claimed_by == token, OUTBOX.c.status == "sending", OUTBOX.c.id.in_(ids))
            .values(status="pending", attempts=OUTBOX.c.attempts - 1, claimed_until=None, claimed_by=None)
        )
        return int(released.rowcount or 0)  # type: ignore[attr-defined]

    def _write(self, work: Callable[[Session], T], default: T | None = None) -> T:
        """One short transaction, tried again when the database refused it for a moment. Given up after
        WRITE_TRIES: a claim then takes nothing this pass; unrecorded outcomes are sent again (same key)
        when the lease runs out — never lost."""
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                with self.sessions.begin() as session:
                    return work(session)
            except OperationalError as exc:
                if attempt == WRITE_TRIES:
                    log.warning("outbox: the database refused a write %d times, giving up: %s", attempt, exc)
        return default  # type: ignore[return-value]


def _with_attachments(session: Session, claimed: list[Outgoing]) -> list[Outgoing]:
    """The claimed emails with their files (one query for the batch; most messages have none)."""
    keys = [m.idempotency_key for m in claimed if m.channel == "email"]
    if not keys:
        return claimed
    files: dict[str, list[Attachment]] = {}
    query = (
        select(OutboxFile.message_key, OutboxFile.filename, OutboxFile.content_type, OutboxFile.data)
        .where(OutboxFile.message_key.in_(keys))
        .order_by(OutboxFile.id)
    )
    for key, filename, content_type, data in session.execute(query):
        files.setdefault(key, []).append(Attachment(filename, content_type, bytes(data)))
    if not files:
        return claimed
    return [replace(m, attachments=tuple(files.get(m.idempotency_key, ()))) for m in claimed]
