"""One channel interface; the implementations are chosen by configuration (`notifications.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (email only; the other channels carry text)."""

    filename: str
    content_type: str  # e.g. application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel sees it: the outbox row, detached from its session."""

    id: int
    kind: str
    channel: str
    address: str
    subject: str
    body: str
    params: dict[str, Any]
    idempotency_key: str
    attempt: int  # 1 for the first try
    attachments: tuple[Attachment, ...] = ()


class DeliveryFailed(Exception):
    """The channel could not deliver. `permanent`: trying again cannot help (a bad address, a refused
    template) — the message goes straight to the dead letters instead of waiting for its retries."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Channel(Protocol):
    """Sends one message or raises DeliveryFailed. Must be safe to call again with the same message after
    a crash: the idempotency key (SMS gateway) or the Message-ID (email) lets the far end recognise it."""

    def send(self, message: Outgoing) -> None: ...


@dataclass
class ConsoleChannel:
    """Development: prints each message instead of sending it."""

    stream: TextIO | None = None

    def send(self, message: Outgoing) -> None:
        print(
            f"[{message.channel} → {message.address}] {message.subject}\n{message.body}\n",
            file=self.stream,
            flush=True,
        )


@dataclass
class RecordingChannel:
    """Keeps what it was given: for tests and the benchmark."""

    sent: list[Outgoing] = field(default_factory=list)

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)
