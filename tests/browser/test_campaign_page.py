"""A return-visit campaign in headless Chromium: the supervisor fills in the new campaign's form, the audience
preview follows the choice of project and handover dates by itself (htmx), saves the draft, launches it; the
progress panel follows the launcher by itself until every visit is started; the visits are listed. The
coordinator on a phone reads the campaign. Screenshots under test-output/screenshots/ (campaign-*.png)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import sessionmaker

from crm.platform import Platform
from crm.visits.launch import Launcher
from tests.browser.test_walkthrough import DESKTOP, PHONE, shot, sign_in, sign_out
from tests.visits.campaign_support import site


def sold(served) -> None:  # type: ignore[no-untyped-def]
    with served.session() as session:
        platform = Platform(session, served.foundation)
        plan = [("handed_over", date(2024, 3, 1), date(2026, 5, 10))] * 12
        plan += [("handed_over", date(2024, 3, 1), date(2025, 5, 10))] * 3
        plan += [("signed", date(2025, 6, 1), None)] * 2
        site(platform, "HPY", plan=plan, buildings=2, phone_base=700)
        session.commit()


def test_a_campaign_created_previewed_launched_and_followed(served, browser) -> None:  # type: ignore[no-untyped-def]
    base = served.url
    sold(served)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, "crc_sup")
    page.click("nav summary:has-text('通报与回访')")
    page.click("nav a:text-is('客户回访')")
    page.click("text=新建回访活动")
    page.fill("#name", "湖畔苑交付回访")
    page.select_option("#kind", "thematic")
    page.check("input[name=visitors][value=crc]")
    page.check("input[name=visitors][value=crc_sup]")
    page.fill("#script", "您好，这里是湖畔苑客户关系中心，想了解您入住后的感受。")
    page.check("label:has-text('HPY花园') input[name=project_ids]")
    page.wait_for_selector("#preview [data-count=audience]:has-text('17')")
    page.wait_for_selector("#buildings label:has-text('2栋')")  # the project's buildings came by themselves
    page.fill("#handed_over_from", "2026-01-01")
    page.wait_for_selector("#preview [data-count=audience]:has-text('12')")
    assert "137****0700" in page.inner_text("#preview-sample")
    shot(page, "campaign-new")
    page.click("#save")
    page.wait_for_selector(".flash:has-text('已保存回访活动草稿')")
    assert "草稿" in page.inner_text("#progress")
    page.click("#launch")
    page.wait_for_selector(".flash:has-text('已发起')")
    assert "已发起 0 / 12" in page.inner_text("#progress")
    shot(page, "campaign-launching")

    # A worker starts the visits meanwhile, a few at a time; the panel follows by itself.
    Launcher(
        sessionmaker(served.engine, expire_on_commit=False),
        lambda session: Platform(session, served.foundation).runtime,
        served.foundation.clock,
        chunk=5,
    ).run_once()
    page.wait_for_selector("#progress [data-status=running]", timeout=15000)
    assert page.inner_text("#progress [data-count=started]") == "12"
    page.reload()
    rows = page.locator("#visit-list tbody tr")
    assert rows.count() == 12
    assert "待回访" in page.inner_text("#visit-list")
    shot(page, "campaign-running")
    sign_out(page)

    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(phone, base, "crc")
    phone.goto(f"{base}/campaigns")
    phone.click("text=湖畔苑交付回访")
    phone.select_option("#visitor", "crc")
    phone.click("#visits button[type=submit]")
    assert "共 6 条" in phone.inner_text("#visits")
    shot(phone, "campaign-phone")
    assert errors == []
    context.close()
