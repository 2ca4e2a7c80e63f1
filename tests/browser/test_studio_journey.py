"""A process owner's whole journey through the studio, in headless Chromium: draws a new process from scratch
(a re-inspection step for the engineering department with a deadline of two working days, a gateway on its
result, an end), sees the problems marked on the elements, fixes them in Lintel's panel, deploys; a
coordinator starts a request of it from 发起流程; three days later the process owner gives the step three
working days in a second version, compares the two versions, and moves the running request to version 2.
Its step's deadline then counts from when the step began — the time already spent counts — as the
engineer's inbox shows. Screenshots under test-output/screenshots/ (journey-*)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from crm.platform import Platform
from crm.staff import StaffAdmin
from engine.migration_runs import MigrationWorker
from tests.browser.studio_support import PANEL, shot_as
from tests.browser.test_walkthrough import DESKTOP

pytestmark = pytest.mark.usefixtures("studio_assets")
shot = shot_as("journey")

OWNER = "lin.po"
OWNER_PASSWORD = "journey-pass-1"
LOAD = 30_000  # the modeler's bundle and the first check, on a busy machine

DRAW = """() => {
  const modeling = bpmnjs.get('modeling');
  const registry = bpmnjs.get('elementRegistry');
  const factory = bpmnjs.get('elementFactory');
  const task = modeling.appendShape(registry.get('start'), { type: 'bpmn:UserTask' }, { x: 320, y: 200 });
  modeling.updateProperties(task, { id: 'reinspect', name: '现场复验' });
  const gateway = modeling.appendShape(task, { type: 'bpmn:ExclusiveGateway' }, { x: 480, y: 200 });
  modeling.updateProperties(gateway, { id: 'passed', name: '复验通过？' });
  const done = modeling.appendShape(gateway, { type: 'bpmn:EndEvent' }, { x: 620, y: 200 });
  modeling.updateProperties(done, { id: 'done', name: '已完成' });
  modeling.updateProperties(done.incoming[0], { id: 'flow_pass', name: '通过' });
  const back = modeling.appendShape(gateway, { type: 'bpmn:EndEvent' }, { x: 620, y: 330 });
  modeling.updateProperties(back, { id: 'returned', name: '退回整改' });
  modeling.updateProperties(back.incoming[0], { id: 'flow_fail', name: '不通过' });
  const timer = factory.createShape({
    type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' });
  timer.businessObject.cancelActivity = false;
  const below = { x: task.x + 70, y: task.y + task.height };
  const attached = modeling.createShape(timer, below, task, { attach: true });
  modeling.updateProperties(attached, { id: 'reinspect_deadline', name: '复验时限' });
  const lower = { x: attached.x + 18, y: attached.y + 130 };
  const late = modeling.appendShape(attached, { type: 'bpmn:EndEvent' }, lower);
  modeling.updateProperties(late, { id: 'reinspect_late', name: '已超时' });
  bpmnjs.get('canvas').zoom('fit-viewport', 'auto');
}"""


@pytest.fixture(autouse=True)
def patient() -> Iterator[None]:
    """Assertions wait as long as the page loads may take on a shared machine, then back to the default."""
    expect.set_options(timeout=LOAD)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def process_owner(served) -> str:  # type: ignore[no-untyped-def]
    """A process owner and nothing else: not an administrator, in no department that works the steps."""
    with served.session() as session:
        StaffAdmin(session).create_user(
            username=OWNER,
            display_name="林工（流程负责人）",
            password=OWNER_PASSWORD,
            roles=["process_owner"],
            departments=["crc"],
        )
        session.commit()
    return OWNER


def sign_in(page, base: str, username: str, password: str = "demo") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    if "/login" not in page.url:  # still signed in
        return
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def click_element(page, element_id: str) -> None:  # type: ignore[no-untyped-def]
    """Click a shape on the canvas, as a person selects it; the panel then shows its fields."""
    page.click(f'#studio-canvas g.djs-element[data-element-id="{element_id}"]')
    expect(page.locator(f"{PANEL}lintel-id")).to_have_value(element_id)


def click_flow(page, flow_id: str) -> None:  # type: ignore[no-untyped-def]
    """A flow is a thin line: a person clicks its label ("通过"), which selects the flow."""
    page.click(f'#studio-canvas g.djs-element[data-element-id="{flow_id}_label"]')
    expect(page.locator(f"{PANEL}lintel-id")).to_have_value(flow_id)


def marked(page, element_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#studio-canvas g.djs-element.lintel-problem[data-element-id="{element_id}"]')


TIMER_IS = """(body) => {
  const d = bpmnjs.get('elementRegistry').get('reinspect_deadline').businessObject.eventDefinitions[0];
  return (d.timeDate ? d.timeDate.body : '') === body;
}"""


def test_a_process_owner_draws_deploys_changes_and_migrates_a_process(served, browser, process_owner) -> None:  # type: ignore[no-untyped-def]
    base = served.url
    clock = served.foundation.clock
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(LOAD)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())

    # -- drawing -------------------------------------------------------------------------------------------
    sign_in(page, base, process_owner, OWNER_PASSWORD)
    shot(page, "00-home")
    page.click("nav summary:has-text('管理')")
    page.get_by_role("link", name="流程", exact=True).click()
    page.click("text=在工作室中新建流程")
    expect(page.locator("#studio")).to_have_attribute("data-ready", "true")
    page.click("#studio-canvas", position={"x": 700, "y": 60})  # the diagram itself: the process's panel
    page.fill(f"{PANEL}lintel-process-key", "reinspection")
    page.fill(f"{PANEL}lintel-process-name", "公区维修复验")
    page.evaluate(DRAW)

    problems = page.locator("#studio-problems")
    expect(marked(page, "reinspect")).to_be_visible()
    expect(problems).to_contain_text("「现场复验」：没有指定部门")
    expect(problems).to_contain_text("「复验时限」：定时器没有时长")
    expect(problems).to_contain_text("「通过」：网关的这条流出线没有条件：请在右侧「条件」中选一个表单结果")
    shot(page, "01-problems")

    click_element(page, "reinspect")
    page.select_option(f"{PANEL}lintel-department", label="工程部")
    page.select_option(f"{PANEL}lintel-form", label="整改复验")
    expect(marked(page, "reinspect")).to_have_count(0)

    click_element(page, "reinspect_deadline")
    page.select_option(f"{PANEL}lintel-unit", label="工作日")
    page.fill(f"{PANEL}lintel-amount", "2")
    expect(page.locator(f"{PANEL}lintel-clock")).to_have_value("business")
    page.wait_for_function(TIMER_IS, arg="working_days(2)")  # the field's input has reached the diagram
    # The gateway's flows: no condition to write by hand, the answers of the step's form are offered.
    for flow, answer, condition in (
        ("flow_pass", "现场复验：复验结果为「通过」", 'verified == "pass"'),
        ("flow_fail", "现场复验：复验结果为「不通过，退回整改」", 'verified == "fail"'),
    ):
        click_flow(page, flow)
        page.select_option(f"{PANEL}lintel-outcome", label=answer)
        expect(page.locator(f"{PANEL}lintel-condition-text")).to_have_value(condition)
    expect(page.locator("#studio")).to_have_attribute("data-problems", "0")
    expect(page.locator("#studio-problem-count")).to_have_text("没有问题，可以部署")
    shot(page, "02-fixed")

    page.fill("#studio-note", "新增公区维修复验：工程部两个工作日内复验")
    page.click("#studio-deploy button[type=submit]")
    page.wait_for_url(f"{base}/processes/reinspection/1")
    expect(page.locator("main")).to_contain_text("已部署「公区维修复验」第 1 版")
    step = page.locator('li[data-step="reinspect"]')
    expect(step).to_contain_text("工程部")
    expect(step).to_contain_text("时限：2 个工作日")
    expect(step).to_contain_text("表单：整改复验")
    expect(step).not_to_contain_text("defect_verify", use_inner_text=True)  # folded under 技术信息
    shot(page, "03-version-1")

    # -- a coordinator starts a request of it ---------------------------------------------------------------
    staff = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    staff.set_default_timeout(LOAD)
    desk = staff.new_page()
    sign_in(desk, base, "crc")
    desk.goto(f"{base}/start")
    shot(desk, "04-start-list")
    desk.click("text=公区维修复验")
    shot(desk, "05-start-form")
    desk.click("main button:has-text('发起')")
    desk.wait_for_url(re.compile(r"/requests/\d+$"))
    request_url = desk.url
    expect(desk.locator("main")).to_contain_text("现场复验")
    shot(desk, "06-request")
    staff.close()

    # The engineers' inbox: two working days from Friday 10:00 is Tuesday 10:00.
    engineer = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    engineer.set_default_timeout(LOAD)
    inbox = engineer.new_page()
    sign_in(inbox, base, "eng")
    inbox.goto(f"{base}/inbox")
    row = inbox.locator("tr[data-task]", has_text="现场复验")
    expect(row).to_contain_text("2026-11-24 10:00")
    shot(inbox, "07-inbox-v1")

    # -- three days later: a second version with three working days ----------------------------------------
    clock.advance(timedelta(days=3, hours=6))  # Monday 16:00: a working day and six hours already spent
    sign_in(page, base, process_owner, OWNER_PASSWORD)  # a sign-in of three days ago has expired
    page.goto(f"{base}/processes/reinspection/1")
    page.click("text=在工作室中编辑")
    expect(page.locator("#studio")).to_have_attribute("data-ready", "true")
    click_element(page, "reinspect_deadline")
    expect(page.locator(f"{PANEL}lintel-amount")).to_have_value("2")
    page.fill(f"{PANEL}lintel-amount", "3")
    page.wait_for_function(TIMER_IS, arg="working_days(3)")
    page.fill("#studio-note", "复验时限放宽到三个工作日")
    page.click("#studio-deploy button[type=submit]")
    page.wait_for_url(f"{base}/processes/reinspection/2")
    expect(page.locator('li[data-step="reinspect"]')).to_contain_text("时限：3 个工作日")
    shot(page, "08-version-2")

    # -- comparing them ------------------------------------------------------------------------------------
    page.select_option('#compare select[name="a"]', "1")
    page.click('#compare button[type="submit"]')
    page.wait_for_url(f"{base}/processes/reinspection/compare?b=2&a=1")
    expect(page.locator('#diagram-2[data-ready="true"]')).to_be_visible()
    changes = page.locator("#changes")
    expect(changes).to_contain_text("2 个工作日")
    expect(changes).to_contain_text("3 个工作日")
    shot(page, "09-compare")
    for diagram in ("#diagram-1", "#diagram-2"):  # the step whose deadline changed, orange in both
        expect(page.locator(f'{diagram} g.lintel-changed[data-element-id="reinspect"]')).to_have_count(1)

    # -- moving the running request to version 2 -----------------------------------------------------------
    # Version 2's page says a request still runs on version 1, and leads to moving it.
    page.goto(f"{base}/processes/reinspection/2")
    expect(page.locator("#running-before")).to_contain_text("还有 1 件工单在以前的版本上进行")
    page.click("#running-before a")
    expect(page.locator("#from")).to_have_value("1")
    expect(page.locator("#to")).to_have_value("2")
    page.click("#preview")
    expect(page.locator("[data-count=movable]")).to_have_text("1")
    expect(page.locator("[data-count=blocked]")).to_have_text("0")
    # What the move does to the step's deadline, before it is made: counted from when the step began.
    expect(page.locator("#movable")).to_contain_text("「现场复验」期限：2026-11-24 10:00 → 2026-11-25 10:00")
    shot(page, "10-migration-preview")
    page.click("#start")
    expect(page.locator("#progress")).to_be_visible()
    sessions = sessionmaker(served.engine, expire_on_commit=False)
    MigrationWorker(sessions, lambda session: Platform(session, served.foundation).runtime).run_once()
    expect(page.locator("#progress .badge", has_text="已完成")).to_be_visible()
    expect(page.locator("[data-count=moved]")).to_have_text("1")
    shot(page, "11-migration-done")

    # Three working days from when the step began (Friday 10:00), not from the move (Monday 16:00).
    sign_in(inbox, base, "eng")
    inbox.goto(f"{base}/inbox")
    expect(row).to_contain_text("2026-11-25 10:00")
    shot(inbox, "12-inbox-v2")
    row.get_by_role("link", name="现场复验").click()
    expect(inbox.locator("main")).to_contain_text("2026-11-25 10:00")
    shot(inbox, "13-task-v2")
    inbox.goto(request_url)
    expect(inbox.locator("main")).to_contain_text("流程由第1版迁移至第2版")
    expect(inbox.locator("main")).to_contain_text("「现场复验」新的期限")
    shot(inbox, "14-request-timeline")
    engineer.close()
    assert errors == []
