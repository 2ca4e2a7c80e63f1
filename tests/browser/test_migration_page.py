"""迁移运行中的工单 in headless Chromium: a process owner previews moving the running complaints to a version
that replaced the triage step, maps it by hand, starts the move and watches it finish; the request's
timeline then says so. Screenshots under test-output/screenshots/."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from crm.directory import actor_for
from crm.platform import Platform
from engine.actors import SYSTEM
from engine.migration_runs import MigrationWorker
from tests.browser.test_walkthrough import DESKTOP, shot, sign_in
from tests.migration_support import COMPLAINT, deploy, with_triage_replaced

TRIAGE = {"category": "quality", "severity": "normal", "department": "engineering"}


def seed(served) -> tuple[list[int], int]:  # type: ignore[no-untyped-def]
    with served.session() as session:
        platform = Platform(session, served.foundation)
        items = [
            {"description": d} for d in ("客厅外墙渗水", "电梯异响", "地下车库积水", "门禁失灵", "楼道灯不亮")
        ]
        ids = platform.runtime.start_many("complaint", COMPLAINT, items, SYSTEM)
        crc = actor_for(platform.directory.user("crc"))
        for instance_id in ids[:2]:
            [row] = [r for r in platform.tasks.open_tasks_of(instance_id) if r.kind == "task"]
            platform.tasks.complete(row.id, TRIAGE, crc)
        version = deploy(platform, with_triage_replaced()).version
        session.commit()
    return ids, version


def test_a_process_owner_maps_a_removed_step_and_moves_the_running_complaints(served, browser) -> None:  # type: ignore[no-untyped-def]
    ids, version = seed(served)
    page = browser.new_page(viewport=DESKTOP)  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: dialog.accept())
    base = served.url
    sign_in(page, base, "admin")
    page.goto(f"{base}/processes/complaint/{version}")
    page.click("#migrate")
    page.wait_for_selector("h1:has-text('迁移运行中的工单')")
    page.select_option("#from", "1")
    page.select_option("#to", str(version))
    page.click("#preview")
    page.wait_for_selector("#result")
    assert page.inner_text("[data-count=movable]") == "2" and page.inner_text("[data-count=blocked]") == "3"
    assert f"当前步骤『客服分派』在第{version}版中不存在" in page.inner_text("#reasons")
    shot(page, "migration-preview")

    page.select_option("select[name='map.triage']", label="分派登记")
    page.click("#remap")
    page.wait_for_selector("#start")
    assert page.inner_text("[data-count=movable]") == "5"
    shot(page, "migration-mapped")
    page.click("#start")
    page.wait_for_selector("#progress")
    assert "排队中" in page.inner_text("#progress")

    sessions = sessionmaker(served.engine, expire_on_commit=False)
    MigrationWorker(sessions, lambda session: Platform(session, served.foundation).runtime).run_once()
    page.wait_for_selector("#progress .badge:has-text('已完成')", timeout=10000)
    assert page.inner_text("[data-count=moved]") == "5"
    shot(page, "migration-done")

    page.goto(f"{base}/requests/{ids[3]}")
    timeline = page.inner_text("main")
    assert f"流程由第1版迁移至第{version}版" in timeline and "客服分派 → 分派登记" in timeline
    shot(page, "migration-timeline")
    page.close()
