"""比较版本 in headless Chromium: a process owner opens version 2 of the complaint process, compares it with
version 1 from its page, reads the list of changes, and sees both diagrams with the added step green, the
changed step orange and the changed gateway flow orange. Screenshots under test-output/screenshots/."""

from __future__ import annotations

from crm.platform import Platform
from tests.browser.test_walkthrough import DESKTOP, shot, sign_in
from tests.migration_support import deploy, with_step_added, with_triage_deadline

CHECK_SHAPE = """      <bpmndi:BPMNShape id="triage_check_di" bpmnElement="triage_check">
        <dc:Bounds x="440" y="10" width="100" height="80" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>"""


def test_a_process_owner_compares_two_versions(served, browser) -> None:  # type: ignore[no-untyped-def]
    xml = with_step_added(with_triage_deadline("working_days(3)")).replace(
        'reached == "no"', 'reached != "yes"'
    )
    xml = xml.replace("</bpmndi:BPMNPlane>", CHECK_SHAPE)  # the new step drawn above triage
    with served.session() as session:
        deploy(Platform(session, served.foundation), xml)
        session.commit()
    base = served.url
    page = browser.new_page(viewport=DESKTOP)  # type: ignore[attr-defined]
    sign_in(page, base, "admin")
    page.goto(f"{base}/processes/complaint/2")
    page.select_option('#compare select[name="a"]', "1")
    page.click('#compare button[type="submit"]')
    page.wait_for_url(f"{base}/processes/complaint/compare?b=2&a=1")
    page.wait_for_selector('#diagram-1[data-ready="true"]')
    page.wait_for_selector('#diagram-2[data-ready="true"]')
    changes = page.inner_text("#changes")
    assert "分派复核" in changes and "新增步骤" in changes and "3 个工作日" in changes
    assert "网关条件" in changes

    def classes(diagram: str, element_id: str) -> str:
        return page.get_attribute(f'{diagram} g[data-element-id="{element_id}"]', "class") or ""

    assert "lintel-added" in classes("#diagram-2", "triage_check")
    assert "lintel-changed" in classes("#diagram-2", "triage") and "lintel-changed" in classes(
        "#diagram-1", "triage"
    )
    assert page.locator("#diagram-1 .lintel-added").count() == 0  # the added step is not in version 1
    assert "lintel-changed" in classes("#diagram-2", "flow_not_reached")  # its condition changed
    # bpmn-js-differ's diff: the flow from triage now leads to the new step, so it changed too
    assert "lintel-changed" in classes("#diagram-2", "flow_triage_deadline")
    assert "lintel-changed" in classes("#diagram-1", "flow_triage_deadline")
    assert page.is_visible(".legend .add") and page.is_visible(".legend .chg")
    shot(page, "compare-01-versions")
    page.goto(f"{base}/processes/complaint/2")
    shot(page, "compare-00-version-page")
    page.close()
