"""The transactional outbox: messages are queued in the transaction of the change that causes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lintel.clock import Clock
from notifications.desk import NoSuchMessage, NotResendable, OutboxDesk
from notifications.models import InAppMessage, OutboxMessage
from notifications.quiet import QuietHours
from notifications.templates import Templates

CHANNELS = ("inapp", "email", "sms", "wecom", "dingtalk", "console")
BATCH_MAX = 50  # items in one batched message
_BATCHES = "notifications.unflushed_batches"  # Session.info


@dataclass(frozen=True)
class Address:
    """One place a message goes: `channel` and the `address` on it (an email address, a mobile number, a
    robot's webhook URL; for in-app the recipient itself), and `recipient`, who it is for (user:<username>,
    owner:<id>, department:<code>)."""

    channel: str
    address: str
    recipient: str


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
    ) -> list[OutboxMessage]:
        """Queue `kind` rendered with `context` to each address. In-app messages are written at once.

        With `batch_key`, `context["item"]` is one item of a batch: a message still pending for the same
        key and address gains the item (the template sees them all as `items`) instead of a new message
        going out, and a new batch waits `batch_window` for more."""
        now = self.clock.now()
        queued: list[OutboxMessage] = []
        batches = self._pending_batches(batch_key) if batch_key is not None else {}
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
            if addr.channel == "sms":
                not_before = self.quiet.next_allowed(not_before)
            rendered = self.templates.render(kind, addr.channel, params)
            message = OutboxMessage(
                kind=kind,
                channel=addr.channel,
                address=addr.address,
                recipient=addr.recipient,
                subject=rendered.subject[:300],
                body=rendered.body,
                params=params,
                idempotency_key=uuid.uuid4().hex,
                batch_key=batch_key,
                status="pending",
                attempts=0,
                not_before=not_before,
                created_at=now,
            )
            self.session.add(message)
            queued.append(message)
            if batch_key is not None:
                self._unflushed(batch_key)[(addr.channel, addr.address)] = message
        return queued

    def _pending_batches(self, batch_key: str) -> dict[tuple[str, str], OutboxMessage]:
        """The newest pending message of the batch per (channel, address), in one query; locked so a
        dispatcher cannot take a batch while it grows (PostgreSQL; SQLite has one writer)."""
        rows = self.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.batch_key == batch_key, OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
        found = {(row.channel, row.address): row for row in rows}  # the newest last, and kept
        found.update(self._unflushed(batch_key))
        return found

    def _unflushed(self, batch_key: str) -> dict[tuple[str, str], OutboxMessage]:
        """Batches begun in this transaction that a query may not see yet (a subscriber runs without
        autoflush): a second task of the same burst joins them. Forgotten when the transaction or
        savepoint ends — flushed by its commit, or gone with its rollback."""
        batches: dict[str, dict[tuple[str, str], OutboxMessage]] | None = self.session.info.get(_BATCHES)
        if batches is None:
            batches = self.session.info[_BATCHES] = {}
            event.listen(
                self.session, "after_transaction_end", lambda s, _t: s.info.get(_BATCHES, {}).clear()
            )
        return batches.setdefault(batch_key, {})

    def _join_batch(self, kind: str, pending: OutboxMessage, context: dict[str, Any]) -> bool:
        # A full batch goes out as it is and the next item starts another: one message stays readable, and
        # the cost of adding an item (render, rewrite) does not grow with a flood.
        items = pending.params.get("items", [])
        if len(items) >= self.batch_max:
            return False
        params = {**pending.params, "items": [*items, context.get("item")]}
        rendered = self.templates.render(kind, pending.channel, {**context, **params})
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
