"""The channels of this process, chosen by configuration (the `LINTEL_*` settings, read in webapp)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from notifications.channels import Channel, ConsoleChannel

# Channels the dispatcher may be given; in-app needs none (written with the change).
SENT_CHANNELS = ("email", "sms", "wecom", "dingtalk", "console")


def build_channels(
    settings: Mapping[str, str], robot_secret: Callable[[str], str | None] = lambda url: None
) -> dict[str, Channel]:
    """One channel per configured kind. `robot_secret` gives a robot webhook's signing secret by URL.
    With LINTEL_NOTICE_CONSOLE set, every channel not configured prints to the console instead."""
    channels: dict[str, Channel] = {}
    if settings.get("LINTEL_NOTICE_CONSOLE"):
        console = ConsoleChannel(sys.stdout)
        for name in SENT_CHANNELS:
            channels.setdefault(name, console)
    return channels
