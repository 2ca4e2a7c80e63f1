"""A notice's page from drafting to delivery: the centre edits and previews the draft and submits it, a
manager approves it or sends it back with a comment, then the page counts what was delivered and sends the
failures again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.models import Bulletin
from crm.bulletins.sending import Sender
from crm.platform import Foundation, Platform
from notifications.models import OutboxMessage
from tests.bulletins.support import Estate, actor, estate, open_task, report
from tests.webapp.pages_support import login, text
from tests.webapp.test_pages_chinese import ALLOWED, foreign_words


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def reported(platform: Platform, site: Estate) -> Bulletin:
    """The project's progress notice with engineering's progress in: the centre drafts it."""
    instance_id = platform.bulletins.start_progress({"project_id": site.project.id}, actor(platform, "crc"))
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    report(platform, bulletin, site.buildings[0], "主体封顶", 65)
    platform.tasks.complete(open_task(platform, bulletin, "submit_progress").id, {}, actor(platform, "eng"))
    platform.session.commit()
    return bulletin


DRAFT = {
    "title": "临溪府11月楼盘进度通报",
    "body": "临溪府11月工程进度如下：\n1栋：主体封顶，整体完成65%。",
    "sms_text": "【临溪府】11月工程进度：1栋主体封顶（65%）。",
}


def test_the_draft_is_edited_previewed_and_refused_field_by_field(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=1)
    first = min(site.waiting.values(), key=lambda o: o.id)
    platform.notice_preferences.choose(first.id, "bulletin.progress", ["sms", "email"], "crc")
    bulletin = reported(platform, site)
    login(client, "crc")
    page = client.get(f"/bulletins/{bulletin.id}")
    assert page.status_code == 200
    shown = text(page)
    assert "发送预览" in shown and f"以首位收件业主 {first.name} 为例" in shown
    assert "将发送给 3 位业主 ：短信 3，邮件 1，站内消息 2" in shown
    assert "【临溪府】11月工程进度：1栋主体封顶（65%）。 详情：" in shown  # the SMS with its link
    assert f"{first.name}您好：" in shown  # the email's greeting
    # The links are the messages' own.
    assert foreign_words(re.sub(r"https?://\S+", "", shown), ALLOWED) == ([], [])

    # Bad input: an empty title and an SMS too long, each said beside its field; nothing is saved.
    bad = client.post(
        f"/bulletins/{bulletin.id}/draft",
        data={**DRAFT, "title": " ", "sms_text": "长" * 121, "action": "save"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="err-title">必填<' in html and 'id="err-sms_text">最多 120 个字<' in html
    assert "长" * 121 in html  # what was typed stays in the form
    platform.session.expire_all()
    assert bulletin.title == "临溪府2026年11月楼盘进度通报" and bulletin.sms_text != "长" * 121

    saved = client.post(f"/bulletins/{bulletin.id}/draft", data={**DRAFT, "action": "save"})
    assert saved.status_code == 302
    platform.session.expire_all()
    assert (bulletin.title, bulletin.body, bulletin.sms_text) == (
        DRAFT["title"],
        DRAFT["body"],
        DRAFT["sms_text"],
    )
    assert "草稿已保存" in text(client.get(f"/bulletins/{bulletin.id}"))

    # Submitting without the SMS text: refused beside the field, still a draft.
    missing = client.post(
        f"/bulletins/{bulletin.id}/draft", data={**DRAFT, "sms_text": "", "action": "submit"}
    )
    assert missing.status_code == 422
    assert 'id="err-sms_text">请填写短信内容<' in missing.get_data(as_text=True)
    platform.session.expire_all()
    assert bulletin.status == "drafting" and bulletin.sms_text == DRAFT["sms_text"]

    wordy = client.post(
        f"/bulletins/{bulletin.id}/draft", data={**DRAFT, "action": "submit", "draft_note": "说" * 2001}
    )
    assert wordy.status_code == 422
    assert 'id="err-draft_note">最多 2000 个字<' in wordy.get_data(as_text=True)

    submitted = client.post(
        f"/bulletins/{bulletin.id}/draft", data={**DRAFT, "action": "submit", "draft_note": "按模板起草"}
    )
    assert submitted.status_code == 302
    platform.session.expire_all()
    assert bulletin.status == "approving"
    after = text(client.get(f"/bulletins/{bulletin.id}"))
    assert "等待客服中心主管或部门经理审批" in after and "保存草稿" not in after


def test_a_coordinator_cannot_approve_and_a_send_back_needs_its_comment(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = estate(platform, "LXF", "临溪府", waiting=2, handed_over=0)
    bulletin = reported(platform, site)
    platform.tasks.complete(open_task(platform, bulletin, "draft").id, {}, actor(platform, "crc"))
    platform.session.commit()

    login(client, "crc")
    assert client.post(f"/bulletins/{bulletin.id}/approval", data={"decision": "approve"}).status_code == 403
    client.post("/logout")

    login(client, "crc_sup")
    page = text(client.get(f"/bulletins/{bulletin.id}"))
    assert "批准发送" in page and "退回修改" in page
    refused = client.post(f"/bulletins/{bulletin.id}/approval", data={"decision": "return"})
    assert refused.status_code == 422
    assert 'id="err-approve_comment">退回修改须写明意见<' in refused.get_data(as_text=True)
    platform.session.expire_all()
    assert bulletin.status == "approving"

    back = client.post(
        f"/bulletins/{bulletin.id}/approval", data={"decision": "return", "approve_comment": "请补充照片说明"}
    )
    assert back.status_code == 302
    platform.session.expire_all()
    assert (bulletin.status, bulletin.return_comment) == ("drafting", "请补充照片说明")
    client.post("/logout")

    login(client, "crc")
    draft = text(client.get(f"/bulletins/{bulletin.id}"))
    assert "退回修改： 请补充照片说明" in draft or "退回修改：请补充照片说明" in draft
    assert "提交审批" in draft


def test_the_delivery_is_counted_by_channel_and_the_failures_sent_again(  # type: ignore[no-untyped-def]
    client, platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=0)
    bulletin = reported(platform, site)
    platform.tasks.complete(open_task(platform, bulletin, "draft").id, {}, actor(platform, "crc"))
    platform.session.commit()
    login(client, "crc_sup")
    approved = client.post(f"/bulletins/{bulletin.id}/approval", data={"decision": "approve"})
    assert approved.status_code == 302
    platform.session.expire_all()
    assert bulletin.status == "sending"
    sending = client.get(f"/bulletins/{bulletin.id}")
    assert 'hx-trigger="every 2s"' in sending.get_data(as_text=True)
    assert "正在排入发送" in text(sending)

    Sender(session_factory, foundation).run_once()
    rows = list(
        platform.session.scalars(select(OutboxMessage).where(OutboxMessage.ref == f"bulletin:{bulletin.id}"))
    )
    rows[0].status, rows[0].attempts = "dead", 8
    rows[0].last_error = "INVALID_PHONE: 手机号格式错误"
    rows[1].status = "sent"
    platform.session.commit()

    panel = client.get(f"/bulletins/{bulletin.id}/delivery")
    assert panel.status_code == 200
    html = panel.get_data(as_text=True)
    assert "hx-trigger" not in html  # sent: it stops refreshing
    shown = text(panel)
    assert "收件业主 3 已排入发送 3 已查看 0" in shown
    assert "短信 3 1 1 1" in shown and "站内消息 3 3 0 0" in shown
    masked = rows[0].address[:3] + "****" + rows[0].address[-4:]
    assert masked in shown and rows[0].address not in html and "手机号格式错误" in shown
    client.post("/logout")

    login(client, "crc")
    again = client.post(f"/bulletins/{bulletin.id}/resend")
    assert again.status_code == 302
    platform.session.expire_all()
    assert (rows[0].status, rows[0].attempts) == ("pending", 0)
    assert "1 条失败消息将重新发送" in text(client.get(f"/bulletins/{bulletin.id}"))
    assert "此通报没有发送失败的消息" in text(
        client.post(f"/bulletins/{bulletin.id}/resend", follow_redirects=True)
    )
