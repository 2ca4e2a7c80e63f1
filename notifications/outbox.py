"""The transactional outbox: messages are queued in the transaction of the change that causes them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from lintel.clock import Clock
from notifications.channels import Attachment
from notifications.desk import NoSuchMessage, NotResendable, OutboxDesk
from notifications.models import InAppMessage, OutboxFile, OutboxMessage
from notifications.pending import added, insert_rows, rows_of
from notifications.quiet import QuietHours
from notifications.templates import Templates

INAPP = cast(Table, InAppMessage.__table__)
CHANNELS = ("inapp", "email", "sms", "wecom", "dingtalk", "console")
BATCH_MAX = 50  # items in one batched message


@dataclass(frozen=True)
class Address:
    """One place a message goes: `channel` and the `address` on it (an email address, a mobile number, a
    robot's webhook URL; for in-app the recipient itself), and `recipient`, who it is for (user:<username>,
    owner:<id>, department:<code>)."""

    channel: str
    address: str
    recipient: str


@dataclass(frozen=True)
class Queued:
    """A message queued: written to the outbox when the transaction commits."""

    kind: str
    channel: str
    address: str
    recipient: str
    idempotency_key: str  # the SMS gateway's idempotency key, the email's Message-ID
    not_before: datetime


class Outbox:
    """Renders and queues; never sends and never commits (the caller's transaction does)."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        templates: Templates,
        quiet: QuietHours,
        batch_window: timedelta = timedelta(seconds=60),
        batch_max: int = BATCH_MAX,
    ) -> None:
        self.session = session
        self.clock = clock
        self.templates = templates
        self.quiet = quiet
        self.batch_window = batch_window
        self.batch_max = batch_max

    def queue(
        self,
        kind: str,
        to: Iterable[Address],
        context: dict[str, Any],
        *,
        link: str | None = None,
        batch_key: str | None = None,
        ref: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> list[Queued]:
        """Queue `kind` rendered with `context` to each address. In-app messages are written at once; the
        others are written when the caller's transaction commits (`notifications.pending`).

        With `batch_key`, `context["item"]` is one item of a batch: a message still pending for the same
        key and address gains the item (the template sees them all as `items`) instead of a new message
        going out, and a new batch waits `batch_window` for more.

        `attachments` go with the emails (the other channels carry text only); not with a batch."""
        if attachments and batch_key is not None:
            raise ValueError("a batched message carries no attachments")
        now = self.clock.now()
        rows = rows_of(self.session)
        queued: list[Queued] = []
        batches = self._pending_batches(batch_key, rows) if batch_key is not None else {}
        for addr in to:
            if addr.channel not in CHANNELS:
                raise ValueError(f"unknown channel {addr.channel!r}")
            if addr.channel == "inapp":
                rendered = self.templates.render(kind, "inapp", {**context, "items": [context.get("item")]})
                self.session.add(
                    InAppMessage(
                        recipient=addr.address,
                        kind=kind,
                        subject=rendered.subject[:300],
                        body=rendered.body,
                        link=link,
                        created_at=now,
                    )
                )
                continue
            pending = batches.get((addr.channel, addr.address))
            if pending is not None and self._join_batch(kind, pending, context):
                continue
            params = dict(context)
            not_before = now
            if batch_key is not None:
                params["items"] = [params.pop("item", None)]
                not_before = now + self.batch_window
            rows.append(self._row(kind, addr, params, not_before, now, batch_key=batch_key, ref=ref))
            row = rows[-1]
            if addr.channel == "email":
                for attachment in attachments:
                    self.session.add(
                        OutboxFile(
                            message_key=row["idempotency_key"],
                            filename=attachment.filename,
                            content_type=attachment.content_type,
                            data=attachment.data,
                        )
                    )
            queued.append(
                Queued(
                    kind,
                    addr.channel,
                    addr.address,
                    addr.recipient,
                    row["idempotency_key"],
                    row["not_before"],
                )
            )
        added(self.session)
        return queued

    def queue_many(
        self,
        kind: str,
        messages: Iterable[tuple[Iterable[Address], dict[str, Any]]],
        *,
        link: str | Callable[[dict[str, Any]], str | None] | None = None,
        ref: str | None = None,
    ) -> int:
        """`queue` for many recipients of one notice, each with its own context (their name): the in-app
        messages are written together in one multi-row INSERT instead of one ORM object each, the others
        wait for the commit as `queue`'s do. No batching. How many messages were queued. `link`: the in-app
        messages' link, or a function of each message's context giving its own."""
        now = self.clock.now()
        rows = rows_of(self.session)
        inapp: list[dict[str, Any]] = []
        count = 0
        for to, context in messages:
            for addr in to:
                if addr.channel not in CHANNELS:
                    raise ValueError(f"unknown channel {addr.channel!r}")
                count += 1
                if addr.channel == "inapp":
                    rendered = self.templates.render(kind, "inapp", {**context, "items": [None]})
                    inapp.append(
                        {
                            "recipient": addr.address,
                            "kind": kind,
                            "subject": rendered.subject[:300],
                            "body": rendered.body,
                            "link": link(context) if callable(link) else link,
                            "created_at": now,
                            "read_at": None,
                        }
                    )
                    continue
                rows.append(self._row(kind, addr, dict(context), now, now, ref=ref))
                added(self.session)
        insert_rows(self.session, INAPP, inapp)
        return count

    def _row(
        self,
        kind: str,
        addr: Address,
        params: dict[str, Any],
        not_before: datetime,
        now: datetime,
        *,
        batch_key: str | None = None,
        ref: str | None = None,
    ) -> dict[str, Any]:
        """One outbox row, rendered, as `notifications.pending` writes it."""
        if addr.channel == "sms":
            not_before = self.quiet.next_allowed(not_before)
        rendered = self.templates.render(kind, addr.channel, params)
        return {
            "kind": kind,
            "channel": addr.channel,
            "address": addr.address,
            "recipient": addr.recipient,
            "subject": rendered.subject[:300],
            "body": rendered.body,
            "params": params,
            "idempotency_key": uuid.uuid4().hex,
            "batch_key": batch_key,
            "ref": ref,
            "status": "pending",
            "attempts": 0,
            "not_before": not_before,
            "claimed_until": None,
            "claimed_by": None,
            "last_error": None,
            "created_at": now,
            "sent_at": None,
        }

    def _pending_batches(
        self, batch_key: str, rows: list[dict[str, Any]]
    ) -> dict[tuple[str, str], OutboxMessage | dict[str, Any]]:
        """The newest pending message of the batch per (channel, address): stored ones in one query, locked
        so a dispatcher cannot take a batch while it grows (PostgreSQL; SQLite has one writer), and those
        queued in this transaction and not written yet."""
        # Only the newest per address is read: the full batches before it stay pending until sent, and
        # loading them all made each new item cost more than the last while nobody dispatched.
        newest = (
            select(func.max(OutboxMessage.id))
            .where(OutboxMessage.batch_key == batch_key, OutboxMessage.status == "pending")
            .group_by(OutboxMessage.channel, OutboxMessage.address)
        )
        stored = self.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(newest))
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
        found: dict[tuple[str, str], OutboxMessage | dict[str, Any]] = {
            (row.channel, row.address): row
            for row in stored  # the newest last, and kept
        }
        found.update({(r["channel"], r["address"]): r for r in rows if r["batch_key"] == batch_key})
        return found

    def _join_batch(
        self, kind: str, pending: OutboxMessage | dict[str, Any], context: dict[str, Any]
    ) -> bool:
        # A full batch goes out as it is and the next item starts another: one message stays readable, and
        # the cost of adding an item (render, rewrite) does not grow with a flood.
        if isinstance(pending, dict):
            params, channel = pending["params"], pending["channel"]
        else:
            params, channel = pending.params, pending.channel
        items = params.get("items", [])
        if len(items) >= self.batch_max:
            return False
        params = {**params, "items": [*items, context.get("item")]}
        rendered = self.templates.render(kind, channel, {**context, **params})
        if isinstance(pending, dict):
            pending.update(params=params, subject=rendered.subject[:300], body=rendered.body)
        else:
            pending.params = params
            pending.subject = rendered.subject[:300]
            pending.body = rendered.body
        return True

    def resend(self, message_id: int) -> OutboxMessage | None:
        """A dead letter goes out again, its attempts counted afresh (same idempotency key); None when
        there is no such message or it is not dead (`OutboxDesk.resend` says which)."""
        try:
            return OutboxDesk(self.session, self.clock).resend(message_id)
        except (NoSuchMessage, NotResendable):
            return None
