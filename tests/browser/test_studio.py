"""A process owner draws a new process in the studio: a user task with its department and a deadline of two
working days set in Lintel's panel, sees the problem the deploy checks find marked on the step, fixes it,
undoes and redoes a change, saves a draft, deploys with a change note and reads the version page. Screenshots
under test-output/screenshots/ (studio-*)."""

from __future__ import annotations

import pytest

from tests.browser.studio_support import PANEL, select, shot_as
from tests.browser.test_walkthrough import DESKTOP, sign_in

pytestmark = pytest.mark.usefixtures("studio_assets")
shot = shot_as("studio")


DRAW = """() => {
  const modeling = bpmnjs.get('modeling');
  const registry = bpmnjs.get('elementRegistry');
  const factory = bpmnjs.get('elementFactory');
  const task = modeling.appendShape(registry.get('start'), { type: 'bpmn:UserTask' }, { x: 330, y: 200 });
  modeling.updateProperties(task, { id: 'visit', name: '上门维修' });
  modeling.appendShape(task, { type: 'bpmn:EndEvent' }, { x: 520, y: 200 });
  const timer = factory.createShape({
    type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' });
  timer.businessObject.cancelActivity = false;
  const at = { x: task.x + 70, y: task.y + task.height };
  const attached = modeling.createShape(timer, at, task, { attach: true });
  modeling.updateProperties(attached, { id: 'visit_deadline', name: '维修时限' });
  const below = { x: attached.x + 18, y: attached.y + 120 };
  const late = modeling.appendShape(attached, { type: 'bpmn:EndEvent' }, below);
  modeling.updateProperties(late, { id: 'visit_late', name: '已超时' });
}"""


def expression(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "() => { const d = bpmnjs.get('elementRegistry').get('visit_deadline').businessObject"
        ".eventDefinitions[0]; return d.timeDate ? d.timeDate.body : ''; }"
    )


