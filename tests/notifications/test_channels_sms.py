"""SMS through a loopback gateway that keeps the README's contract: signed requests, busy answers tried
again with the same idempotency key, refusals given up at once with the gateway's reason."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lintel.clock import FixedClock
from notifications.dispatch import Dispatcher, Retry
from notifications.sms import SmsGatewayChannel, signature, template_params
from notifications.templates import Templates
from tests.notifications.loopback import (
    SIGN_NAME,
    SMS_KEY,
    SMS_SECRET,
    message_templates,
    queue,
    signature_problem,
    sms_gateway,
    the_message,
    webhook,
)

README = (Path(__file__).parents[2] / "README.md").read_text()
BUSY = (503, {"code": "BUSY", "message": "系统繁忙"})


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    return message_templates(tmp_path / "templates")


def sms(url: str, secret: str = SMS_SECRET, timeout: float = 10) -> SmsGatewayChannel:
    return SmsGatewayChannel(
        url,
        key=SMS_KEY,
        secret=secret,
        sign_name=SIGN_NAME,
        template_ids={"complaint.registered": "SMS_123456"},
        timeout=timeout,
    )


def dispatcher(sessions: sessionmaker[Session], clock: FixedClock, channel: SmsGatewayChannel) -> Dispatcher:
    retry = Retry(max_attempts=5, first_delay=timedelta(seconds=30))
    return Dispatcher(sessions, {"sms": channel}, clock, retry=retry)


def test_an_sms_refused_twice_as_busy_reaches_the_owner_once_with_one_key(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    key = queue(session_factory, clock, templates, "sms", "13800000001")
    with sms_gateway(first_answers=[BUSY, BUSY]) as gateway:
        sender = dispatcher(session_factory, clock, sms(gateway.url))
        assert sender.run_once().retried == 1
        assert "系统繁忙" in (the_message(session_factory).last_error or "")
        clock.advance(timedelta(seconds=29))
        assert sender.run_once().retried == 0  # backing off
        clock.advance(timedelta(seconds=1))
        assert sender.run_once().retried == 1
        clock.advance(timedelta(seconds=60))  # the second wait is twice the first
        assert sender.run_once().sent == 1

    assert len(gateway.received) == 3
    assert [signature_problem(r) for r in gateway.received] == [None, None, None]
    assert {r.headers["Idempotency-Key"] for r in gateway.received} == {key}
    assert len({r.headers["X-Nonce"] for r in gateway.received}) == 3  # a nonce is never reused
    [delivered] = gateway.delivered.values()
    assert delivered == {
        "phone": "13800000001",
        "sign_name": "某某地产",
        "template_id": "SMS_123456",
        "template_params": {
            "number": "TS-2026-000123",
            "owner": "张伟",
            "link": "https://crc.example.com/portal/TS-2026-000123",
        },
        "content": "您的投诉 TS-2026-000123 已登记，我们将在 24 小时内联系您。",
        "idempotency_key": key,
    }
    sent = the_message(session_factory)
    assert (sent.status, sent.attempts) == ("sent", 3)


def test_a_number_the_gateway_refuses_is_a_dead_letter_at_once_with_its_reason(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "sms", "1380000")
    refusal = (200, {"code": "INVALID_PHONE", "message": "手机号格式错误"})
    with sms_gateway(first_answers=[refusal]) as gateway:
        assert dispatcher(session_factory, clock, sms(gateway.url)).run_once().dead == 1
    dead = the_message(session_factory)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert "INVALID_PHONE" in (dead.last_error or "") and "手机号格式错误" in (dead.last_error or "")


def test_a_wrong_secret_is_refused_by_the_gateway_and_not_tried_again(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "sms", "13800000001")
    with sms_gateway() as gateway:
        assert dispatcher(session_factory, clock, sms(gateway.url, secret="wrong")).run_once().dead == 1
        assert gateway.delivered == {}
    assert "签名错误" in (the_message(session_factory).last_error or "")


@pytest.mark.parametrize(
    "answer",
    [(429, {"code": "THROTTLED", "message": "发送太频繁"}), (502, {}), (200, {"unexpected": True})],
    ids=["rate-limited", "bad-gateway", "not-the-contract"],
)
def test_answers_that_mean_not_now_are_tried_again(
    answer: tuple[int, dict[str, object]],
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    templates: Templates,
) -> None:
    queue(session_factory, clock, templates, "sms", "13800000001")
    with sms_gateway(first_answers=[answer]) as gateway:
        sender = dispatcher(session_factory, clock, sms(gateway.url))
        assert sender.run_once().retried == 1
        clock.advance(timedelta(seconds=30))
        assert sender.run_once().sent == 1
    assert len(gateway.delivered) == 1


def test_a_gateway_that_takes_too_long_is_tried_again(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "sms", "13800000001")
    with webhook(hold_first=1) as silent:
        assert dispatcher(session_factory, clock, sms(silent.url, timeout=0.3)).run_once().retried == 1
    assert "没有答复" in (the_message(session_factory).last_error or "")


def test_the_readmes_worked_example_is_what_the_channel_signs() -> None:
    documented = re.search(r"```\n(\{\"phone\".*\})\n```", README)
    assert documented is not None
    body = documented.group(1).encode()
    assert f"the body ({len(body)} bytes, one line)" in README
    expected = signature("s3cr3t", "1796090400", "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d", body)
    assert f"'{expected}'" in README
    # And the channel writes bodies exactly that way (compact, Chinese unescaped).
    assert json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":")).encode() == body


def test_an_sms_gateway_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="not an http"):
        sms("ftp://127.0.0.1/send")


def test_only_single_values_become_template_parameters() -> None:
    params = {"number": "TS-1", "count": 3, "urgent": True, "items": [{"title": "漏水"}], "none": None}
    assert template_params(params) == {"number": "TS-1", "count": "3", "urgent": "是"}
