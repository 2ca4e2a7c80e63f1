"""流程热力图 in headless Chromium: a manager opens the complaint process's heatmap, sees on each step of the
diagram how many requests wait there and the share overdue, colours the steps by time instead, and follows a
count to the list of what waits there. Screenshots under test-output/screenshots/."""

from __future__ import annotations

from datetime import datetime

from crm.platform import Platform
from lintel.clock import SHANGHAI
from tests.browser.test_walkthrough import DESKTOP, shot, sign_in
from tests.webapp.pages_support import complete, register

TRIAGE = {"category": "quality", "severity": "urgent", "department": "engineering"}


def seed(served) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Three complaints of Monday 11-16: X handled and waiting for the reply, Y waiting at the handling
    (urgent: overdue since Tuesday), Z never triaged (overdue). Now is Friday 11-20 10:00."""
    clock = served.foundation.clock
    now = clock.now()
    with served.session() as session:
        platform = Platform(session, served.foundation)
        clock.set(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI))
        cases = {name: register(platform, description=f"{name} 外墙渗水") for name in "XYZ"}
        clock.set(datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI))
        complete(platform, cases["X"].instance_id, "crc", TRIAGE)
        complete(platform, cases["Y"].instance_id, "crc", TRIAGE)
        clock.set(datetime(2026, 11, 16, 15, 0, tzinfo=SHANGHAI))
        complete(platform, cases["X"].instance_id, "eng", {"resolution": "已打胶"})
        clock.set(now)
        platform.kpi_refresher.run()
        session.commit()
        return {name: str(c.number) for name, c in cases.items()}


def test_a_manager_reads_the_heatmap_and_opens_what_waits_at_a_step(served, browser) -> None:  # type: ignore[no-untyped-def]
    numbers = seed(served)
    base = served.url
    page = browser.new_page(viewport=DESKTOP)  # type: ignore[attr-defined]
    sign_in(page, base, "eng_mgr")
    page.goto(f"{base}/kpis")
    page.click('#related a[href="/processes/complaint/heatmap"]')
    page.wait_for_url(f"{base}/processes/complaint/heatmap")
    page.wait_for_selector('#heat-diagram[data-ready="true"]')

    def badge(element_id: str) -> str:
        return page.inner_text(f'.djs-overlays[data-container-id="{element_id}"] .heat-badge')

    assert page.locator(".heat-badge").count() == 3
    assert badge("triage").split() == ["1", "超时", "100.0%"]  # Z
    assert badge("handle").split() == ["1", "超时", "100.0%"]  # Y
    assert badge("reply").split()[0] == "1"  # X
    # Coloured by the overdue share: the two overdue steps red, the legend says so.
    assert "heat-3" in (page.get_attribute('g[data-element-id="handle"]', "class") or "")
    assert page.is_visible('[data-legend="overdue"]') and not page.is_visible('[data-legend="time"]')
    row = page.inner_text('#heat-steps tr[data-element="handle"]')
    assert row.split()[:4] == ["责任部门处理", "1", "1", "100.0%"]
    shot(page, "heatmap-01-overdue")

    page.select_option("[data-heat-colour]", "time")
    assert page.is_visible('[data-legend="time"]') and not page.is_visible('[data-legend="overdue"]')
    # Only the handling was completed lately (5 h): it is the slowest, so the darkest.
    assert "heat-3" in (page.get_attribute('g[data-element-id="handle"]', "class") or "")
    assert "heat-none" in (page.get_attribute('g[data-element-id="reply"]', "class") or "")
    shot(page, "heatmap-02-time")

    page.click('.djs-overlays[data-container-id="handle"] a.heat-count')
    page.wait_for_url(f"{base}/processes/complaint/steps/handle")
    assert "共 1 条" in page.inner_text("#waiting-count")
    listed = page.inner_text("table.drill tbody")
    assert numbers["Y"] in listed and "是" in listed and numbers["X"] not in listed
    shot(page, "heatmap-03-waiting")
    page.click(f'a[href="/r/{numbers["Y"]}"]')
    page.wait_for_load_state()
    assert numbers["Y"] in page.inner_text("h1")
    page.close()
