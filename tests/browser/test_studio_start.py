"""A process owner sets in the studio who may start a new process (谁可以发起) and its start form (发起表单,
made in the form editor), deploys it, and a coordinator of that department finds it on 发起流程 with the
form's field, while an engineer does not. Screenshots under test-output/screenshots/ (studio-start-*)."""

from __future__ import annotations

import pytest

from tests.browser.studio_support import PANEL, select, shot_as
from tests.browser.test_walkthrough import DESKTOP, sign_in, sign_out

pytestmark = pytest.mark.usefixtures("studio_assets")
shot = shot_as("studio-start", full_page=False)


DRAW = """() => {
  const modeling = bpmnjs.get('modeling');
  const registry = bpmnjs.get('elementRegistry');
  const task = modeling.appendShape(registry.get('start'), { type: 'bpmn:UserTask' }, { x: 330, y: 200 });
  modeling.updateProperties(task, { id: 'visit', name: '上门回访' });
  modeling.appendShape(task, { type: 'bpmn:EndEvent' }, { x: 500, y: 200 });
}"""


def process_property(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "(name) => { const root = bpmnjs.get('canvas').getRootElement().businessObject;"
        " const values = (root.extensionElements && root.extensionElements.values) || [];"
        " const found = values.flatMap((v) => v.properties || []).find((p) => p.name === name);"
        " return found ? found.value : ''; }",
        name,
    )


def test_who_may_start_and_the_start_form_are_set_in_the_studio(served, browser) -> None:
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, "admin")
    # A bundled process names its starters by department name: the panel ticks that department.
    page.goto(f"{base}/processes/complaint/studio")
    page.wait_for_selector("#studio[data-ready=true]")
    page.evaluate("() => bpmnjs.get('selection').select(bpmnjs.get('elementRegistry').get('pool_complaint'))")
    ticked = page.locator('[data-entry-id="lintel-startable"] input:checked')
    assert ticked.count() == 1 and ticked.get_attribute("value") == "crc"

    page.goto(f"{base}/processes/studio/new")
    page.wait_for_selector("#studio[data-ready=true]")
    page.click("#studio-canvas", position={"x": 700, "y": 60})
    page.fill(f"{PANEL}lintel-process-key", "home_visit")
    page.fill(f"{PANEL}lintel-process-name", "业主回访")
    # The panel writes a field's value a moment after the typing stops.
    page.wait_for_function("() => bpmnjs.get('canvas').getRootElement().businessObject.name === '业主回访'")
    page.evaluate(DRAW)
    select(page, "visit")
    page.select_option(f"{PANEL}lintel-department", "engineering")

    # The process: who may start it, ticked from the departments in Chinese.
    page.click("#studio-canvas", position={"x": 700, "y": 60})
    starters = page.locator('[data-entry-id="lintel-startable"]')
    assert "谁可以发起" in starters.inner_text() and "客户关系中心" in starters.inner_text()
    assert "不选则所有员工都可以发起" in starters.inner_text()
    starters.locator('input[value="crc"]').check()
    page.wait_for_function(
        "() => document.querySelector('[data-entry-id=lintel-startable] input[value=crc]').checked"
    )
    assert process_property(page, "startableBy") == "crc"
    assert "只有所选部门的人员" in starters.inner_text()
    shot(page, "01-starters")

    # The start event: a new start form, made in the form editor.
    select(page, "start")
    assert "发起表单" in page.inner_text('[data-group-id="group-lintel-start"]')
    page.click('[data-action="new-form"]')
    page.wait_for_selector("#studio-editor[data-ready=form]")
    assert "业主回访 发起表单" in page.inner_text("#studio-editor-title")
    page.focus('.fjs-palette-field[data-field-type="textfield"]')
    page.keyboard.press("Enter")
    page.click('.fjs-element[data-field-type="textfield"]')
    page.click('#studio-editor [data-group-id="group-general"] .bio-properties-panel-group-header')
    page.fill(f"#studio-editor {PANEL}label", "回访事由")
    page.fill(f"#studio-editor {PANEL}key", "visit_reason")
    page.wait_for_function(
        "() => lintelFormEditor.saveSchema().components.some((c) => c.key === 'visit_reason')"
    )
    page.click("#studio-editor-save")
    page.wait_for_function("() => document.querySelector('#studio-editor').dataset.saved === '1'")
    page.click("#studio-editor-close")
    assert page.input_value(f"{PANEL}lintel-start-form") == "home_visit_start_form"
    shot(page, "02-start-form")

    page.wait_for_function("() => document.querySelector('#studio').dataset.problems === '0'")
    page.fill("#studio-note", "客户关系中心发起业主回访")
    page.click("#studio-deploy button[type=submit]")
    page.wait_for_url(f"{base}/processes/home_visit/1")
    assert "已部署「业主回访」第 1 版" in page.inner_text("main")

    # A coordinator of 客户关系中心 starts it with the start form's field.
    sign_out(page)
    sign_in(page, base, "crc")
    page.goto(f"{base}/start")
    assert "业主回访" in page.inner_text("main")
    page.click("tr:has-text('业主回访') a:has-text('发起')")
    page.wait_for_url(f"{base}/start/home_visit")
    assert "回访事由" in page.inner_text("main")
    shot(page, "03-start-page", full_page=True)

    # An engineer does not see it.
    sign_out(page)
    sign_in(page, base, "eng")
    page.goto(f"{base}/start")
    assert "业主回访" not in page.inner_text("main")
    assert errors == []
