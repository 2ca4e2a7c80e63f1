"""Real servers on 127.0.0.1 standing in for the far ends: an SMTP server (aiosmtpd), an SMS gateway that
checks signatures and delivers once per idempotency key, and group-robot webhooks. Each can refuse its
first attempts, or take a request and hold its answer (while a test kills the sender)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from lintel.clock import Clock
from notifications.models import OutboxMessage
from notifications.outbox import Address, Outbox
from notifications.quiet import QuietHours
from notifications.templates import Templates

SMS_KEY = "lintel-test"
SMS_SECRET = "s3cr3t"
SIGN_NAME = "某某地产"


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Waits for another process or thread to get somewhere (never to make time pass in a rule)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def message_templates(folder: Path) -> Templates:
    """An owner's notice in Chinese on every channel, and a staff notice for the robots."""
    registered = folder / "complaint.registered"
    registered.mkdir(parents=True)
    (registered / "default.j2").write_text(
        "{% block subject %}您的投诉 {{ number }} 已登记{% endblock %}"
        "{% block body %}尊敬的{{ owner }}：\n您的投诉 {{ number }} 已登记，我们将在 24 小时内联系您。\n"
        "查看进度：{{ link }}{% endblock %}"
    )
    (registered / "sms.j2").write_text(
        "{% block body %}您的投诉 {{ number }} 已登记，我们将在 24 小时内联系您。{% endblock %}"
    )
    task = folder / "task.new"
    task.mkdir()
    (task / "default.j2").write_text(
        "{% block subject %}{{ items|length }} 条新任务{% endblock %}"
        "{% block body %}{% for i in items %}{{ i.title }}\n{% endfor %}{% endblock %}"
    )
    return Templates([folder])


REGISTERED = {
    "number": "TS-2026-000123",
    "owner": "张伟",
    "link": "https://crc.example.com/portal/TS-2026-000123",
}


def queue(
    sessions: sessionmaker[DbSession],
    clock: Clock,
    templates: Templates,
    channel: str,
    address: str,
    kind: str = "complaint.registered",
    context: dict[str, Any] | None = None,
) -> str:
    """One message queued and committed as a change would queue it; its idempotency key."""
    with sessions.begin() as session:
        outbox = Outbox(session, clock, templates, QuietHours())
        [message] = outbox.queue(kind, [Address(channel, address, "owner:1")], context or REGISTERED)
        session.flush()
        return message.idempotency_key


def the_message(sessions: sessionmaker[DbSession]) -> OutboxMessage:
    with sessions() as session:
        return session.scalars(select(OutboxMessage)).one()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Webhook:
    """An HTTP endpoint: records every POST, answers the first ones from `first_answers` (status, JSON)
    and the rest with `answer(request)`. With `hold_first`, that many requests wait for `release`."""

    answer: Callable[[Received], tuple[int, dict[str, Any]]] = lambda r: (200, {"errcode": 0})
    first_answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    hold_first: int = 0
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Received(self.path, dict(self.headers.items()), body)
                with hook.lock:
                    hook.received.append(request)
                    held = len(hook.received) <= hook.hold_first
                    status, answer = hook.first_answers.pop(0) if hook.first_answers else hook.answer(request)
                if held:
                    hook.release.wait(60)
                payload = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # the answer to a sender the test killed has nobody to go to

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send?access_token=t0ken"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class SmsGateway(Webhook):
    """The gateway of the README's contract: checks the key and signature, sends one SMS per key."""

    def __init__(self, **kwargs: Any) -> None:
        self.delivered: dict[str, dict[str, Any]] = {}
        super().__init__(answer=self._answer, **kwargs)

    def _answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        problem = signature_problem(request)
        if problem:
            return 401, {"code": "BAD_SIGNATURE", "message": problem}
        body = request.json()
        if body["idempotency_key"] in self.delivered:
            return 200, {"code": "DUPLICATE", "message": "已发送过"}
        self.delivered[body["idempotency_key"]] = body
        return 200, {"code": "OK", "message": "已发送"}


def signature_problem(request: Received, secret: str = SMS_SECRET) -> str | None:
    headers = {k.lower(): v for k, v in request.headers.items()}
    if headers.get("x-api-key") != SMS_KEY:
        return "密钥不对"
    if abs(int(headers["x-timestamp"]) - time.time()) > 300:
        return "时间戳过期"
    signed = f"{headers['x-timestamp']}\n{headers['x-nonce']}\n".encode() + request.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers["x-signature"]):
        return "签名错误"
    if headers.get("idempotency-key") != json.loads(request.body)["idempotency_key"]:
        return "幂等键不一致"
    return None


@contextmanager
def webhook(**kwargs: Any) -> Iterator[Webhook]:
    hook = Webhook(**kwargs)
    try:
        yield hook
    finally:
        hook.close()


@contextmanager
def sms_gateway(**kwargs: Any) -> Iterator[SmsGateway]:
    gateway = SmsGateway(**kwargs)
    try:
        yield gateway
    finally:
        gateway.close()


@dataclass
class Mailbox:
    """What the SMTP server took: each DATA as a parsed email (also those it then refused or held)."""

    data_replies: list[str] = field(default_factory=list)  # the first DATA commands' answers
    refuse_rcpt: str | None = None  # e.g. "550 5.1.1 用户不存在"
    hold_first: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    released: bool = False

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        if len(self.received) <= self.hold_first:
            while not self.released:
                await asyncio.sleep(0.02)
        if self.data_replies:
            return self.data_replies.pop(0)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        ok = (data.login, data.password) == (b"crc", b"p4ss-word")
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@contextmanager
def smtp_server(
    mailbox: Mailbox, *, tls: str = "none", context: ssl.SSLContext | None = None
) -> Iterator[int]:
    """Serves `mailbox` on a free port (yielded). starttls: STARTTLS and a login are required; ssl: TLS
    from the first byte, a login offered."""
    port = free_port()
    options: dict[str, Any] = {}
    if tls == "ssl":
        # aiosmtpd counts only STARTTLS as encrypted when it offers AUTH (and warns when AUTH is then
        # required): this connection is TLS throughout, AUTH is offered and the login is recorded.
        options = {"ssl_context": context, "auth_require_tls": False, "auth_required": False}
    elif tls == "starttls":
        options = {"tls_context": context, "require_starttls": True, "auth_required": True}
    if tls != "none":
        options["authenticator"] = mailbox.authenticate
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        mailbox.released = True
        controller.stop()


def self_signed(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for 127.0.0.1 made with the openssl command: the server's context and a client's
    context that trusts it (and nothing else)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
