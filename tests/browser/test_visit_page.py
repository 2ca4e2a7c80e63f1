"""A visitor records a return visit on a phone, in headless Chromium: the owner's number behind 拨打 (the
view logged), the script and history beside the questionnaire; the first call is not answered and the
questionnaire folds away; Monday at 15:00 the call is back as 第 2 次回访 and the owner answers, a 2 on the
quality of the home opening a complaint. Screenshots under test-output/screenshots/."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect
from sqlalchemy import select

from crm.models import Complaint
from crm.platform import Platform
from crm.visits.models import Visit
from engine.timers import TimerJob
from lintel.clock import SHANGHAI
from tests.browser.test_walkthrough import shot, sign_in
from tests.visits.support import campaign, visit

PHONE = {"width": 390, "height": 844}


def test_a_visitor_records_a_visit_on_a_phone(served, browser) -> None:  # type: ignore[no-untyped-def]
    with served.session() as session:
        platform = Platform(session, served.foundation)
        made = visit(platform, campaign(platform))
        visit_id = made.id
        session.commit()
    base = served.url
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, "crc")

    page.goto(f"{base}/visits")
    expect(page.locator("table.visits")).to_contain_text("张伟")
    page.click("table.visits a:has-text('去回访')")
    page.wait_for_url(f"{base}/visits/{visit_id}")
    expect(page.locator(".visit-owner")).to_contain_text("138****0001")
    expect(page.locator("h2:has-text('话术') + p")).to_contain_text("回访专员")
    page.click(".visit-owner button:has-text('拨打')")
    expect(page.locator("a.call")).to_have_attribute("href", "tel:13800000001")
    shot(page, "visit-phone-start")

    # Nobody answers: the questionnaire folds away, and the visit waits for Monday afternoon.
    page.click(".outcomes label:has-text('无人接听')")
    expect(page.locator(".questionnaire")).to_be_hidden()
    page.fill("#visit_note", "响铃无人接")
    page.click("button.save")
    expect(page.locator(".flash")).to_contain_text("已保存第 1 次回访：无人接听")
    expect(page.locator(".visit-owner")).to_contain_text("2026-11-23 15:00")

    clock = served.foundation.clock
    clock.set(datetime(2026, 11, 23, 15, 0, 1, tzinfo=SHANGHAI))
    TimerJob(served.session, lambda session: Platform(session, served.foundation).runtime).run_due(
        clock.now()
    )

    sign_in(page, base, "crc")  # a new working day, a new sign-in
    page.goto(f"{base}/visits/{visit_id}")
    expect(page.locator(".visit-owner")).to_contain_text("第 2 次回访")
    page.click(".outcomes label:has-text('已接通并完成问卷')")
    page.click("button.save")  # nothing filled in yet: each question says so
    expect(page.locator(".flash")).to_contain_text("请修改标出的内容后再保存")
    expect(page.locator("#field-q_quality .field-error")).to_be_visible()
    for question, score in (("q_handover", 4), ("q_quality", 2), ("q_rectification", 3), ("q_property", 4)):
        page.click(f"#field-{question} .rating label:has-text('{score}')")
    page.click("#field-overall label:has-text('一般')")
    page.click("#field-nps .rating label >> text='7'")
    page.fill("#q-comment", "外墙渗水，希望尽快处理")
    shot(page, "visit-phone-questionnaire")
    page.click("button.save")
    expect(page.locator(".flash")).to_contain_text("已生成投诉")
    shot(page, "visit-phone-answered")
    page.goto(f"{base}/visits?visitor=all&status=answered")
    expect(page.locator("table.visits")).to_contain_text("张伟")
    shot(page, "visits-phone-list")
    context.close()

    desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(desk, base, "crc_sup")
    desk.goto(f"{base}/visits/{visit_id}")
    expect(desk.locator("#history")).to_contain_text("未结请求")
    shot(desk, "visit-desktop-answered")
    desk.close()

    with served.session() as session:
        done = session.get(Visit, visit_id)
        assert done is not None and (done.status, done.attempts, done.lowest_score) == ("answered", 2, 2)
        complaint = session.scalars(select(Complaint).where(Complaint.visit_id == visit_id)).one()
        assert done.complaint_id == complaint.id and "外墙渗水" in complaint.description
