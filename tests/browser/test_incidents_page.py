"""The incidents page in headless Chromium, as an administrator meets it after a reminder script failed:
the failed request listed with its step, reason and time, retried on the fixed version, and a failed
complaint cancelled with a reason, which its timeline then shows. Screenshots under test-output/screenshots/.
"""

from __future__ import annotations

from datetime import timedelta

from crm.directory import actor_for
from crm.platform import Platform
from tests.browser.test_walkthrough import DESKTOP, shot, sign_in
from tests.conftest import DATA


def seed(served) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A reminder that failed behind its timer (v2 then fixes it), and a complaint whose evaluator died."""
    clock = served.foundation.clock
    with served.session() as session:
        platform = Platform(session, served.foundation)
        crc = actor_for(platform.directory.user("crc"))
        platform.definitions.deploy((DATA / "incident_v1.bpmn").read_bytes(), "incident_v1.bpmn")
        instance = platform.runtime.start("incident_demo", {}, crc)
        session.commit()
        clock.advance(timedelta(hours=2))
        workflow, compiled = platform.runtime.load(instance)
        platform.runtime.advance(instance, workflow, crc, compiled, refresh_timers=True)
        platform.definitions.deploy((DATA / "incident_v2.bpmn").read_bytes(), "incident_v2.bpmn")
        complaint = platform.complaints.register(
            crc, channel="hotline", description="电梯轿厢异响，夜间尤其明显", owner_phone="13800000002"
        )
        session.commit()
        platform.runtime.fail(
            platform.runtime.get(complaint.instance_id), crc, RuntimeError("the evaluator ended unexpectedly")
        )
        session.commit()
        return instance.id, int(complaint.instance_id)


def test_an_administrator_retries_one_incident_on_the_fixed_version_and_cancels_another(
    served, browser
) -> None:  # type: ignore[no-untyped-def]
    reminder, complaint = seed(served)
    page = browser.new_page(viewport=DESKTOP)  # type: ignore[attr-defined]
    base = served.url
    sign_in(page, base, "admin")
    page.click("nav summary:has-text('管理')")
    page.click("nav a:text-is('流程异常')")
    page.wait_for_url(f"{base}/incidents")
    row = page.locator(f"#incident-{reminder}")
    assert "记录提醒" in row.inner_text() and "第 1 版" in row.inner_text()
    shot(page, "incidents")
    page.select_option("#lang", "en")
    page.wait_for_selector("h1:has-text('Incidents')")
    assert "Retry on version 2" in page.locator(f"#incident-{reminder}").inner_text()
    shot(page, "incidents-en")
    page.select_option("#lang", "zh_CN")
    page.wait_for_selector("h1:has-text('流程异常')")
    row = page.locator(f"#incident-{reminder}")

    row.locator("button:has-text('按第 2 版重试')").click()
    page.wait_for_url(f"{base}/incidents")
    assert "已重试，流程继续运行（第 2 版）" in page.inner_text(".flash")
    assert page.locator(f"#incident-{reminder}").count() == 0

    other = page.locator(f"#incident-{complaint}")
    other.locator("summary:has-text('取消')").click()
    other.locator("input[name=reason]").fill("业主来电撤回投诉")
    shot(page, "incidents-cancel")
    other.locator("button:has-text('取消此请求')").click()
    page.wait_for_url(f"{base}/incidents")
    assert "没有出错的流程" in page.inner_text("main")

    page.goto(f"{base}/requests/{complaint}")
    timeline = page.inner_text("main")
    assert "已取消" in timeline and "业主来电撤回投诉" in timeline and "已关闭：流程出错" in timeline
    shot(page, "incident-cancelled-request")
    page.close()
