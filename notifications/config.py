"""The channels of this process, chosen by configuration (the `LINTEL_*` settings, read in webapp).

Built when the process starts, so a bad setting stops it with its name and reason instead of failing the
first message hours later.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from notifications.channels import Channel, ConsoleChannel
from notifications.email import TLS_MODES, SmtpChannel, parse_sender
from notifications.posting import is_web_url
from notifications.robots import DingTalkRobotChannel, WeComRobotChannel
from notifications.sms import SmsGatewayChannel, parse_template_ids

# Channels the dispatcher may be given; in-app needs none (written with the change).
SENT_CHANNELS = ("email", "sms", "wecom", "dingtalk", "console")


class InvalidSetting(ValueError):
    """A notification setting that cannot work; the message names the setting."""


def build_channels(
    settings: Mapping[str, str], robot_secret: Callable[[str], str | None] = lambda url: None
) -> dict[str, Channel]:
    """One channel per configured kind. `robot_secret` gives a robot webhook's signing secret by URL.
    The robots are always there (each message carries its webhook URL); email and SMS when their server is
    set. With LINTEL_NOTICE_CONSOLE set, every channel not configured prints to the console instead.
    Raises InvalidSetting."""
    timeout = _seconds(settings, "LINTEL_NOTICE_TIMEOUT", "15")
    channels: dict[str, Channel] = {
        "wecom": WeComRobotChannel(timeout),
        "dingtalk": DingTalkRobotChannel(robot_secret, timeout),
    }
    if settings.get("LINTEL_SMTP_HOST"):
        channels["email"] = _smtp(settings, timeout)
    if settings.get("LINTEL_SMS_GATEWAY_URL"):
        channels["sms"] = _sms(settings, timeout)
    if settings.get("LINTEL_NOTICE_CONSOLE"):
        console = ConsoleChannel(sys.stdout)
        for name in SENT_CHANNELS:
            channels.setdefault(name, console)
    return channels


def _smtp(settings: Mapping[str, str], timeout: float) -> SmtpChannel:
    tls = settings.get("LINTEL_SMTP_TLS", "none").strip().lower() or "none"
    if tls not in TLS_MODES:
        raise InvalidSetting(f"LINTEL_SMTP_TLS {tls!r}: expected one of {', '.join(TLS_MODES)}")
    port_text = str(settings.get("LINTEL_SMTP_PORT", "25")).strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidSetting(f"LINTEL_SMTP_PORT {port_text!r}: expected a port number, 1-65535")
    mail_from = settings.get("LINTEL_MAIL_FROM", "")
    if not mail_from:
        raise InvalidSetting(
            "LINTEL_MAIL_FROM is needed with LINTEL_SMTP_HOST, e.g. 客户关系中心 <crc@example.com>"
        )
    try:
        parse_sender(mail_from)
    except ValueError as bad:
        raise InvalidSetting(f"LINTEL_MAIL_FROM {bad}") from None
    if bool(settings.get("LINTEL_SMTP_USER")) != bool(settings.get("LINTEL_SMTP_PASSWORD")):
        raise InvalidSetting("LINTEL_SMTP_USER and LINTEL_SMTP_PASSWORD go together: set both or neither")
    if not (settings.get("LINTEL_SMTP_USER", "") + settings.get("LINTEL_SMTP_PASSWORD", "")).isascii():
        # smtplib sends the login as ASCII; a Chinese character would fail every message, not the start.
        raise InvalidSetting("LINTEL_SMTP_USER and LINTEL_SMTP_PASSWORD: only ASCII characters can log in")
    return SmtpChannel(
        settings["LINTEL_SMTP_HOST"].strip(),
        int(port_text),
        mail_from=mail_from,
        tls=tls,
        user=settings.get("LINTEL_SMTP_USER", ""),
        password=settings.get("LINTEL_SMTP_PASSWORD", ""),
        timeout=timeout,
    )


def _sms(settings: Mapping[str, str], timeout: float) -> SmsGatewayChannel:
    url = settings["LINTEL_SMS_GATEWAY_URL"].strip()
    if not is_web_url(url):
        raise InvalidSetting(f"LINTEL_SMS_GATEWAY_URL {url!r}: expected an http:// or https:// URL")
    for needed in ("LINTEL_SMS_GATEWAY_KEY", "LINTEL_SMS_GATEWAY_SECRET", "LINTEL_SMS_SIGN_NAME"):
        if not settings.get(needed):
            raise InvalidSetting(f"{needed} is needed with LINTEL_SMS_GATEWAY_URL")
    try:
        template_ids = parse_template_ids(settings.get("LINTEL_SMS_TEMPLATES", ""))
    except ValueError as bad:
        raise InvalidSetting(f"LINTEL_SMS_TEMPLATES {bad}") from None
    return SmsGatewayChannel(
        url,
        key=settings["LINTEL_SMS_GATEWAY_KEY"],
        secret=settings["LINTEL_SMS_GATEWAY_SECRET"],
        sign_name=settings["LINTEL_SMS_SIGN_NAME"],
        template_ids=template_ids,
        timeout=timeout,
    )


def _seconds(settings: Mapping[str, str], name: str, default: str) -> float:
    text = str(settings.get(name, default)).strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0
    # Well inside the dispatcher's lease (5 minutes): a send still waiting when the lease ran out could be
    # taken and sent again by another dispatcher.
    if not 0 < seconds <= 120:
        raise InvalidSetting(f"{name} {text!r}: expected seconds, more than 0 and at most 120")
    return seconds