def test_a_process_is_drawn_checked_and_deployed_from_the_studio(served, browser) -> None:
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, "admin")
    page.goto(f"{base}/processes")
    page.click("text=在工作室中新建流程")
    page.wait_for_selector("#studio[data-ready=true]")
    # Drawing advice (bpmnlint) beside the deploy checks: a lone start event leads nowhere.
    page.wait_for_selector("#studio[data-advice]")
    assert "建议：「新流程」：流程没有结束事件" in page.inner_text("#studio-problems")

    # The process: its key and name, in the panel shown for the diagram itself.
    page.click("#studio-canvas", position={"x": 700, "y": 60})
    page.fill(f"{PANEL}lintel-process-key", "repair_visit")
    page.fill(f"{PANEL}lintel-process-name", "上门维修")

    page.evaluate(DRAW)
    # Nothing routes the step yet: the deploy checks say so, on the step.
    page.wait_for_selector('g.djs-element.lintel-problem[data-element-id="visit"]')
    problems = page.inner_text("#studio-problems")
    assert "「上门维修」：没有指定部门" in problems and "定时器没有时长" in problems
    shot(page, "01-problem")

    select(page, "visit")
    page.select_option(f"{PANEL}lintel-department", "engineering")
    select(page, "visit_deadline")
    page.select_option(f"{PANEL}lintel-unit", "days")
    page.fill(f"{PANEL}lintel-amount", "2")
    page.wait_for_function("() => document.querySelector('#studio').dataset.problems === '0'")
    assert expression(page) == "working_days(2)"
    assert page.locator('g.djs-element.lintel-problem[data-element-id="visit"]').count() == 0
    assert "没有问题" in page.inner_text("#studio-problem-count")
    assert page.get_attribute("#studio", "data-advice") == "0", page.inner_text("#studio-problems")
    shot(page, "02-fixed")

    # Undo takes the duration back, redo brings it again.
    page.click("#studio-undo")
    assert expression(page) == ""
    page.click("#studio-redo")
    assert expression(page) == "working_days(2)"

    page.click("#studio-save")
    page.wait_for_function(
        "() => document.querySelector('#studio-status').textContent.includes('草稿已保存')"
    )

    # Reopening the studio brings the draft back, with the panel filled from the diagram.
    page.goto(f"{base}/processes/studio/new")
    page.wait_for_selector("#studio[data-ready=true]")
    select(page, "visit_deadline")
    assert page.input_value(f"{PANEL}lintel-amount") == "2"
    assert page.input_value(f"{PANEL}lintel-unit") == "days"
    shot(page, "03-timer-panel")

    page.click("#studio-deploy button[type=submit]")
    assert "请填写变更说明" in page.inner_text("#studio-deploy-error")
    page.fill("#studio-note", "新增上门维修流程：工程部两个工作日内完成")
    page.click("#studio-deploy button[type=submit]")
    page.wait_for_url(f"{base}/processes/repair_visit/1")
    main = page.inner_text("main")
    assert "已部署「上门维修」第 1 版" in main
    assert "新增上门维修流程：工程部两个工作日内完成" in main
    step = page.inner_text('li[data-step="visit"]')
    assert "工程部" in step and "时限：2 个工作日" in step
    shot(page, "04-version")

    # A second version with three days, then back to the first.
    page.click("text=在工作室中编辑")
    page.wait_for_selector("#studio[data-ready=true]")
    select(page, "visit_deadline")
    page.fill(f"{PANEL}lintel-amount", "3")
    page.wait_for_function(
        "() => bpmnjs.get('elementRegistry').get('visit_deadline').businessObject"
        ".eventDefinitions[0].timeDate.body === 'working_days(3)'"
    )
    page.fill("#studio-note", "维修时限放宽到三个工作日")
    page.click("#studio-deploy button[type=submit]")
    page.wait_for_url(f"{base}/processes/repair_visit/2")
    assert "时限：3 个工作日" in page.inner_text('li[data-step="visit"]')
    page.click("text=第 1 版")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=回滚到此版本")
    page.wait_for_url(f"{base}/processes/repair_visit/3")
    main = page.inner_text("main")
    assert "已回滚：第 3 版与第 1 版相同" in main and "回滚到第1版" in main
    assert "时限：2 个工作日" in page.inner_text('li[data-step="visit"]')
    shot(page, "05-rolled-back")
    assert errors == []


def test_a_deployed_diagram_opens_with_its_steps_and_deadlines_in_the_panel(served, browser) -> None:
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "admin")
    page.goto(f"{base}/processes/complaint/1")
    page.click("text=在工作室中编辑")
    page.wait_for_selector("#studio[data-ready=true]")
    # What the modeler writes back passes the deploy checks: nothing of the diagram is lost on the way.
    page.wait_for_function("() => document.querySelector('#studio').dataset.problems === '0'")

    select(page, "triage")
    assert page.input_value(f"{PANEL}lintel-form") == "complaint_triage"
    assert page.input_value(f"{PANEL}lintel-department") == ""  # by its lane
    # A deadline the diagram's script computes stays an expression, shown as it is.
    select(page, "handle_overdue")
    assert page.input_value(f"{PANEL}lintel-role") == "escalation"
    assert page.input_value(f"{PANEL}lintel-level") == "1"
    assert page.input_value(f"{PANEL}lintel-advanced") == "handle_due"
    assert page.locator(f"{PANEL}lintel-amount").count() == 0
    shot(page, "06-advanced")
    assert errors == []


def test_the_studio_speaks_english_to_an_english_reader(served, browser) -> None:
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "admin")
    page.select_option("#lang", "en")
    page.wait_for_selector("html[lang=en]")
    page.goto(f"{base}/processes/complaint/studio")
    page.wait_for_selector("#studio[data-ready=true]")
    select(page, "handle_overdue")
    panel = page.inner_text("#studio-panel")
    assert "Purpose" in panel and "Advanced expression" in panel and "作用" not in panel
    assert "Process studio" in page.inner_text("main")
    shot(page, "07-english")
