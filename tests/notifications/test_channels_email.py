"""Email through a real SMTP server on loopback (aiosmtpd): Chinese that reads as Chinese, one Message-ID
however often it is sent, a busy server tried again, a refused recipient given up at once."""

from __future__ import annotations

import shutil
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import FixedClock
from notifications.dispatch import Dispatcher, Retry
from notifications.email import SmtpChannel
from notifications.templates import Templates
from tests.notifications.loopback import (
    Mailbox,
    free_port,
    message_templates,
    queue,
    self_signed,
    smtp_server,
    the_message,
)

SENDER = "客户关系中心 <crc@lintel.example.com>"


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    return message_templates(tmp_path / "templates")


def dispatcher(sessions: sessionmaker[Session], clock: FixedClock, channel: SmtpChannel) -> Dispatcher:
    retry = Retry(max_attempts=5, first_delay=timedelta(seconds=30))
    return Dispatcher(sessions, {"email": channel}, clock, retry=retry)


def test_an_owners_email_arrives_in_readable_chinese_with_a_message_id_from_its_key(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    key = queue(session_factory, clock, templates, "email", "张伟 <zhangwei@example.com>")
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        channel = SmtpChannel("127.0.0.1", port, mail_from=SENDER, clock=clock)
        assert dispatcher(session_factory, clock, channel).run_once().sent == 1

    [mail] = mailbox.received
    assert mail["Subject"] == "您的投诉 TS-2026-000123 已登记"
    assert mail["From"].addresses == (Address("客户关系中心", "crc", "lintel.example.com"),)
    assert mail["To"].addresses[0].display_name == "张伟"
    assert mail["Message-ID"] == f"<{key}@lintel.example.com>"
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail.get_content().splitlines() == [
        "尊敬的张伟：",
        "您的投诉 TS-2026-000123 已登记，我们将在 24 小时内联系您。",
        "查看进度：https://crc.example.com/portal/TS-2026-000123",
    ]
    assert the_message(session_factory).status == "sent"


def test_a_busy_mail_server_gets_the_same_email_again_after_the_backoff(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "email", "zhangwei@example.com")
    mailbox = Mailbox(data_replies=["451 4.3.0 队列已满，请稍后再试"])
    with smtp_server(mailbox) as port:
        mailer = dispatcher(session_factory, clock, SmtpChannel("127.0.0.1", port, mail_from=SENDER))
        assert mailer.run_once().retried == 1
        waiting = the_message(session_factory)
        assert (waiting.status, waiting.attempts) == ("pending", 1)
        assert "451" in (waiting.last_error or "") and "队列已满" in (waiting.last_error or "")
        clock.advance(timedelta(seconds=30))
        assert mailer.run_once().sent == 1

    first, second = mailbox.received
    assert first["Message-ID"] == second["Message-ID"]  # a mail reader shows it once
    assert second["Subject"] == "您的投诉 TS-2026-000123 已登记"
    assert the_message(session_factory).status == "sent"


def test_a_refused_recipient_is_given_up_at_once_with_the_servers_reason(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "email", "nobody@example.com")
    mailbox = Mailbox(refuse_rcpt="550 5.1.1 No such mailbox")
    with smtp_server(mailbox) as port:
        mailer = dispatcher(session_factory, clock, SmtpChannel("127.0.0.1", port, mail_from=SENDER))
        assert mailer.run_once().dead == 1
    dead = the_message(session_factory)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert "550" in (dead.last_error or "") and "No such mailbox" in (dead.last_error or "")
    assert mailbox.received == []


def test_a_mail_server_that_is_down_is_tried_again_later(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "email", "zhangwei@example.com")
    nobody_listens = free_port()
    mailer = dispatcher(session_factory, clock, SmtpChannel("127.0.0.1", nobody_listens, mail_from=SENDER))
    assert mailer.run_once().retried == 1
    assert "无法连接" in (the_message(session_factory).last_error or "")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a certificate")
@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_mail_goes_encrypted_and_logged_in(
    tls: str, session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates, tmp_path: Path
) -> None:
    queue(session_factory, clock, templates, "email", "zhangwei@example.com")
    server_context, trusting = self_signed(tmp_path)
    mailbox = Mailbox()
    with smtp_server(mailbox, tls=tls, context=server_context) as port:
        channel = SmtpChannel(
            "127.0.0.1",
            port,
            mail_from=SENDER,
            tls=tls,
            user="crc",
            password="p4ss-word",
            ssl_context=trusting,
        )
        assert dispatcher(session_factory, clock, channel).run_once().sent == 1
    assert mailbox.logins == ["crc"]
    assert mailbox.received[0]["Subject"] == "您的投诉 TS-2026-000123 已登记"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a certificate")
def test_a_certificate_nobody_vouches_for_is_not_trusted(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates, tmp_path: Path
) -> None:
    queue(session_factory, clock, templates, "email", "zhangwei@example.com")
    server_context, _ = self_signed(tmp_path)
    mailbox = Mailbox()
    with smtp_server(mailbox, tls="starttls", context=server_context) as port:
        channel = SmtpChannel("127.0.0.1", port, mail_from=SENDER, tls="starttls", user="crc", password="x")
        assert dispatcher(session_factory, clock, channel).run_once().retried == 1
    assert "CERTIFICATE_VERIFY_FAILED" in (the_message(session_factory).last_error or "")
    assert mailbox.received == []


def test_an_address_that_smuggles_a_second_recipient_is_refused_before_any_server_is_asked(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "email", "zhangwei@example.com\nBcc: all@example.com")
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        mailer = dispatcher(session_factory, clock, SmtpChannel("127.0.0.1", port, mail_from=SENDER))
        assert mailer.run_once().dead == 1
    assert mailbox.received == []
    assert "不是一个电子邮箱地址" in (the_message(session_factory).last_error or "")
