"""Group robots on loopback: WeCom markdown, DingTalk markdown signed with the department's secret (加签),
rate limits tried again, other refusals dead at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm.messaging.robots import robot_secret_lookup
from crm.models import Department
from lintel.clock import FixedClock
from notifications.channels import Channel
from notifications.dispatch import Dispatcher, Retry
from notifications.robots import DingTalkRobotChannel, WeComRobotChannel
from notifications.templates import Templates
from tests.notifications.loopback import Received, message_templates, queue, the_message, webhook

NEW_TASKS = {"items": [{"title": "1栋1201 卫生间漏水"}, {"title": "2栋802 墙面开裂"}]}


@pytest.fixture
def templates(tmp_path: Path) -> Templates:
    return message_templates(tmp_path / "templates")


def dispatcher(sessions: sessionmaker[Session], clock: FixedClock, name: str, channel: Channel) -> Dispatcher:
    return Dispatcher(sessions, {name: channel}, clock, retry=Retry(first_delay=timedelta(seconds=30)))


def test_wecom_rate_limit_is_waited_out_and_the_group_sees_the_new_tasks(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    with webhook(first_answers=[(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]) as robot:
        queue(session_factory, clock, templates, "wecom", robot.url, "task.new", NEW_TASKS)
        sender = dispatcher(session_factory, clock, "wecom", WeComRobotChannel())
        assert sender.run_once().retried == 1
        assert "45009" in (the_message(session_factory).last_error or "")
        clock.advance(timedelta(seconds=30))
        assert sender.run_once().sent == 1

    first, second = robot.received
    assert first.path == "/send?access_token=t0ken"
    assert second.json() == {
        "msgtype": "markdown",
        "markdown": {"content": "**2 条新任务**\n1栋1201 卫生间漏水\n2栋802 墙面开裂"},
    }


def dingtalk_sign_problem(request: Received, secret: str) -> str | None:
    query = parse_qs(urlsplit(request.path).query)
    if "sign" not in query:
        return "缺少签名"
    timestamp = query["timestamp"][0]
    if abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
        return "时间戳过期"
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return None if query["sign"][0] == base64.b64encode(digest).decode() else "签名不匹配"


def test_dingtalk_is_signed_with_the_departments_secret_and_retried_when_busy(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    secret = "SEC0123456789abcdef"

    def answer(request: Received) -> tuple[int, dict[str, object]]:
        problem = dingtalk_sign_problem(request, secret)
        return 200, {"errcode": 310000, "errmsg": problem} if problem else {"errcode": 0, "errmsg": "ok"}

    with webhook(answer=answer, first_answers=[(503, {})]) as robot:
        with session_factory.begin() as session:
            department = session.get(Department, "engineering")
            assert department is not None
            department.robot_kind, department.robot_url, department.robot_secret = (
                "dingtalk",
                robot.url,
                secret,
            )
        queue(session_factory, clock, templates, "dingtalk", robot.url, "task.new", NEW_TASKS)
        channel = DingTalkRobotChannel(robot_secret_lookup(session_factory))
        sender = dispatcher(session_factory, clock, "dingtalk", channel)
        assert sender.run_once().retried == 1
        clock.advance(timedelta(seconds=30))
        assert sender.run_once().sent == 1

    assert [dingtalk_sign_problem(r, secret) for r in robot.received] == [None, None]
    assert robot.received[1].json() == {
        "msgtype": "markdown",
        "markdown": {
            "title": "2 条新任务",
            "text": "#### 2 条新任务\n\n1栋1201 卫生间漏水\n\n2栋802 墙面开裂",
        },
    }


def test_a_robot_that_refuses_the_signature_is_a_dead_letter_with_its_message(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    refusal = {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/]"}
    with webhook(answer=lambda request: (200, refusal)) as robot:
        queue(session_factory, clock, templates, "dingtalk", robot.url, "task.new", NEW_TASKS)
        channel = DingTalkRobotChannel(lambda url: "wrong secret")
        assert dispatcher(session_factory, clock, "dingtalk", channel).run_once().dead == 1
    dead = the_message(session_factory)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert "310000" in (dead.last_error or "") and "sign not match" in (dead.last_error or "")


def test_a_robot_address_that_is_not_a_web_address_is_given_up_at_once(
    session_factory: sessionmaker[Session], clock: FixedClock, templates: Templates
) -> None:
    queue(session_factory, clock, templates, "wecom", "工程部群", "task.new", NEW_TASKS)
    assert dispatcher(session_factory, clock, "wecom", WeComRobotChannel()).run_once().dead == 1
    assert "不是网址" in (the_message(session_factory).last_error or "")
