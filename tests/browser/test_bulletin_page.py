"""A progress notice in headless Chromium: the coordinator edits the SMS (its counter follows the typing),
saves and reads the preview of each channel, submits it; the supervisor approves it; the delivery panel
follows the sending by itself (htmx) until every owner is queued, with the failures listed. Screenshots
under test-output/screenshots/ (bulletin-*.png)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.sending import Sender
from crm.platform import Platform
from notifications.models import OutboxMessage
from tests.browser.test_walkthrough import DESKTOP, shot, sign_in, sign_out
from tests.bulletins.support import actor, estate, open_task, report

SMS = "【望江府】11月工程进度：1栋主体封顶（65%），2栋外立面施工（58%）。"


def reported_notice(served) -> int:  # type: ignore[no-untyped-def]
    with served.session() as session:
        platform = Platform(session, served.foundation)
        site = estate(platform, "WJF", "望江府", waiting=5, handed_over=1, buildings=2, phone_base=500)
        first = min(site.waiting.values(), key=lambda o: o.id)
        platform.notice_preferences.choose(first.id, "bulletin.progress", ["sms", "email", "inapp"], "crc")
        instance_id = platform.bulletins.start_progress(
            {"project_id": site.project.id}, actor(platform, "crc")
        )
        bulletin = bulletin_of(session, instance_id)
        assert bulletin is not None
        report(platform, bulletin, site.buildings[0], "主体封顶", 65)
        report(platform, bulletin, site.buildings[1], "外立面施工", 58)
        platform.tasks.complete(
            open_task(platform, bulletin, "submit_progress").id, {}, actor(platform, "eng")
        )
        session.commit()
        return bulletin.id


def test_a_notice_drafted_previewed_approved_and_followed_to_delivery(served, browser) -> None:  # type: ignore[no-untyped-def]
    base = served.url
    bulletin_id = reported_notice(served)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, "crc")
    page.goto(f"{base}/bulletins/{bulletin_id}")
    assert "将发送给 5 位业主" in page.inner_text("#reach")
    page.fill("#sms_text", "")
    page.type("#sms_text", SMS)
    assert page.inner_text("#sms-count") == str(len(SMS))
    page.click("button[value=save]")
    page.wait_for_selector(".flash:has-text('草稿已保存')")
    sms = page.inner_text("[data-channel=sms] pre")
    assert sms.startswith(SMS) and f"/portal/bulletins/{bulletin_id}" in sms
    assert "您好：" in page.inner_text("[data-channel=email] pre")
    shot(page, "bulletin-draft")
    page.fill("#draft_note", "已按工程部填报起草")
    page.click("button[value=submit]")
    page.wait_for_selector(".flash:has-text('已提交审批')")
    sign_out(page)

    sign_in(page, base, "crc_sup")
    page.goto(f"{base}/bulletins/{bulletin_id}")
    page.wait_for_selector("#approval")
    shot(page, "bulletin-approval")
    page.click("#approval button[value=approve]")
    page.wait_for_selector(".flash:has-text('已批准')")
    assert "正在排入发送" in page.inner_text("#delivery")

    # The workers queue it meanwhile (here: the sender the worker runs); one SMS is refused by the gateway.
    Sender(sessionmaker(served.engine, expire_on_commit=False), served.foundation).run_once()
    with served.session() as session:
        first = session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.channel == "sms").order_by(OutboxMessage.id)
        ).first()
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first)
            .values(status="dead", attempts=1, last_error="短信平台拒绝（INVALID_PHONE）：手机号格式错误")
        )
        session.commit()
    page.wait_for_selector("#delivery [data-count=queued]:has-text('5')", timeout=15000)  # by itself
    page.reload()  # the panel may have stopped refreshing (sent) before the refusal came
    page.wait_for_selector("#delivery-failures")
    text = page.inner_text("#delivery")
    assert "手机号格式错误" in text and "重新发送失败消息" in text
    shot(page, "bulletin-delivery")
    assert errors == []
    context.close()
