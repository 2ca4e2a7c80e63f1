"""Handover on a tablet in headless Chromium: a coordinator opens the building board, then the unit's
handover, enters the meter readings, keys and documents, ticks the open defect the owner accepts, has the
owner sign with a finger on the screen and records the handover.
Screenshots under test-output/screenshots/."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from crm.directory import actor_for
from crm.platform import Platform
from lintel.clock import SHANGHAI
from tests.browser.test_walkthrough import DESKTOP, PHONE, shot, sign_in

TABLET = {"width": 820, "height": 1180}


def seed(served) -> tuple[int, int, str, str, int]:  # type: ignore[no-untyped-def]
    """张伟's unit sold, one open defect in it, its handover booked into tomorrow's slot."""
    with served.session() as session:
        platform = Platform(session, served.foundation)
        crc = actor_for(platform.directory.user("crc"))
        eng = actor_for(platform.directory.user("eng"))
        owner = platform.records.find_owner(id_number=None, phone="13800000001", name="张伟")
        assert owner is not None
        unit = owner.units[0]
        platform.records.record_contract(None, unit=unit, number="JNF-HT-H1", signed_on=date(2024, 5, 1))
        found, _new = platform.defects.register(
            eng,
            {
                "unit_id": unit.id,
                "source": "open_day",
                "category": "土建",
                "part": "墙面",
                "item": "空鼓",
                "severity": "normal",
                "room": "客厅",
            },
        )
        handover = platform.handovers.start(unit, crc)
        day = (platform.clock.now() + timedelta(days=1)).astimezone(SHANGHAI).date().isoformat()
        slot = platform.handover_slots.create(unit.building.project, day, "09:00", "11:00", 6)
        platform.handover_slots.book(handover, slot.id, crc, "crc")
        session.commit()
        assert found.number is not None and handover.instance_id is not None
        number = platform.requests.get(handover.instance_id).number
        return unit.building_id, handover.id, found.number, number, unit.id


def test_a_coordinator_records_a_handover_signed_on_the_tablet(served, browser) -> None:  # type: ignore[no-untyped-def]
    building_id, handover_id, number, request_number, unit_id = seed(served)
    base = served.url
    desk = browser.new_page(viewport=DESKTOP)  # type: ignore[attr-defined]
    sign_in(desk, base, "crc")
    desk.goto(f"{base}/handover/buildings/{building_id}")
    assert desk.locator("a.unit-cell.readiness-open").count() == 1
    shot(desk, "handover-board-desktop")
    desk.close()

    page = browser.new_page(viewport=TABLET, has_touch=True)  # type: ignore[attr-defined]
    sign_in(page, base, "crc")
    page.goto(f"{base}/handover/handovers/{handover_id}")
    page.fill("#water", "12.5")
    page.fill("#electricity", "301")
    page.fill("#keys", "3")
    page.click("button:has-text('确认交付')")  # unsigned: refused with the reason, nothing recorded
    expect(page.locator("text=请业主在签字框内签字")).to_have_count(1)
    page.fill("#water", "12.5")
    page.fill("#electricity", "301")
    page.fill("#keys", "3")
    page.check(f"input[name=agreed_open_defects][value='{number}']")
    page.fill("#agreement_note", "业主同意先行收房，客厅空鼓7日内整改")
    page.locator("#signature-pad").scroll_into_view_if_needed()
    pad = page.locator("#signature-pad").bounding_box()
    assert pad is not None
    page.mouse.move(pad["x"] + 40, pad["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 40 + step * 25, pad["y"] + 120 - (step % 3) * 30)
    page.mouse.up()
    assert page.input_value("#signature").startswith("data:image/png;base64,")
    shot(page, "handover-signing-tablet")
    page.click("button:has-text('确认交付')")
    page.wait_for_selector("text=合同交付日期已记录")
    assert page.locator("text=业主同意带缺陷交付").count() == 1
    assert page.locator(f"text={number}").count() >= 1
    shot(page, "handover-done-tablet")
    page.close()

    phone = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    sign_in(phone, base, "crc")
    phone.goto(f"{base}/handover/buildings/{building_id}")
    assert phone.locator("a.unit-cell.readiness-handed_over").count() == 1
    shot(phone, "handover-board-phone")
    phone.close()

    owner = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    owner.goto(f"{base}/portal")
    owner.fill("#number", request_number)
    owner.fill("#phone", "13800000001")
    owner.click("form button[type=submit]")
    owner.wait_for_url(f"{base}/portal/{request_number}")
    owner.goto(f"{base}/portal/units/{unit_id}/handover")
    expect(owner.locator("text=欢迎入住")).to_have_count(1)
    shot(owner, "handover-portal-phone")
    owner.close()
