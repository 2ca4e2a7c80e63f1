"""A caller not on file, in headless Chromium: the coordinator searches as they hear the caller, finds
nobody, records the caller as a new owner of the unit they name (first with a phone that is not one,
refused beside the field), registers the complaint, and finds the new owner on the owners page by the
last digits of their phone — the full number shown only on request. Screenshots under
test-output/screenshots/."""

from __future__ import annotations

from tests.browser.test_walkthrough import DESKTOP, shot, sign_in


def test_a_caller_not_on_file_is_registered_as_an_owner_and_found_again(served, browser) -> None:  # type: ignore[no-untyped-def]
    base = served.url
    page = browser.new_page(viewport=DESKTOP)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "crc")
    page.click("nav >> text=登记投诉")
    page.fill("#q", "赵敏")
    page.wait_for_selector("#owner-results >> text=没有找到“赵敏”对应的业主或来电人")
    page.click("summary:has-text('找不到来电人？当场建档')")
    page.check("input[name=owner][value=new_owner]")
    page.fill("#person_name", "赵敏")
    page.fill("#person_phone", "139-0000")
    page.fill("#person_unit", "3-1502")
    page.wait_for_selector("#unit-results >> text=江南府 3栋 1502")
    page.select_option("#category", "quality")
    page.fill("#description", "阳台推拉门关不严，雨天进水")
    shot(page, "register-unknown-caller")
    page.click("form button[type=submit]:has-text('登记'):not([name=triage])")
    page.wait_for_selector("#err-person_phone")
    assert "请填写有效的手机号或带区号的固定电话" in page.inner_text("#err-person_phone")
    assert page.input_value("#person_name") == "赵敏"  # what was typed is kept
    shot(page, "register-unknown-caller-error")
    page.fill("#person_phone", "139 0000 1111")
    page.click("form button[type=submit]:has-text('登记'):not([name=triage])")
    page.wait_for_selector(".flash >> text=已登记投诉")
    header = page.inner_text("main")
    assert "赵敏" in header and "139****1111" in header and "13900001111" not in header
    shot(page, "register-unknown-caller-registered")

    page.click("nav summary:has-text('业主与档案')")
    page.click("nav a:text-is('业主查询')")
    page.fill("#q", "1111")
    page.press("#q", "Enter")
    row = page.locator("table.owners tbody tr", has_text="赵敏")
    assert "139****1111" in row.inner_text() and "江南府 3栋 1502" in row.inner_text()
    assert "1" in row.locator("td").nth(4).inner_text()  # the complaint just registered
    row.locator("button:has-text('显示完整号码')").click()
    page.wait_for_selector("table.owners .revealed")
    assert row.locator(".revealed").inner_text() == "13900001111"
    shot(page, "owners-search")
    assert errors == []
