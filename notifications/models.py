"""The outbox (one row per message to one address on one channel) and the in-app messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lintel.db import Base, BigId

# pending: waiting to be sent (not before `not_before`: a retry's backoff, quiet hours, a batching window)
# sending: a dispatcher holds it until `claimed_until`; past that another dispatcher may take it again
# sent / dead: done; dead after the last attempt failed or a permanent refusal, until resent by hand
STATUSES = ("pending", "sending", "sent", "dead")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The dispatcher's question: what is due now, oldest first.
        Index("ix_outbox_messages_due", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)  # e.g. task.new, complaint.registered
    channel: Mapped[str] = mapped_column(String(20))  # email | sms | wecom | dingtalk | console
    # Where it goes on that channel: an email address, a mobile number, a robot's webhook URL.
    address: Mapped[str] = mapped_column(String(500))
    # Who it is for, for the administrator's page: user:<username>, owner:<id>, department:<code>.
    recipient: Mapped[str] = mapped_column(String(120), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # What the template was rendered with: an SMS gateway's template parameters; a batch's items.
    params: Mapped[dict[str, Any]]
    # Seen by the SMS gateway as its idempotency key and by mail readers as the Message-ID: a message sent
    # again after a crash is recognised as the same one.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Pending messages with one batch key are one message (a burst of new tasks is one notice).
    batch_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # What the message is part of, for counting its delivery (e.g. bulletin:12): one notice to many.
    ref: Mapped[str | None] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class InAppMessage(Base):
    """A message shown inside Lintel: the bell on staff pages, the list on the owner portal."""

    __tablename__ = "inapp_messages"
    __table_args__ = (Index("ix_inapp_messages_unread", "recipient", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(120))  # user:<username> | owner:<id>
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))  # a path inside Lintel, e.g. /tasks/12
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class OutboxFile(Base):
    """A file attached to an outbox message (an email's attachment), found by the message's idempotency
    key: the message row is written when its transaction commits, its id unknown while it is queued."""

    __tablename__ = "outbox_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(64), index=True)  # OutboxMessage.idempotency_key
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
