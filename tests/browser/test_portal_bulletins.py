"""The owner's notices on a phone (390×844) in headless Chromium: the owner opens the link of their SMS,
gives their phone, reads the month's progress of their building with its bar and site photos, finds the
design change in 楼盘通报 and acknowledges it (我已知悉). Screenshots under test-output/screenshots/."""

from __future__ import annotations

import io
from pathlib import Path

from crm.attachments import Attachments
from crm.bulletins.portal import photo_field
from crm.handover.demo_photos import before
from crm.platform import Platform
from tests.browser.test_walkthrough import DESKTOP, PHONE, shot, sign_in
from tests.bulletins.support import estate
from tests.webapp.bulletin_owners_support import design_change, progress_notice, sending_done


def notices(served) -> tuple[int, int, str, list[str]]:  # type: ignore[no-untyped-def]
    """A project with buyers, its month's progress notice with two site photos of 1栋, and a design change
    to unit 0101, both approved; the progress notice's id, the change's, its owner's phone and the photos'
    tokens."""
    folder = Path(str(served.engine.url.database)).parent  # the app's instance folder holds its database
    with served.session() as session:
        platform = Platform(session, served.foundation)
        site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=1, buildings=2, phone_base=500)
        progress = progress_notice(platform, site)
        store = Attachments(session, platform.clock, folder / "uploads", 1 << 20)
        assert progress.instance_id is not None
        tokens = [
            store.store(
                progress.instance_id,
                "eng",
                f"1栋现场{seed}.png",
                io.BytesIO(before(seed)),
                field=photo_field(site.buildings[0].id),
            ).token
            for seed in (3, 8)
        ]
        change = design_change(platform, site, unit_ids=[site.units["0101"].id])
        session.commit()
        return progress.id, change.id, site.waiting["0101"].phone, tokens


def test_an_owner_reads_the_progress_with_photos_and_acknowledges_a_design_change_on_a_phone(
    served, browser
) -> None:  # type: ignore[no-untyped-def]
    progress_id, change_id, phone, tokens = notices(served)
    base = served.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The SMS's link: the portal asks for the owner's phone first.
    page.goto(f"{base}/portal/bulletins/{progress_id}")
    assert "请输入购房时登记的业主手机号" in page.inner_text("main")
    shot(page, "portal-bulletin-phone")
    page.fill("#phone", phone)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/portal/bulletins/{progress_id}")

    main = page.inner_text("main")
    assert "临溪府2026年11月楼盘进度通报" in main and "整体完成 65%" in main
    assert page.locator("progress").first.get_attribute("value") == "65"
    photos = page.locator(".card.building .photos img")
    assert photos.count() == 2
    for i in range(2):
        assert photos.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
        assert tokens[i] in (photos.nth(i).get_attribute("src") or "")
    shot(page, "portal-bulletin-progress")

    page.click("#portal-bulletins")
    page.wait_for_url(f"{base}/portal/bulletins")
    listed = page.locator("#notices li")
    assert listed.count() == 2
    assert "待您确认" in listed.first.inner_text()  # the design change, newest first
    shot(page, "portal-bulletins")

    listed.first.locator("a").click()
    page.wait_for_url(f"{base}/portal/bulletins/{change_id}")
    assert "经规划部门批准" in page.inner_text("main")
    page.click("text=我已知悉")
    page.wait_for_selector(".flash.ok, .flash.success, .flash")
    main = page.inner_text("main")
    assert "已确认知悉，谢谢您" in main and "您已于 2026-11-20 10:00 确认知悉" in main
    assert page.locator("text=我已知悉").count() == 0
    shot(page, "portal-bulletin-acknowledged")

    # Nothing on these pages is wider than the phone.
    for path in (f"/portal/bulletins/{progress_id}", "/portal/bulletins", f"/portal/bulletins/{change_id}"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
    assert errors == []


def test_the_centre_starts_a_design_change_seeing_whom_it_reaches_and_follows_its_acknowledgements(
    served, browser
) -> None:  # type: ignore[no-untyped-def]
    with served.session() as session:
        platform = Platform(session, served.foundation)
        site = estate(platform, "HPY", "湖畔苑", waiting=4, handed_over=1, buildings=2, phone_base=600)
        sent = design_change(
            platform, site, building_ids=[site.buildings[0].id], title="湖畔苑1栋立面材质变更通报"
        )
        sending_done(platform, sent)
        session.commit()
        project_id, sent_id = site.project.id, sent.id
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "crc")
    page.goto(f"{base}/bulletins")
    page.click("text=发起设计变更通报")
    page.wait_for_url(f"{base}/bulletins/design-changes/new")
    page.select_option("#project_id", str(project_id))
    page.wait_for_selector("input[name=building_ids]")  # the project's buildings, swapped in by htmx
    assert page.inner_text("#reach").find("将通知 0 位业主") >= 0
    page.locator("label:has-text('1栋') input").check()
    page.wait_for_selector("#reach-count[data-count='5']")
    page.fill("#unit_text", "1栋0101 9栋0909")
    page.wait_for_selector("#reach .field-error:has-text('9栋0909')")
    page.fill("#title", "湖畔苑1栋北侧景观设计变更通报")
    shot(page, "design-change-new")
    page.click("#design-change .form-actions button")
    page.wait_for_selector("#err-unit_text")
    assert "这个项目没有这些房号：9栋0909" in page.inner_text("#err-unit_text")
    page.fill("#unit_text", "")
    page.click("#design-change .form-actions button")
    page.wait_for_url(f"{base}/bulletins/*")
    assert "已发起设计变更通报" in page.inner_text("main")

    page.goto(f"{base}/bulletins/{sent_id}")
    assert "已确认知悉 0 / 5 位业主" in page.inner_text("#acks")
    assert page.locator("#not-acknowledged tbody tr").count() == 5
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#acks button:has-text('再次提醒')")
    page.wait_for_selector(".flash:has-text('已再次提醒 5 位尚未确认的业主')")
    shot(page, "design-change-acks")
    context.close()
    assert errors == []
