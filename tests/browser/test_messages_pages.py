"""The bell, 我的消息 and the owner's 消息设置 in headless Chromium: an engineer's page is open when the
centre triages a complaint to engineering in another session — the bell's number changes without a reload;
the engineer opens the message and lands on the request. On a phone the owner reads 我的消息 on the portal
and chooses how replies reach them; turning every channel off is refused in Chinese. Screenshots under
test-output/screenshots/."""

from __future__ import annotations

from sqlalchemy import select

from crm.directory import actor_for
from crm.estate.models import Owner
from crm.platform import Platform
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_walkthrough import DESKTOP, PHONE, shot, sign_in
from tests.webapp.pages_support import TRIAGE

SERVED_SETTINGS = {"LINTEL_BELL_POLL_SECONDS": "1"}  # the bell asks every second: the test waits less
OWNER_PHONE = "13800000001"


def triaged_to_engineering(served, description: str) -> str:  # type: ignore[no-untyped-def]
    """A coordinator, in a session of their own, registers a complaint and triages it to engineering."""
    with served.session() as session:
        platform = Platform(session, served.foundation)
        crc = actor_for(platform.directory.user("crc"))
        complaint = platform.complaints.register(
            crc, channel="hotline", description=description, owner_phone=OWNER_PHONE, triage=TRIAGE
        )
        session.commit()
        return str(complaint.number)


def bell_number(page) -> int:  # type: ignore[no-untyped-def]
    count = page.locator("#bell .bell-count")
    return int(count.get_attribute("data-count")) if count.count() else 0


def test_the_bell_count_changes_when_a_task_lands(served, browser) -> None:  # type: ignore[no-untyped-def]
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "eng")
    page.goto(f"{base}/inbox")
    assert bell_number(page) == 0
    page.evaluate("window.stillThisPage = true")  # gone if the page were reloaded

    number = triaged_to_engineering(served, "主卧窗户密封条脱落，下雨渗水")
    page.wait_for_selector("#bell .bell-count[data-count='1']", timeout=10000)
    assert page.evaluate("window.stillThisPage") is True
    assert "1 条未读" in (page.locator("#bell").get_attribute("title") or "")
    shot(page, "bell")
    triaged_to_engineering(served, "客厅地砖空鼓")
    page.wait_for_selector("#bell .bell-count[data-count='2']", timeout=10000)
    assert page.evaluate("window.stillThisPage") is True

    page.click("#bell")
    page.wait_for_url(f"{base}/messages")
    assert "2 条未读" in page.locator("#unread-total").inner_text()
    assert page.locator("#message-list li.unread").count() == 2
    shot(page, "messages")
    page.locator(f"#message-list li:has-text('{number}') button.subject").click()
    page.wait_for_selector(f"h1:has-text('{number}'), .head:has-text('{number}')")
    assert bell_number(page) == 1
    page.goto(f"{base}/messages")
    assert page.locator("#message-list li.read").count() == 1

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(f"{base}/messages")
    assert bell_number(small) == 1
    shot(small, "messages-phone")
    phone.close()
    context.close()
    assert errors == []


def test_the_owner_reads_messages_and_chooses_channels_on_a_phone(served, browser) -> None:  # type: ignore[no-untyped-def]
    number = triaged_to_engineering(served, "阳台推拉门关不严")
    base = served.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/portal")
    page.fill("input[name=number]", number)
    page.fill("input[name=phone]", OWNER_PHONE)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/portal/{number}")
    unread = page.locator("#portal-messages .bell-count")
    assert unread.count() == 1 and int(unread.get_attribute("data-count") or 0) >= 1

    page.click("#portal-messages")
    page.wait_for_url(f"{base}/portal/messages")
    assert f"投诉已受理：{number}" in page.locator("#message-list").inner_text()
    shot(page, "portal-messages-phone")
    page.locator(f"#message-list li:has-text('{number}') button.subject").first.click()
    page.wait_for_url(f"{base}/portal/{number}")

    page.click("nav >> text=消息设置")
    page.wait_for_url(f"{base}/portal/settings")
    replied = page.locator("fieldset[data-kind='complaint.replied']")
    for box in ("sms", "email", "inapp"):
        replied.locator(f"input[value={box}]").set_checked(False)
    page.click("#notice-choices button[type=submit]")
    assert "这是服务通知，至少需要保留一种接收方式" in replied.inner_text()
    shot(page, "portal-settings-refused-phone")
    replied = page.locator("fieldset[data-kind='complaint.replied']")
    replied.locator("input[value=inapp]").set_checked(True)
    replied.locator("input[value=email]").set_checked(True)
    page.click("#notice-choices button[type=submit]")
    page.wait_for_selector(".flash.ok:has-text('已保存您的消息设置')")
    replied = page.locator("fieldset[data-kind='complaint.replied']")
    assert (
        replied.locator("input[value=email]").is_checked()
        and not replied.locator("input[value=sms]").is_checked()
    )
    assert "您设置的方式" in replied.inner_text()
    shot(page, "portal-settings-phone")
    context.close()
    assert errors == []


def test_a_coordinator_changes_an_owners_notice_choices_on_their_page(served, browser) -> None:  # type: ignore[no-untyped-def]
    with served.session() as session:
        owner_id = session.scalars(select(Owner.id).where(Owner.phone == OWNER_PHONE)).first()
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, "crc")
    page.goto(f"{base}/owners/{owner_id}")
    panel = page.locator("#notices")
    registered = panel.locator("fieldset[data-kind='complaint.registered']")
    assert "默认方式" in registered.inner_text()
    registered.locator("input[value=email]").set_checked(True)
    panel.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok:has-text('通知方式')")
    registered = page.locator("#notices fieldset[data-kind='complaint.registered']")
    assert "李娜（客服专员） 于" in registered.inner_text() and "按业主要求修改" in registered.inner_text()
    page.locator("#notices").screenshot(path=str(SCREENSHOTS / "owner-notices.png"))
    context.close()
