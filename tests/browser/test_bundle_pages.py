"""A process owner deploys a diagram drawn in Camunda Modeler with its form and a called process, and the
centre works its steps: the drawn form with its errors, and a step without a form. Screenshots under
test-output/screenshots/ (bundle-*)."""

from __future__ import annotations

from pathlib import Path

from crm.directory import actor_for
from crm.platform import Platform
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_walkthrough import DESKTOP, sign_in, sign_out

BUNDLES = Path(__file__).resolve().parents[1] / "data" / "bundles"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SCREENSHOTS / f"bundle-{name}.png"), full_page=True)


def start(served, key: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with served.session() as session:
        platform = Platform(session, served.foundation)
        user = platform.directory.user("crc")
        assert user is not None
        instance = platform.runtime.start(key, {}, actor_for(user))
        task = platform.tasks.open_tasks_of(instance.id)[0]
        session.commit()
        return instance.id, task.id


def test_a_drawn_diagram_with_its_files_is_deployed_and_its_steps_worked(served, browser) -> None:
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, "admin")
    page.goto(f"{base}/processes")
    page.set_input_files("#file", [str(BUNDLES / "route_by_category.bpmn")])
    page.click("form[action$='/processes'] button[type=submit]")
    page.wait_for_selector(".flash.error")
    assert "不在部署的任何 DMN 文件中" in page.inner_text(".flash.error")
    shot(page, "01-refused")

    page.set_input_files(
        "#file",
        [str(BUNDLES / n) for n in ("rectify_main.bpmn", "rectify_work.bpmn", "rectify_report.json")],
    )
    page.click("form[action$='/processes'] button[type=submit]")
    page.wait_for_url(f"{base}/processes/rectify/1")
    assert "rectify_work.bpmn" in page.inner_text("main")
    shot(page, "02-version")

    page.goto(f"{base}/processes")
    page.set_input_files("#file", [str(BUNDLES / n) for n in ("camunda_forms.bpmn", "site_visit.form")])
    page.click("main summary")
    page.select_option("#default_department", "crc")
    shot(page, "03-upload")
    page.click("form[action$='/processes'] button[type=submit]")
    page.wait_for_url(f"{base}/processes/site_visit/1")
    sign_out(page)

    _, visit = start(served, "site_visit")
    sign_in(page, base, "crc")
    page.goto(f"{base}/tasks/{visit}")
    page.fill("#f-unit", "12")
    page.fill("#f-area", "80")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".field-error")
    shot(page, "04-camunda-form-errors")
    assert "must be" in page.inner_text("#field-unit") or "至少" in page.inner_text("#field-unit")
    page.fill("#f-unit", "1-1201")
    page.fill("#f-area", "3")
    page.check("input[name=urgency][value=high]")
    page.fill("#f-visit_date", "2026-12-01")
    page.check("#f-owner_present")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")

    instance, _repair = start(served, "rectify")
    with served.session() as session:
        platform = Platform(session, served.foundation)
        eng = platform.directory.user("eng")
        assert eng is not None
        platform.tasks.complete(_repair, {"done": "已更换止水节"}, actor_for(eng))
        confirm = platform.tasks.open_tasks_of(instance)[0].id
        session.commit()
    page.goto(f"{base}/tasks/{confirm}")
    page.wait_for_selector("#f-comment")
    shot(page, "05-no-form")
    page.fill("#f-comment", "业主已签字确认")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert errors == []
    context.close()
