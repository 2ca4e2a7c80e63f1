"""The request page and registering a complaint through the pages."""

from __future__ import annotations

import json
import re

import pytest

from crm.models import RequestIndex
from tests.webapp.pages_support import TRIAGE, complete, login, open_task, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_the_request_page_shows_header_status_timeline_and_the_current_step_on_the_diagram(
    client, platform
) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    login(client, "crc")
    page = client.get(f"/requests/{complaint.instance_id}")
    shown = text(page)
    assert complaint.number in shown and "处理中" in shown and "张伟" in shown and "江南府 1栋 1201" in shown
    assert (
        "工程质量" in shown and "高" in shown and "工程部" in shown
    )  # category, severity, department labels
    assert "李娜（客服专员） 登记" in shown and "完成了「客服分派」" in shown
    assert "「责任部门处理」进入 工程部 的待办" in shown
    html = page.get_data(as_text=True)
    diagram = re.search(r'data-bpmn="([^"]+)"\s+data-current=\'([^\']*)\' data-done=\'([^\']*)\'', html)
    assert diagram is not None
    assert json.loads(diagram.group(2)) == ["handle"] and "triage" in json.loads(diagram.group(3))
    xml = client.get(diagram.group(1))
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b'id="handle"' in xml.data
    assert "/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js" in html


def test_another_departments_handler_cannot_open_a_request_they_have_no_step_in(client, platform) -> None:
    complaint = register(platform)
    login(client, "design")
    refused = client.get(f"/requests/{complaint.instance_id}")
    assert refused.status_code == 403 and "您所在的部门没有参与此请求" in text(refused)
    assert "请求不存在" in text(client.get("/requests/999999"))
    assert client.get(f"/requests/{complaint.instance_id}/diagram.xml").status_code == 403
    assert client.post(f"/requests/{complaint.instance_id}/comments", data={"body": "x"}).status_code == 403
    assert client.get("/requests/999999").status_code == 404
    assert client.get(f"/r/{complaint.number}").status_code == 403
    assert client.get("/r/TS-2026-999999").status_code == 404


def test_comments_are_added_and_an_empty_one_is_refused(client, platform) -> None:
    complaint = register(platform)
    login(client, "crc")
    added = client.post(
        f"/requests/{complaint.instance_id}/comments", data={"body": "业主下午在家"}, follow_redirects=True
    )
    assert "已添加备注" in text(added) and "业主下午在家" in text(added)
    empty = client.post(
        f"/requests/{complaint.instance_id}/comments", data={"body": "  "}, follow_redirects=True
    )
    assert "未能添加备注：必填" in text(empty)


def test_related_records_list_the_owners_other_requests(client, platform) -> None:
    first = register(platform)
    second = register(platform, description="门窗漏风")
    login(client, "crc")
    assert first.number in text(client.get(f"/requests/{second.instance_id}"))


def test_owner_lookup_finds_owners_by_phone_name_or_unit(client) -> None:
    login(client, "crc")
    for query in ("13800000001", "张伟", "1栋1201", "1201"):
        found = client.get("/complaints/owners", query_string={"q": query})
        assert "张伟" in text(found) and 'value="1:' in found.get_data(as_text=True), query
    assert "没有找到" in text(client.get("/complaints/owners?q=nobody"))
    assert "至少两个字符" in text(client.get("/complaints/owners?q=1"))


def test_registering_a_complaint_starts_its_workflow_and_opens_its_page(client, platform) -> None:
    login(client, "crc")
    page = client.get("/complaints/new?q=13800000002")
    assert "王芳" in text(page)
    owner_unit = re.search(r'name="owner" value="(\d+:\d+)"', page.get_data(as_text=True)).group(1)
    response = client.post(
        "/complaints/new",
        data={"owner": owner_unit, "channel": "forum", "category": "quality", "description": "外墙开裂"},
    )
    assert response.status_code == 302
    instance_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    index = platform.session.get(RequestIndex, instance_id)
    assert (index.owner_name, index.category, index.step, index.status) == (
        "王芳",
        "quality",
        "客服分派",
        "open",
    )
    shown = text(client.get(response.headers["Location"]))
    assert f"已登记投诉 {index.number}" in shown and "投诉论坛" in shown
    assert open_task(platform, instance_id).element_id == "triage"


def test_a_registration_with_missing_parts_says_what_is_missing(client, platform) -> None:
    login(client, "crc")
    response = client.post("/complaints/new", data={"owner": "", "channel": "pigeon", "description": ""})
    assert response.status_code == 422 and "请先查找并选择业主" in text(response)
    response = client.post("/complaints/new", data={"owner": "1:", "channel": "pigeon", "description": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-description"' in html and "请从列表中选择" in text(response)
    response = client.post(
        "/complaints/new", data={"owner": "1:999999", "channel": "hotline", "description": "x"}
    )
    assert response.status_code == 422 and "房号不存在" in text(response)
    response = client.post("/complaints/new", data={"owner": "abc", "channel": "hotline", "description": "x"})
    assert response.status_code == 422 and "请选择列表中的业主" in text(response)


def test_only_the_centre_registers_complaints(client) -> None:
    login(client, "eng")
    assert client.get("/complaints/new").status_code == 403
    assert (
        client.post(
            "/complaints/new", data={"owner": "1:", "channel": "hotline", "description": "x"}
        ).status_code
        == 403
    )


def test_deadline_events_read_plainly_on_the_timeline(client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    instance = platform.runtime.get(complaint.instance_id)
    audit = platform.runtime.audit
    audit.record(instance, "task.reminder", "system", "open", "open", {"timer": "提醒"}, task=task)
    audit.record(instance, "task.overdue", "system", "open", "open", {"timer": "期限"}, task=task)
    audit.record(instance, "task.escalated", "system", "0", "1", {"level": 1, "timer": "升级"}, task=task)
    audit.record(
        instance, "event.uncaught", "system", data={"event": "SignalEventDefinition", "name": "回访"}
    )
    platform.session.commit()
    login(client, "crc")
    shown = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "「客服分派」临近期限，已提醒" in shown and "「客服分派」已超过期限" in shown
    assert "「客服分派」逾期，转一级督办" in shown and "流程发出的事件「回访」没有环节接收" in shown
