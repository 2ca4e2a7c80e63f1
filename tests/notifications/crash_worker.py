"""A dispatcher in its own process, for the test that kills one between sending and recording.

    python -m tests.notifications.crash_worker DATABASE_URL CHANNEL TARGET AT

CHANNEL sms: TARGET is the gateway's URL; email: the SMTP server's port on 127.0.0.1. AT (ISO) is the
dispatcher's clock.
"""

from __future__ import annotations

import sys
from datetime import datetime

from sqlalchemy.orm import sessionmaker

from lintel.clock import FixedClock
from notifications.channels import Channel
from notifications.dispatch import Dispatcher
from notifications.email import SmtpChannel
from notifications.quiet import QuietHours
from notifications.sms import SmsGatewayChannel
from tests.notifications.loopback import SIGN_NAME, SMS_KEY, SMS_SECRET
from webapp.database import make_engine

SENDER = "客户关系中心 <crc@lintel.example.com>"


def channel(kind: str, target: str) -> Channel:
    if kind == "sms":
        return SmsGatewayChannel(target, key=SMS_KEY, secret=SMS_SECRET, sign_name=SIGN_NAME, timeout=60)
    return SmtpChannel("127.0.0.1", int(target), mail_from=SENDER, timeout=60)


def main(url: str, kind: str, target: str, at: str) -> None:
    sessions = sessionmaker(make_engine(url), expire_on_commit=False)
    clock = FixedClock(datetime.fromisoformat(at))
    dispatcher = Dispatcher(sessions, {kind: channel(kind, target)}, clock, quiet=QuietHours(None, None))
    print(dispatcher.run_once(), flush=True)  # never reached: the test kills it mid-send


if __name__ == "__main__":
    main(*sys.argv[1:])
