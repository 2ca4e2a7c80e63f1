"""The three dashboards in headless Chromium, each opened as the demo role it is for: the centre's supervisor
reads the morning, the engineering manager his department, the group centre its projects. The charts draw
(an ECharts canvas in each chart), the numbers link to their lists. Screenshots under
test-output/screenshots/ (dashboard-*.png)."""

from __future__ import annotations

from datetime import datetime

from crm.directory import actor_for
from crm.platform import Platform
from lintel.clock import SHANGHAI
from tests.browser.test_walkthrough import DESKTOP, PHONE, shot, sign_in
from tests.bulletins.support import estate
from tests.webapp.pages_support import TRIAGE

REPLY = {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes", "score": 4}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def seed(served) -> None:  # type: ignore[no-untyped-def]
    """A fortnight of complaints in three projects — some closed, some overdue in engineering and property —
    and two registered overnight."""
    clock = served.foundation.clock
    now = clock.now()
    with served.session() as session:
        p = Platform(session, served.foundation)
        crc = actor_for(p.directory.user("crc"))
        phones = ["13800000001"]  # 江南府, the demo's own
        for code, name, base in (("LXF", "临溪府", 500), ("YHY", "云湖苑", 600)):
            site = estate(p, code, name, phone_base=base)
            phones.append(next(iter(site.waiting.values())).phone)
        session.commit()

        def register(description: str, phone: str) -> int:
            complaint = p.complaints.register(
                crc, channel="hotline", description=description, owner_phone=phone
            )
            session.commit()
            return complaint.instance_id

        def complete(instance_id: int, username: str, data: dict[str, object]) -> None:
            task = next(t for t in p.tasks.open_tasks_of(instance_id) if (t.kind or "task") == "task")
            p.tasks.complete(task.id, data, actor_for(p.directory.user(username)))
            session.commit()

        late: list[int] = []  # handled days after their deadline
        for day in range(6, 20):
            clock.set(sh(2026, 11, day, 9, 30))
            phone = phones[day % 3]
            first = register(f"11月{day}日 卫生间渗水", phone)
            complete(first, "crc", TRIAGE)
            second = register(f"11月{day}日 门禁失灵", phones[(day + 1) % 3])
            complete(second, "crc", {**TRIAGE, "category": "property", "department": "property"})
            if day % 4 == 0:
                late.append(first)
            elif day % 3:
                clock.set(sh(2026, 11, day, 15, 0))
                complete(first, "eng", {"resolution": "已修补"})
                complete(first, "crc", REPLY)
            if day % 2:
                clock.set(sh(2026, 11, day, 16, 0))
                complete(second, "property", {"resolution": "已更换"})
                complete(second, "crc", REPLY)
        clock.set(sh(2026, 11, 19, 17, 0))
        for instance_id in late:
            complete(instance_id, "eng", {"resolution": "已修补"})
            complete(instance_id, "crc", REPLY)
        clock.set(sh(2026, 11, 19, 20, 0))
        register("夜间来电 楼道灯不亮", phones[1])
        clock.set(sh(2026, 11, 20, 7, 30))
        register("清晨来电 电梯异响", phones[2])
        clock.set(now)
        p.kpi_refresher.run()
        session.commit()


def charts_drawn(page, count: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f"document.querySelectorAll('[data-chart] canvas').length >= {count}", timeout=10000
    )
    for box in page.locator("[data-chart]").all():
        canvas = box.locator("canvas").first
        assert canvas.evaluate("c => c.width > 0 && c.height > 0")


def test_each_role_opens_its_dashboard(served, browser) -> None:  # type: ignore[no-untyped-def]
    seed(served)
    base = served.url
    page = browser.new_page(viewport=DESKTOP)  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, base, "crc_sup")
    page.click('#dashboards a[href="/dashboards/morning"]')
    page.wait_for_url(f"{base}/dashboards/morning")
    charts_drawn(page, 1)
    assert page.inner_text("#tile-overnight").split() == ["2", "昨夜新增"]
    assert "工程部" in page.inner_text("#departments")
    shot(page, "dashboard-01-morning")
    overdue = page.inner_text("#tile-overdue").split()[0]
    page.click("#tile-overdue a")
    page.wait_for_url(f"{base}/inbox?*")
    assert page.locator("tr[data-task]").count() == int(overdue)
    page.context.clear_cookies()

    sign_in(page, base, "eng_mgr")
    page.click('#dashboards a[href="/dashboards/department"]')
    page.wait_for_url(f"{base}/dashboards/department")
    charts_drawn(page, 2)
    assert "部门看板 · 工程部" in page.inner_text("h1")
    shot(page, "dashboard-02-department")
    page.context.clear_cookies()

    sign_in(page, base, "group_crc")
    page.goto(f"{base}/dashboards/group?from=2026-11-01&to=2026-11-30")
    charts_drawn(page, 2)
    projects = page.inner_text("#projects")
    assert "江南府" in projects and "临溪府" in projects and "云湖苑" in projects
    assert page.locator("table.heat td a").count() > 0
    shot(page, "dashboard-03-group")
    page.close()

    phone = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
    sign_in(phone, base, "crc_sup")
    phone.goto(f"{base}/dashboards/morning")
    charts_drawn(phone, 1)
    shot(phone, "dashboard-04-morning-phone")
    phone.close()
    assert errors == []
