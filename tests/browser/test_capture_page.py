"""The open day on a tablet, in headless Chromium: an inspector walks 江南府 1栋 1201 with its owner and
captures five defects — rooms, catalogue items, a photo from the camera, the spot on the floor plan — one of
them while the tablet has no connection, which waits on the device (待上传 1 条) and is sent when the
connection comes back; each defect is recorded once. Offline, the page itself still opens. The owner
signs the list on the screen, and the printed list carries its QR code. Screenshots under
test-output/screenshots/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from crm.directory import actor_for
from crm.estate.models import Building, Layout, Project, Unit
from crm.handover.inspections import Inspections
from crm.handover.models import Defect, UnitWalk
from crm.models import Attachment
from crm.platform import Platform
from tests.browser.test_walkthrough import png, shot, sign_in

TABLET = {"width": 1024, "height": 768}
TABLET_PORTRAIT = {"width": 800, "height": 1280}


def seed(served) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """An open day of 江南府 (buildings 1栋 and 2栋) today, inspector 赵工; 1201's layout with its rooms."""
    with served.session() as session:
        platform = Platform(session, served.foundation)
        project = session.scalars(select(Project).where(Project.code == "JNF")).one()
        ids = {
            b.name: b.id for b in session.scalars(select(Building).where(Building.project_id == project.id))
        }
        inspection = Inspections(session, platform.clock).save(
            actor_for(platform.directory.user("crc")),
            {
                "project_id": project.id,
                "kind": "open_day",
                "title": "江南府一期业主开放日",
                "starts_on": "2026-11-20",
                "ends_on": "2026-11-21",
                "building_ids": [ids["1栋"], ids["2栋"]],
                "inspectors": ["eng"],
            },
        )
        unit = session.scalars(
            select(Unit).where(Unit.building_id == ids["1栋"], Unit.number == "1201")
        ).one()
        session.commit()
        return inspection.id, unit.id


def give_floor_plan(page, base: str, project_id: int, plan: Path) -> None:  # type: ignore[no-untyped-def]
    """The centre enters the layout with its rooms and floor plan on the records pages."""
    page.goto(f"{base}/records/projects/{project_id}/layouts/new")
    page.fill("#name", "A1")
    page.fill("#rooms", "客厅、主卧、次卧、厨房、卫生间")
    page.set_input_files("#floor_plan", str(plan))
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/records/projects/{project_id}*")


def record(
    page,
    room: str,
    category: str,
    part: str,
    item: str,
    *,
    photo: Path | None = None,  # type: ignore[no-untyped-def]
    spot: tuple[float, float] | None = None,
    note: str = "",
) -> None:
    page.click(f"#rooms button:text-is('{room}')")
    page.click(f"#categories button:text-is('{category}')")
    page.click(f"#parts button:text-is('{part}')")
    page.click(f"#items button:text-is('{item}')")
    if note:
        page.fill("#description", note)
    if photo is not None:
        page.set_input_files("#photos", str(photo))
        page.wait_for_selector("#photo-previews img")
    if spot is not None:
        plan = page.locator("#plan-img")
        plan.scroll_into_view_if_needed()
        box = plan.bounding_box()
        plan.click(position={"x": box["width"] * spot[0], "y": box["height"] * spot[1]})
        page.wait_for_selector("#plan-spot:not([hidden])")
    before = page.locator("#recorded li").count()
    page.click("#save-defect")
    expect(page.locator("#recorded li")).to_have_count(before + 1)


