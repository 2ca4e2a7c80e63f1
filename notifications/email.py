"""Email over SMTP, on the standard library: UTF-8 plain text, one connection per message.

The Message-ID is made from the outbox row's idempotency key, so the copy a dispatcher sends again after a
crash (or an administrator resends) carries the same one and mail readers show it once.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from lintel.clock import Clock, SystemClock
from notifications.channels import DeliveryFailed, Outgoing

TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_TIMEOUT = 15.0


def parse_sender(text: str) -> Address:
    """`客户关系中心 <crc@example.com>` or a bare address. Raises ValueError with the reason."""
    name, addr = parseaddr(text.strip())
    local, at, domain = addr.rpartition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in addr):
        raise ValueError(f"{text!r} is not an email address such as 客户关系中心 <crc@example.com>")
    return Address(display_name=name, addr_spec=addr)


class SmtpChannel:
    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        mail_from: str,
        tls: str = "none",
        user: str = "",
        password: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"TLS mode {tls!r}: expected one of {', '.join(TLS_MODES)}")
        if not 0 < port < 65536:
            raise ValueError(f"port {port}: expected 1-65535")
        self.host = host
        self.port = port
        self.sender = parse_sender(mail_from)
        self.tls = tls
        self.user = user
        self.password = password
        self.timeout = timeout
        # The system's trusted certificates unless told otherwise (a test's own authority).
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.clock = clock or SystemClock()

    def message_id(self, message: Outgoing) -> str:
        return f"<{message.idempotency_key}@{self.sender.domain}>"

    def compose(self, message: Outgoing) -> EmailMessage:
        # One address, on one line: a row holding two, or a line break, must not widen who receives it.
        found = getaddresses([message.address])
        if len(found) != 1 or "@" not in found[0][1] or not message.address.isprintable():
            raise DeliveryFailed(f"收件地址 {message.address!r} 不是一个电子邮箱地址", permanent=True)
        # SMTP policy: CRLF lines, non-ASCII headers (a Chinese display name, subject) RFC 2047-encoded.
        mail = EmailMessage(policy=email.policy.SMTP)
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = " ".join(message.subject.split())
        mail["Date"] = format_datetime(self.clock.now())
        mail["Message-ID"] = self.message_id(message)
        # Notices are machine-made: out-of-office replies should not answer them (RFC 3834).
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.body, charset="utf-8")
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            mail.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        return mail

    def send(self, message: Outgoing) -> None:
        mail = self.compose(message)
        where = f"邮件服务器 {self.host}:{self.port}"
        try:
            smtp = self._connect()
        except smtplib.SMTPResponseException as refused:
            raise _refusal(where, refused.smtp_code, refused.smtp_error) from refused
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"{where}无法连接：{error}") from error
        try:
            if self.tls == "starttls":
                smtp.starttls(context=self.ssl_context)
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as refused:
            code, reply = next(iter(refused.recipients.values()))
            raise _refusal(where, code, reply) from refused
        except smtplib.SMTPResponseException as refused:
            raise _refusal(where, refused.smtp_code, refused.smtp_error) from refused
        except smtplib.SMTPNotSupportedError as unsupported:
            # No STARTTLS or AUTH on offer, or an address it cannot take: the configuration must change.
            raise DeliveryFailed(f"{where}不支持：{unsupported}", permanent=True) from unsupported
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"{where}连接中断：{error}") from error
        finally:
            _close(smtp)

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def _refusal(where: str, code: int, reply: bytes | str) -> DeliveryFailed:
    # 4xx: the server asks to try later (greylisting, a full queue); 5xx: it will not take this message.
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    permanent = code >= 500
    verdict = "拒收" if permanent else "暂不接收"
    return DeliveryFailed(f"{where}{verdict}（{code}）：{' '.join(text.split())}", permanent=permanent)


def _close(smtp: smtplib.SMTP) -> None:
    # The message is handed over (or refused) already: a QUIT that fails changes nothing.
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
