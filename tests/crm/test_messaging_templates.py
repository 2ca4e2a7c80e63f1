"""Every message kind renders on every channel it can go out on, in Chinese, from its sample context."""

from __future__ import annotations

import re

import pytest

from crm.messaging.config import MessagingConfig
from crm.messaging.kinds import KINDS
from crm.messaging.samples import SAMPLES, channels_of

TEMPLATES = MessagingConfig().templates
CASES = [(kind, channel) for kind in KINDS for channel in channels_of(kind)]


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize(("kind", "channel"), CASES)
def test_each_kind_renders_on_each_of_its_channels(kind: str, channel: str) -> None:
    rendered = TEMPLATES.render(kind, channel, dict(SAMPLES[kind]))
    assert rendered.body
    assert re.search(r"[\u4e00-\u9fff]", rendered.body), "a message reads in Chinese"
    if channel != "sms":
        assert rendered.subject, "email, robots and the bell show a subject or title"
    if channel in ("email", "wecom", "dingtalk"):
        assert "https://crm.example.com/" in rendered.body, "a message sent out links to its page"


@pytest.mark.parametrize("kind", [k for k in KINDS if "sms" in channels_of(k)])
def test_an_sms_stays_short(kind: str) -> None:
    body = TEMPLATES.render(kind, "sms", dict(SAMPLES[kind])).body
    without_link = re.sub(r"https?://\S+", "", body)
    assert len(without_link) <= 70, body