def test_an_inspector_captures_five_defects_on_a_tablet_one_of_them_offline(
    served, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    session_id, unit_id = seed(served)
    base = served.url
    with served.session() as session:
        project_id = session.scalars(select(Project.id).where(Project.code == "JNF")).one()
    centre = browser.new_page(viewport=TABLET)  # type: ignore[attr-defined]
    sign_in(centre, base, "crc")
    give_floor_plan(centre, base, project_id, png(tmp_path / "a1.png"))
    centre.close()
    with served.session() as session:
        layout = session.scalars(
            select(Layout).where(Layout.project_id == project_id, Layout.name == "A1")
        ).one()
        session.get(Unit, unit_id).layout_id = layout.id
        session.commit()

    context = browser.new_context(viewport=TABLET, has_touch=True)  # type: ignore[attr-defined]
    page = context.new_page()
    sign_in(page, base, "eng")
    page.goto(f"{base}/capture/{session_id}")
    page.click("#units button:text-is('1201')")
    assert "张伟" in page.inner_text("#owners")
    shot(page, "capture-start-walk")
    page.click("#start-walk")
    page.wait_for_selector("#step-record:not([hidden])")
    assert "主卧" in page.inner_text("#rooms") and page.locator("#plan-img").is_visible()
    photo = png(tmp_path / "wall.png")

    record(page, "主卧", "土建", "墙面", "空鼓", photo=photo, spot=(0.3, 0.4), note="靠窗一侧")
    record(page, "卫生间", "给排水", "地漏", "排水不畅", spot=(0.8, 0.7))
    record(page, "客厅", "门窗", "外窗", "玻璃划伤、破损")
    expect(page.locator("#queue")).to_have_attribute("data-pending", "0")
    shot(page, "capture-three-sent")

    context.set_offline(True)
    expect(page.locator("#net")).to_contain_text("离线")
    record(page, "厨房", "电气", "插座", "不通电", photo=photo)
    expect(page.locator("#queue")).to_have_attribute("data-pending", "1")
    assert "待上传 1 条" in page.inner_text("#queue")
    assert page.locator("#recorded li.state-queued").count() == 1
    shot(page, "capture-offline-queued")
    with served.session() as session:
        assert session.scalar(select(func.count()).select_from(Defect)) == 3  # the fourth is on the tablet

    # Offline, the page opens again from the service worker's cache, with the defect still waiting.
    page.reload()
    page.wait_for_selector("#step-record:not([hidden])")
    assert "待上传 1 条" in page.inner_text("#queue")

    context.set_offline(False)
    expect(page.locator("#queue")).to_have_attribute("data-pending", "0", timeout=70_000)
    record(page, "次卧", "装饰装修", "木地板", "起拱、异响", spot=(0.2, 0.2))
    expect(page.locator("#queue")).to_have_attribute("data-pending", "0")
    assert page.locator("#recorded li.state-sent").count() == 5
    shot(page, "capture-five-sent")

    with served.session() as session:
        defects = session.scalars(select(Defect).where(Defect.unit_id == unit_id).order_by(Defect.id)).all()
        assert len(defects) == 5 and len({d.client_id for d in defects}) == 5
        assert [d.item for d in defects] == ["空鼓", "排水不畅", "玻璃划伤、破损", "不通电", "起拱、异响"]
        assert all(d.number and d.number.startswith("ZG-") for d in defects)
        assert len({d.walk_id for d in defects}) == 1 and defects[0].source == "open_day"
        assert (defects[0].room, defects[0].description) == ("主卧", "靠窗一侧")
        assert 0.2 < defects[0].spot_x < 0.4 and 0.3 < defects[0].spot_y < 0.5
        photos = dict(
            session.execute(
                select(Attachment.instance_id, func.count())
                .where(Attachment.field == "photos")
                .group_by(Attachment.instance_id)
            ).all()
        )
        assert photos == {defects[0].instance_id: 1, defects[3].instance_id: 1}
        walk_id = defects[0].walk_id

    # The owner signs the list on the tablet; the printed list has the QR code to the portal.
    page.click("#finish-walk")
    page.wait_for_url(f"{base}/inspections/walks/{walk_id}/sign")
    assert page.locator("table.defect-list tbody tr").count() == 5
    page.locator("#signature-pad").scroll_into_view_if_needed()
    pad = page.locator("#signature-pad").bounding_box()
    page.mouse.move(pad["x"] + 40, pad["y"] + pad["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 40 + step * 30, pad["y"] + pad["height"] / 2 + (15 if step % 2 else -15))
    page.mouse.up()
    shot(page, "capture-owner-signs")
    page.click("form[data-signature-form] button[type=submit]")
    page.wait_for_url(f"{base}/inspections/walks/{walk_id}")
    assert page.locator("figure.qr svg").count() == 1
    assert f"/portal/units/{unit_id}/defects" in page.inner_text("figure.qr")
    assert page.locator("img.signature").count() == 1
    shot(page, "capture-printed-list")
    with served.session() as session:
        walk = session.get(UnitWalk, walk_id)
        assert walk.signed_by == "张伟" and walk.signature
    page.goto(f"{base}/inspections/{session_id}")
    assert "1栋 1201" in page.inner_text("#units") and "已签字" in page.inner_text("#units")
    assert page.locator("#defects tbody tr").count() == 5
    shot(page, "inspection-session")
    context.close()


def test_the_capture_page_fits_a_tablet_held_upright(served, browser) -> None:  # type: ignore[no-untyped-def]
    session_id, _unit_id = seed(served)
    page = browser.new_page(viewport=TABLET_PORTRAIT)  # type: ignore[attr-defined]
    sign_in(page, served.url, "crc")
    page.goto(f"{served.url}/capture/{session_id}")
    page.fill("#unit-search", "080")
    assert page.locator("#units button").count() == 4  # 0801, 0802 of 1栋 and 2栋
    page.click("#units button:text-is('2栋 0802')")
    shot(page, "capture-portrait-walk")
    page.fill("#companion", "陈静的女儿")
    page.click("#owners button[aria-pressed=true]")  # not the owner: her daughter came
    page.click("#start-walk")
    page.wait_for_selector("#step-record:not([hidden])")
    assert "陈静的女儿" in page.inner_text("#record-companion")
    assert "此户型没有户型图" in page.inner_text("#plan-none")
    assert not page.locator("#plan").is_visible() and not page.locator("#clear-spot").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET_PORTRAIT["width"]
    shot(page, "capture-portrait")
    page.close()
