"""The transactional outbox: messages are queued in the transaction of the change that causes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lintel.clock import Clock
from notifications.models import InAppMessage, OutboxMessage
from notifications.quiet import QuietHours
from notifications.templates import Templates

CHANNELS = ("inapp", "email", "sms", "wecom", "dingtalk", "console")


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
    ) -> None:
        self.session = session
        self.clock = clock
        self.templates = templates
        self.quiet = quiet
        self.batch_window = batch_window

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
            if batch_key is not None and self._join_batch(kind, addr, context, batch_key):
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
        return queued

    def _join_batch(self, kind: str, addr: Address, context: dict[str, Any], batch_key: str) -> bool:
        # Locked so a dispatcher cannot take the batch while it grows (PostgreSQL; SQLite has one writer).
        pending = self.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.batch_key == batch_key,
                OutboxMessage.channel == addr.channel,
                OutboxMessage.address == addr.address,
                OutboxMessage.status == "pending",
            )
            .with_for_update(skip_locked=True)
            .limit(1)
        ).first()
        if pending is None:
            return False
        params = dict(pending.params)
        params["items"] = [*params.get("items", []), context.get("item")]
        rendered = self.templates.render(kind, addr.channel, {**context, **params})
        pending.params = params
        pending.subject = rendered.subject[:300]
        pending.body = rendered.body
        return True

    def resend(self, message_id: int) -> OutboxMessage | None:
        """A dead letter goes out again, its attempts counted afresh (same idempotency key)."""
        message = self.session.get(OutboxMessage, message_id)
        if message is None or message.status != "dead":
            return None
        message.status = "pending"
        message.attempts = 0
        message.not_before = self.clock.now()
        message.claimed_until = None
        message.claimed_by = None
        return message
