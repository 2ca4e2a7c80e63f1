"""消息发送: the administrator sees what went out and what failed, why, and resends it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.platform import Platform
from notifications.models import OutboxMessage
from tests.webapp.pages_support import csrf_token, login, text
from tests.webapp.test_pages_chinese import ALLOWED, foreign_words


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False  # the resend test turns it on: the forms carry their token
    return app


def message(platform: Platform, **values: object) -> OutboxMessage:
    now = platform.clock.now()
    fields: dict[str, object] = {
        "kind": "task.new",
        "channel": "email",
        "address": "eng@example.com",
        "recipient": "user:eng",
        "subject": "3 条新任务",
        "body": "漏水\n墙面开裂\n投诉TS-2026-000123详情：https://crm.example.com/r/TS-2026-000123",
        "params": {},
        "status": "pending",
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    }
    fields.update(values)
    fields.setdefault("idempotency_key", uuid.uuid4().hex)
    row = OutboxMessage(**fields)
    platform.session.add(row)
    platform.session.flush()
    return row


def test_counts_dead_letters_and_the_latest_messages(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    message(platform, status="sent", attempts=1)
    dead = message(
        platform,
        channel="sms",
        address="13800000001",
        recipient="owner:7",
        kind="complaint.registered",
        status="dead",
        attempts=8,
        last_error="gateway answered 500",
    )
    platform.session.commit()
    login(client, "admin")
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = text(page)
    assert "消息发送" in shown and "发送失败" in shown
    assert "投诉已受理" in shown and "gateway answered 500" in shown
    assert "138****0001" in html and "13800000001" not in html  # the phone is masked
    assert f'id="dead-{dead.id}"' in html
    assert "短信" in shown and "邮件" in shown
    assert foreign_words(html, ALLOWED, identifiers=True)[0] == []  # codes and errors marked as such

    only_sms = client.get("/admin/outbox?channel=sms").get_data(as_text=True)
    assert f'id="message-{dead.id}"' in only_sms and only_sms.count('id="message-') == 1
    by_recipient = client.get("/admin/outbox?recipient=user:eng").get_data(as_text=True)
    assert by_recipient.count('id="message-') == 1 and f'id="message-{dead.id}"' not in by_recipient
    nothing = client.get("/admin/outbox?status=sent&channel=sms")
    assert "没有符合条件的消息" in text(nothing)
    assert client.get("/admin/outbox?status=nonsense").status_code == 200  # an unknown filter is ignored


def test_a_message_in_full_and_a_robot_key_never_shown(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    robot = message(
        platform,
        channel="wecom",
        address="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY",
        recipient="department:engineering",
    )
    platform.session.commit()
    login(client, "admin")
    page = client.get(f"/admin/outbox/{robot.id}")
    assert page.status_code == 200
    assert "SECRET-KEY" not in page.get_data(as_text=True)
    shown = text(page)
    assert "3 条新任务" in shown and "墙面开裂" in shown and "企业微信" in shown
    assert "部门待办新任务" in shown
    assert foreign_words(page.get_data(as_text=True), ALLOWED, identifiers=True)[0] == []

    missing = client.get("/admin/outbox/999999")
    assert missing.status_code == 404 and "消息不存在" in text(missing)


def test_resend_one_dead_letter_or_all_of_them(app, client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    first = message(platform, status="dead", attempts=8, last_error="550")
    second = message(platform, status="dead", attempts=8, address="crc@example.com", last_error="550")
    waiting = message(platform, address="later@example.com")
    platform.session.commit()
    login(client, "admin")
    app.config["WTF_CSRF_ENABLED"] = True
    token = csrf_token(client, "/admin/outbox")

    assert client.post(f"/admin/outbox/{first.id}/resend").status_code == 400  # no CSRF token: refused
    done = client.post(f"/admin/outbox/{first.id}/resend", data={"csrf_token": token}, follow_redirects=True)
    assert f"消息 {first.id} 已重新排队" in text(done)
    refused = client.post(
        f"/admin/outbox/{waiting.id}/resend", data={"csrf_token": token}, follow_redirects=True
    )
    assert "只有发送失败的消息可以重发" in text(refused)
    assert client.post("/admin/outbox/999999/resend", data={"csrf_token": token}).status_code == 404

    platform.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    everything = client.post("/admin/outbox/resend-dead", data={"csrf_token": token}, follow_redirects=True)
    assert "1 条发送失败的消息已重新排队" in text(everything)
    platform.session.expire_all()
    rows = platform.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_([first.id, second.id])))
    assert {(m.status, m.attempts) for m in rows} == {("pending", 0)}


def test_only_administrators_see_it(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc_sup")
    assert client.get("/admin/outbox").status_code == 403
    assert "消息发送" not in text(client.get("/"))
    login(client, "admin")
    assert "消息发送" in text(client.get("/"))
