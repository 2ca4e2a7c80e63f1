"""The owner portal's 我的消息 and 消息设置, and the 通知方式 panel of the owner's page (客户360): the owner
reads their in-app messages (the unread count in the portal's header) and marks them read; chooses per
kind of message its channels — 不接收 only where the kind allows it, a service notice keeps one channel,
refused in Chinese; a coordinator changes them at the owner's request, recorded with their name."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm.estate.models import Owner
from crm.messaging.kinds import KINDS
from crm.messaging.models import OwnerNoticePreference
from notifications.models import InAppMessage
from tests.webapp.pages_support import OWNER_PHONE, login, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def owner(platform, phone: str = OWNER_PHONE) -> Owner:  # type: ignore[no-untyped-def]
    return platform.session.scalars(select(Owner).where(Owner.phone == phone).order_by(Owner.id)).first()


def verify(client, number: str, phone: str = OWNER_PHONE) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/portal", data={"number": number, "phone": phone}).status_code == 302


def unread_in_header(html: str) -> int:
    link = re.search(r'<a href="/portal/messages" id="portal-messages".*?</a>', html, re.S)
    assert link, "no 我的消息 in the portal's header"
    count = re.search(r'data-count="(\d+)"', link.group(0))
    return int(count.group(1)) if count else 0


def stored(platform, owner_id: int) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    platform.session.expire_all()
    rows = platform.session.scalars(
        select(OwnerNoticePreference).where(OwnerNoticePreference.owner_id == owner_id)
    )
    return {row.kind: (row.channels, row.updated_by) for row in rows}


# -- 我的消息 ----------------------------------------------------------------------------------------------


def test_the_owner_reads_their_messages_with_the_unread_count_in_the_header(client, platform) -> None:
    complaint = register(platform)
    verify(client, complaint.number)
    page = client.get(f"/portal/{complaint.number}")
    assert unread_in_header(page.get_data(as_text=True)) == 1
    listed = client.get("/portal/messages")
    shown = text(listed)
    assert listed.status_code == 200 and f"投诉已受理：{complaint.number}" in shown and "1 条未读" in shown
    [message_id] = re.findall(r'<li class="unread" data-message="(\d+)"', listed.get_data(as_text=True))
    opened = client.post(f"/portal/messages/{message_id}/open")
    assert opened.headers["Location"] == f"/portal/{complaint.number}"  # on to the request it is about
    assert unread_in_header(client.get("/portal/messages").get_data(as_text=True)) == 0
    assert "没有未读消息" in text(client.get("/portal/messages"))


def test_mark_all_read_and_another_owners_message_is_not_theirs(client, platform) -> None:
    complaint = register(platform)
    someone = platform.records.save_owner(None, name="陈静", phone="13900000009")
    other = InAppMessage(
        recipient=f"owner:{someone.id}",
        kind="complaint.replied",
        subject="陈静的答复",
        body="…",
        link=None,
        created_at=platform.clock.now(),
    )
    platform.session.add(other)
    platform.session.commit()
    verify(client, complaint.number)
    assert "陈静的答复" not in text(client.get("/portal/messages"))
    refused = client.post(f"/portal/messages/{other.id}/open", follow_redirects=True)
    assert "没有找到这条消息" in text(refused)
    done = client.post("/portal/messages/read", follow_redirects=True)
    assert "已将 1 条消息标为已读" in text(done)
    platform.session.refresh(other)
    assert other.read_at is None


def test_without_a_verified_phone_the_portal_asks_for_a_look_up_first(client, platform) -> None:
    for path in ("/portal/messages", "/portal/settings"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == "/portal"
    assert client.post("/portal/messages/read").headers["Location"] == "/portal"
    assert "请先输入诉求编号和手机号查询一次" in text(client.get("/portal"))


def test_a_verified_phone_of_no_owner_is_told_so(client, platform) -> None:
    # A caller who is not an owner (a tenant) follows a request registered with their phone.
    with client.session_transaction() as cookie:
        cookie["portal_phone"] = ["13700000077", platform.clock.now().timestamp() + 600]
    assert "这个手机号没有业主档案" in text(client.get("/portal/messages"))
    assert "没有可设置的通知" in text(client.get("/portal/settings"))
    assert client.post("/portal/settings", data=defaults_form()).status_code == 200


def test_one_person_with_two_owner_records_reads_and_chooses_for_both(client, platform) -> None:
    complaint = register(platform)
    first = owner(platform)
    second = platform.records.save_owner(None, name="张伟（二期）", phone=OWNER_PHONE)
    platform.session.add(
        InAppMessage(
            recipient=f"owner:{second.id}",
            kind="complaint.closed",
            subject="二期的投诉已办结",
            body="…",
            link=None,
            created_at=platform.clock.now(),
        )
    )
    platform.session.commit()
    verify(client, complaint.number)
    shown = text(client.get("/portal/messages"))
    assert "二期的投诉已办结" in shown and f"投诉已受理：{complaint.number}" in shown and "2 条未读" in shown
    form = {**defaults_form(), "channels.complaint.replied": ["email", "inapp"]}
    saved = client.post("/portal/settings", data=form)
    assert saved.status_code == 302
    assert stored(platform, first.id)["complaint.replied"] == ("email,inapp", "owner")
    assert stored(platform, second.id)["complaint.replied"] == ("email,inapp", "owner")


# -- 消息设置 ----------------------------------------------------------------------------------------------


def defaults_form() -> dict[str, list[str]]:
    return {f"channels.{k.code}": list(k.channels) for k in KINDS.values() if k.audience == "owner"}


def test_the_owner_chooses_channels_per_kind(client, platform) -> None:
    complaint = register(platform)
    verify(client, complaint.number)
    page = client.get("/portal/settings")
    shown = text(page)
    assert page.status_code == 200 and "消息设置" in shown
    for label in ("投诉已受理", "投诉处理答复", "短信", "邮件", "站内消息", "默认方式"):
        assert label in shown
    # Only the monthly progress notice and the return-visit questionnaire may be turned off: the others are
    # about the owner's own request.
    assert shown.count("不接收") == 2
    for optional in ("bulletin.progress", "visit.questionnaire"):
        found = re.search(rf'data-kind="{optional}".*?</fieldset>', page.get_data(as_text=True), re.S)
        assert found is not None and "不接收" in found.group(0)
    form = {**defaults_form(), "channels.complaint.replied": ["inapp"]}
    saved = client.post("/portal/settings", data=form, follow_redirects=True)
    assert "已保存您的消息设置" in text(saved)
    # Only the kind changed is a choice; the others stay on their defaults.
    assert stored(platform, owner(platform).id) == {"complaint.replied": ("inapp", "owner")}
    html = client.get("/portal/settings").get_data(as_text=True)
    replied = re.search(r'data-kind="complaint.replied".*?</fieldset>', html, re.S).group(0)
    assert re.search(r'value="inapp" checked', replied) and not re.search(r'value="sms" checked', replied)
    assert "您设置的方式" in replied


def test_a_service_notice_keeps_a_channel_refused_in_chinese(client, platform) -> None:
    complaint = register(platform)
    verify(client, complaint.number)
    form = {**defaults_form(), "channels.complaint.replied": [], "channels.complaint.closed": ["sms"]}
    refused = client.post("/portal/settings", data=form)
    shown = text(refused)
    assert refused.status_code == 422 and "这是服务通知，至少需要保留一种接收方式" in shown
    assert stored(platform, owner(platform).id) == {}  # nothing saved, not even the valid change
    closed = re.search(
        r'data-kind="complaint.closed".*?</fieldset>', refused.get_data(as_text=True), re.S
    ).group(0)
    assert 'value="sms" checked' in closed and 'value="inapp" checked' not in closed  # the ticks kept


def test_the_progress_notice_can_be_turned_off(client, platform) -> None:
    complaint = register(platform)
    verify(client, complaint.number)
    page = text(client.get("/portal/settings"))
    assert "楼盘进度通报" in page and "不接收" in page
    form = {**defaults_form(), "channels.bulletin.progress.off": "1"}
    assert client.post("/portal/settings", data=form).status_code == 302
    assert stored(platform, owner(platform).id) == {"bulletin.progress": ("", "owner")}
    assert platform.notice_preferences.channels_for(owner(platform).id, "bulletin.progress") == ()


def test_unknown_channels_in_the_form_are_ignored(client, platform) -> None:
    complaint = register(platform)
    verify(client, complaint.number)
    form = {**defaults_form(), "channels.complaint.replied": ["pigeon", "email"]}
    assert client.post("/portal/settings", data=form).status_code == 302
    assert stored(platform, owner(platform).id) == {"complaint.replied": ("email", "owner")}


# -- 客户360: 通知方式 --------------------------------------------------------------------------------------


def test_the_owner_page_shows_each_kind_default_or_chosen(client, platform) -> None:
    found = owner(platform)
    platform.notice_preferences.choose(found.id, "complaint.closed", ["email"], by="owner")
    platform.session.commit()
    login(client, "eng")  # reads the records, may not change the choices
    page = client.get(f"/owners/{found.id}")
    html, shown = page.get_data(as_text=True), text(page)
    assert "通知方式" in shown and "默认方式" in shown and "业主于 2026-11-20 10:00 在服务平台选择" in shown
    panel = re.search(r'<div class="card" id="notices">.*?</form>', html, re.S).group(0)
    assert "disabled" in panel and "保存通知方式" not in panel
    forbidden = client.post(f"/owners/{found.id}/notices", data=defaults_form())
    assert forbidden.status_code == 403


def test_a_coordinator_changes_them_at_the_owners_request(client, platform) -> None:
    found = owner(platform)
    platform.notice_preferences.choose(found.id, "complaint.closed", ["inapp"], by="owner")
    platform.session.commit()
    login(client, "crc")
    form = {
        **defaults_form(),
        "channels.complaint.registered": ["sms", "email", "inapp"],
        "channels.complaint.closed": ["inapp"],  # as the owner chose it: still theirs
    }
    saved = client.post(f"/owners/{found.id}/notices", data=form, follow_redirects=True)
    shown = text(saved)
    assert f"已保存 {found.name} 的通知方式" in shown
    assert "李娜（客服专员） 于 2026-11-20 10:00 按业主要求修改" in shown
    assert stored(platform, found.id) == {
        "complaint.registered": ("sms,email,inapp", "crc"),
        "complaint.closed": ("inapp", "owner"),
    }
    unchanged = client.post(f"/owners/{found.id}/notices", data=form, follow_redirects=True)
    assert "通知方式没有变化" in text(unchanged)
    refused = client.post(f"/owners/{found.id}/notices", data={**form, "channels.complaint.closed": []})
    assert refused.status_code == 422 and "这是服务通知，至少需要保留一种接收方式" in text(refused)
    assert client.post("/owners/999999/notices", data=form).status_code == 404
