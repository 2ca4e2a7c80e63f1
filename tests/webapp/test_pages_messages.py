"""My messages (我的消息) and the bell: the signed-in staff member's unread count on every page, polled
cheaply, the list newest first with the unread ones marked, opening one (read, and on to what it is
about), marking all read, paging; someone else's messages are neither shown nor marked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from crm.models import UserSession
from notifications.models import InAppMessage
from tests.webapp.pages_support import login, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def bell_count(html: str) -> int:
    """The number the bell shows (none: 0)."""
    bell = re.search(r'<a id="bell".*?</a>', html, re.S)
    assert bell, "no bell on the page"
    count = re.search(r'data-count="(\d+)"', bell.group(0))
    return int(count.group(1)) if count else 0


def message(platform, to: str, subject: str, link: str | None = None, kind: str = "task.new") -> InAppMessage:  # type: ignore[no-untyped-def]
    row = InAppMessage(
        recipient=to,
        kind=kind,
        subject=subject,
        body=f"{subject}。",
        link=link,
        created_at=platform.clock.now(),
    )
    platform.session.add(row)
    platform.session.flush()
    return row


def test_the_bell_counts_my_unread_messages_on_every_page(client, platform) -> None:
    login(client, "crc")
    assert bell_count(client.get("/").get_data(as_text=True)) == 0
    register(platform)  # the triage task lands in the centre's queue: the centre's members hear of it
    for page in ("/", "/inbox", "/lookup", "/account"):
        html = client.get(page).get_data(as_text=True)
        assert bell_count(html) == 1, page
    html = client.get("/").get_data(as_text=True)
    assert 'hx-get="/messages/bell"' in html and 'hx-trigger="every 30s"' in html
    polled = client.get("/messages/bell")
    assert polled.status_code == 200 and bell_count(polled.get_data(as_text=True)) == 1
    assert polled.headers["Cache-Control"] == "no-store"  # a browser never shows yesterday's number
    login(client, "eng")  # engineering has no new work
    assert bell_count(client.get("/").get_data(as_text=True)) == 0


def test_the_poll_interval_is_a_setting(app, client, platform) -> None:
    app.extensions["lintel.bell_poll"] = 5.0
    login(client, "crc")
    assert 'hx-trigger="every 5s"' in client.get("/").get_data(as_text=True)


def test_my_messages_newest_first_unread_marked_linking_to_the_work(client, platform) -> None:
    older = message(platform, "user:crc", "较早的消息")
    older.read_at = platform.clock.now()
    platform.session.commit()
    complaint = register(platform)
    login(client, "crc")
    page = client.get("/messages")
    html, shown = page.get_data(as_text=True), text(page)
    assert page.status_code == 200 and "我的消息" in shown and "1 条未读" in shown
    assert shown.index(complaint.number) < shown.index("较早的消息")  # newest first
    rows = re.findall(r'<li class="(read|unread)" data-message="(\d+)"', html)
    assert [state for state, _ in rows] == ["unread", "read"]
    assert "部门待办新任务" in shown  # the kind by its Chinese name
    # Opening it marks it read and leads to the request it is about.
    opened = client.post(f"/messages/{rows[0][1]}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/r/{complaint.number}"
    assert bell_count(client.get("/messages").get_data(as_text=True)) == 0
    assert "没有未读消息" in text(client.get("/messages"))


def test_mark_all_read(client, platform) -> None:
    for n in range(3):
        message(platform, "user:eng", f"第{n}条")
    message(platform, "user:crc", "李娜的消息")
    platform.session.commit()
    login(client, "eng")
    assert "3 条未读" in text(client.get("/messages"))
    done = client.post("/messages/read", follow_redirects=True)
    assert "已将 3 条消息标为已读" in text(done) and bell_count(done.get_data(as_text=True)) == 0
    still = platform.session.scalars(select(InAppMessage).where(InAppMessage.recipient == "user:crc")).one()
    platform.session.refresh(still)
    assert still.read_at is None  # only my own


def test_someone_elses_message_is_neither_shown_nor_marked(client, platform) -> None:
    theirs = message(platform, "user:crc", "李娜的私人消息", link="/r/TS-2026-000001")
    platform.session.commit()
    login(client, "eng")
    assert "李娜的私人消息" not in text(client.get("/messages"))
    refused = client.post(f"/messages/{theirs.id}/open")
    assert refused.status_code == 404 and "这条消息不存在，或不是发给您的" in text(refused)
    assert client.post(f"/messages/{2**62}/open").status_code == 404
    platform.session.refresh(theirs)
    assert theirs.read_at is None


def test_a_link_outside_lintel_is_not_followed(client, platform) -> None:
    odd = message(platform, "user:eng", "奇怪的链接", link="https://evil.example/phish")
    platform.session.commit()
    login(client, "eng")
    opened = client.post(f"/messages/{odd.id}/open")
    assert opened.headers["Location"] == "/messages"


def test_messages_page_by_page(client, platform) -> None:
    for n in range(25):
        message(platform, "user:eng", f"消息{n:02d}")
    platform.session.commit()
    login(client, "eng")
    first = client.get("/messages").get_data(as_text=True)
    assert "消息24" in first and "消息05" in first and "消息04" not in first
    older = re.search(r'href="(/messages\?before_id=\d+)"', first)
    assert older, "no link to the older messages"
    second = text(client.get(older.group(1)))
    assert "消息04" in second and "消息00" in second and "消息05" not in second and "更早的消息" not in second
    assert "25 条未读" in text(client.get("/messages"))
    for bad in ("abc", "²", "9" * 5000, str(2**64)):  # a bad cursor is the first page
        assert "消息24" in text(client.get("/messages", query_string={"before_id": bad}))
    assert "没有更早的消息了" in text(client.get("/messages?before_id=1"))


def test_the_poll_is_one_count_and_keeps_no_session_alive(app, client, platform, clock) -> None:
    register(platform)
    login(client, "crc")
    row = platform.session.scalars(select(UserSession)).one()
    expires = row.expires_at
    statements: list[str] = []
    engine = platform.session.get_bind()

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        polled = client.get("/messages/bell")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert bell_count(polled.get_data(as_text=True)) == 1
    touching = [s for s in statements if "inapp_messages" in s]
    assert len(touching) == 1 and "count(" in touching[0].lower()
    assert not [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    platform.session.refresh(row)
    assert row.expires_at == expires  # polling does not extend the sign-in
    # Once the sign-in has ended (12 hours after it began) the poll stops and shows no count.
    clock.advance(timedelta(hours=12, minutes=1))
    ended = client.get("/messages/bell")
    assert ended.status_code == 286 and bell_count(ended.get_data(as_text=True)) == 0
    assert "hx-get" not in ended.get_data(as_text=True)
    assert client.get("/messages").headers["Location"].startswith("/login")


def test_signed_out_the_bell_stops_polling_and_messages_asks_to_sign_in(client) -> None:
    assert client.get("/messages/bell").status_code == 286
    assert client.get("/messages").headers["Location"].startswith("/login")
