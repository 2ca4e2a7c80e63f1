"""A process owner creates a step's form in the studio's form editor (form-js), adds a field, saves it into
the draft, deploys, and finds the field on the new version's page; a decision table opens in the table editor
(dmn-js). Screenshots under test-output/screenshots/ (studio-editors-*)."""

from __future__ import annotations

import pytest

from tests.browser.studio_support import PANEL, select, shot_as
from tests.browser.test_walkthrough import DESKTOP, sign_in

pytestmark = pytest.mark.usefixtures("studio_assets")
shot = shot_as("studio-editors", full_page=False)


DRAW = """() => {
  const modeling = bpmnjs.get('modeling');
  const registry = bpmnjs.get('elementRegistry');
  const task = modeling.appendShape(registry.get('start'), { type: 'bpmn:UserTask' }, { x: 330, y: 200 });
  modeling.updateProperties(task, { id: 'visit', name: '上门核实' });
  const rate = modeling.appendShape(task, { type: 'bpmn:BusinessRuleTask' }, { x: 500, y: 200 });
  modeling.updateProperties(rate, { id: 'rate', name: '评定优先级' });
  modeling.appendShape(rate, { type: 'bpmn:EndEvent' }, { x: 660, y: 200 });
}"""


def form_key(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "() => { const bo = bpmnjs.get('elementRegistry').get('visit').businessObject;"
        " const p = bo.extensionElements.values[0].properties.find((p) => p.name === 'formKey');"
        " return p ? p.value : ''; }"
    )


def test_a_form_is_made_in_the_studio_and_deployed_with_the_process(served, browser) -> None:
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, "admin")
    page.goto(f"{base}/processes/studio/new")
    page.wait_for_selector("#studio[data-ready=true]")
    assert "此流程还没有可在此编辑的表单或决策表" in page.inner_text("#studio-files")
    page.click("#studio-canvas", position={"x": 700, "y": 60})
    page.fill(f"{PANEL}lintel-process-key", "site_check")
    page.fill(f"{PANEL}lintel-process-name", "上门核实")
    page.evaluate(DRAW)
    # The checks mark the step without a department and the task without a decision.
    page.wait_for_selector('g.djs-element.lintel-problem[data-element-id="rate"]')
    select(page, "visit")
    page.select_option(f"{PANEL}lintel-department", "engineering")

    # From the step: a new form, in the form editor.
    page.click('[data-action="new-form"]')
    page.wait_for_selector("#studio-editor[data-ready=form]")
    assert "新建表单「上门核实」" in page.inner_text("#studio-editor-title")
    palette = page.inner_text(".fjs-palette")
    assert "单行文字" in palette and "下拉" in palette
    assert page.locator('.fjs-palette-field[data-field-type="filepicker"]').is_hidden()
    shot(page, "01-new-form")

    # A field from the palette (Enter on a palette entry adds it at the end), then its label and key.
    page.focus('.fjs-palette-field[data-field-type="textfield"]')
    page.keyboard.press("Enter")
    page.click('.fjs-element[data-field-type="textfield"]')
    page.click('#studio-editor [data-group-id="group-general"] .bio-properties-panel-group-header')
    page.fill(f"#studio-editor {PANEL}label", "核实结果")
    page.fill(f"#studio-editor {PANEL}key", "check_result")
    page.wait_for_function(
        "() => lintelFormEditor.saveSchema().components.some((c) => c.key === 'check_result')"
    )
    shot(page, "02-field")
    page.click("#studio-editor-save")
    page.wait_for_function("() => document.querySelector('#studio-editor').dataset.saved === '1'")
    assert "已保存到草稿" in page.inner_text("#studio-editor-status")
    page.click("#studio-editor-close")

    # The step now uses the new form; the list of the process's files has it, changed in the draft.
    assert form_key(page) == "visit_form"
    assert page.input_value(f"{PANEL}lintel-form") == "visit_form"
    files = page.inner_text("#studio-file-list")
    assert "上门核实" in files and "新建，尚未部署" in files
    assert page.locator('[data-action="edit-form"]').count() == 1

    # The business rule task: a new decision table, edited in the table editor.
    select(page, "rate")
    page.click('[data-action="new-table"]')
    page.wait_for_selector("#studio-editor[data-ready=dmn]")
    table = page.inner_text(".studio-dmn-editor")
    assert "命中策略" in table or "结果" in table, table
    shot(page, "03-table")
    page.click("#studio-editor-save")
    page.wait_for_function("() => document.querySelector('#studio-editor').dataset.saved === '2'")
    page.click("#studio-editor-close")
    assert page.input_value(f"{PANEL}lintel-decision-id") == "rate_decision"
    page.wait_for_function("() => document.querySelector('#studio').dataset.problems === '0'")
    shot(page, "04-studio", full_page=True)

    page.fill("#studio-note", "新增上门核实，记录核实结果")
    page.click("#studio-deploy button[type=submit]")
    page.wait_for_url(f"{base}/processes/site_check/1")
    main = page.inner_text("main")
    assert "已部署「上门核实」第 1 版" in main
    assert "核实结果" in main  # the form's field, in the version's list of forms
    step = page.locator('li[data-step="visit"]')
    assert "表单：上门核实" in step.inner_text()
    assert "visit_form" in (step.text_content() or "")  # the form's key, folded under 技术信息
    shot(page, "05-version", full_page=True)

    # The version's form opens from the step again, now from the version rather than a draft.
    page.click("text=在工作室中编辑")
    page.wait_for_selector("#studio[data-ready=true]")
    assert "与最新版本相同" in page.inner_text("#studio-file-list")
    select(page, "visit")
    page.click('[data-action="edit-form"]')
    page.wait_for_selector("#studio-editor[data-ready=form]")
    assert page.locator('.fjs-element[data-field-type="textfield"]').count() == 1
    assert errors == []


def test_the_editors_speak_english_to_an_english_reader(served, browser) -> None:
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "admin")
    page.select_option("#lang", "en")
    page.wait_for_selector("html[lang=en]")
    page.goto(f"{base}/processes/studio/new")
    page.wait_for_selector("#studio[data-ready=true]")
    assert "Forms and decision tables" in page.inner_text("#studio-files")
    page.fill("#studio-new-name", "Site check")
    page.click("#studio-new-form")
    page.wait_for_selector("#studio-editor[data-ready=form]")
    assert page.inner_text("#studio-editor-title") == 'New form "Site check"'
    palette = page.inner_text(".fjs-palette")
    assert "Text field" in palette and "单行文字" not in palette
    assert "Save to draft" in page.inner_text("#studio-editor")
    shot(page, "06-english")
    page.click("#studio-editor-close", no_wait_after=True)
    assert errors == []
