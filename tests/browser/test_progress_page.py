"""工程进度填报 on a phone in headless Chromium: an engineer reports two buildings of this month's progress
notice, each with a site photo, submits, and lands on the notice's page with the figures and thumbnails.
Screenshots under test-output/screenshots/."""

from __future__ import annotations

from pathlib import Path

from crm.bulletins.bulletins import bulletin_of
from crm.directory import actor_for
from crm.platform import Platform
from tests.browser.test_walkthrough import PHONE, png, shot, sign_in
from tests.bulletins.support import estate


def seed(served) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    """临溪府 with two buildings, its progress notice for the month waiting for engineering."""
    with served.session() as session:
        platform = Platform(session, served.foundation)
        site = estate(platform, "LXF", "临溪府", buildings=2, phone_base=500)
        crc = actor_for(platform.directory.user("crc"))
        bulletin = bulletin_of(
            session, platform.bulletins.start_progress({"project_id": site.project.id}, crc)
        )
        assert bulletin is not None
        session.commit()
        return bulletin.id, [b.id for b in site.buildings]


def test_an_engineer_reports_two_buildings_with_photos_on_a_phone(served, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bulletin_id, (first, second) = seed(served)
    photo = png(tmp_path / "现场.png")
    base = served.url
    page = browser.new_page(viewport=PHONE, has_touch=True, is_mobile=True)  # type: ignore[attr-defined]
    sign_in(page, base, "eng")
    page.goto(f"{base}/bulletins/{bulletin_id}")
    page.click(f'#progress a[href="/bulletins/{bulletin_id}/progress"]')
    page.wait_for_url(f"{base}/bulletins/{bulletin_id}/progress")
    assert "填报期限" in page.inner_text(".progress-summary")
    assert page.locator(f"#photos-{first}").get_attribute("capture") == "environment"
    shot(page, "progress-01-phone-empty")

    for building, milestone, percent, note in (
        (first, "主体封顶", "65", "18层结构封顶，外架拆除中"),
        (second, "砌体工程", "40", ""),
    ):
        card = page.locator(f"#building-{building}")
        card.locator("select[name=milestone]").select_option(milestone)
        card.locator("input[name=percent]").fill(percent)
        card.locator("textarea[name=note]").fill(note)
        card.locator("input[type=file]").set_input_files(str(photo))
        assert card.locator(".chosen").inner_text() == "已选择 1 张照片，保存时一并上传"
        card.locator("button[type=submit]").last.click()
        page.wait_for_load_state()
        assert "的进度和 1 张照片" in page.inner_text(".flash.ok")
        assert page.locator(f"#building-{building} .progress-photos img").count() == 1

    # The slider follows what was typed.
    assert page.locator(f"#building-{first} input[type=range]").input_value() == "65"
    shot(page, "progress-02-phone-reported")

    page.fill("#progress-note", "2栋砌体进度受雨天影响")
    page.click("#submit button[type=submit]")
    page.wait_for_url(f"{base}/bulletins/{bulletin_id}")
    assert "已提交本月工程进度" in page.inner_text(".flash.ok")
    progress = page.inner_text("#progress")
    assert "主体封顶" in progress and "65%" in progress and "砌体工程" in progress
    assert page.locator("#progress .photos img").count() == 2
    assert page.locator("#progress img").first.evaluate("img => img.naturalWidth") > 0
    shot(page, "progress-03-phone-notice")
    page.close()
