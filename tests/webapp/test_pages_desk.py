"""The coordinator's day on the pages: registering and triaging in one go, the whole-case deadline, the
reply and the owner's answer in one step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crm.models import RequestIndex
from tests.webapp.pages_support import TRIAGE, complete, login, open_task, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _owner_unit(client, phone: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(f"/complaints/new?q={phone}")
    found = re.search(r'name="owner" value="(\d+:\d+)"', page.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_register_and_triage_in_one_form_sends_it_straight_to_the_department(client, platform) -> None:
    login(client, "crc")
    assert "登记并分派" in text(client.get("/complaints/new"))
    response = client.post(
        "/complaints/new",
        data={
            "owner": _owner_unit(client, "13800000002"),
            "channel": "hotline",
            "category": "quality",
            "description": "外墙开裂",
            "severity": "high",
            "department": "engineering",
            "triage": "1",
        },
    )
    assert response.status_code == 302
    instance_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    row = open_task(platform, instance_id)
    assert (row.element_id, row.department) == ("handle", "engineering")
    index = platform.session.get(RequestIndex, instance_id)
    shown = text(client.get(response.headers["Location"]))
    assert f"已登记投诉 {index.number} 并分派" in shown and "完成了「客服分派」" in shown


def test_register_and_triage_with_a_gap_registers_nothing_and_keeps_what_was_typed(client, platform) -> None:
    login(client, "crc")
    before = platform.session.query(RequestIndex).count()
    response = client.post(
        "/complaints/new",
        data={
            "owner": _owner_unit(client, "13800000002"),
            "channel": "hotline",
            "category": "",
            "description": "外墙开裂",
            "severity": "urgent",
            "department": "",
            "triage": "1",
        },
    )
    assert response.status_code == 422
    shown = text(response)
    assert "外墙开裂" in shown and shown.count("必填") >= 2
    assert 'value="urgent" selected' in response.get_data(as_text=True)
    assert platform.session.query(RequestIndex).count() == before


def test_plain_registration_leaves_triage_to_the_queue(client, platform) -> None:
    login(client, "crc")
    response = client.post(
        "/complaints/new",
        data={
            "owner": _owner_unit(client, "13800000002"),
            "channel": "hotline",
            "description": "外墙开裂",
            "severity": "high",
            "department": "engineering",
        },
    )
    assert response.status_code == 302
    instance_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert open_task(platform, instance_id).element_id == "triage"


def test_the_reply_step_asks_whether_the_owner_was_reached_and_their_answer(client, platform) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    row = open_task(platform, complaint.instance_id)
    login(client, "crc")
    page = text(client.get(f"/tasks/{row.id}"))
    assert "回复业主并确认" in page and "是否联系上业主" in page and "业主是否满意" in page
    response = client.post(f"/tasks/{row.id}/complete", data={"reached": "no", "reply": "已维修，请验收"})
    assert response.status_code == 302
    again = open_task(platform, complaint.instance_id)
    assert again.element_id == "reply" and again.assignee == "crc"
    shown = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "未联系上业主 1 次" in shown


def test_the_case_shows_its_first_response_and_resolution_deadlines(client, platform, clock) -> None:
    complaint = register(platform)  # Friday 10:00
    login(client, "crc")
    shown = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "首次响应时限 2026-11-21 10:00 剩余24小时" in shown
    assert "结案时限" not in shown  # the severity, chosen at triage, decides it
    clock.advance(timedelta(hours=2))
    complete(platform, complaint.instance_id, "crc", TRIAGE)  # high: 3 working days from registration
    shown = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "首次响应时限 2026-11-21 10:00 已按时完成" in shown
    assert "结案时限 2026-11-25 10:00 剩余3个工作日" in shown
    clock.advance(timedelta(days=7))  # Friday 27th, 12:00
    login(client, "crc")  # a week later: a new working day, a new sign-in
    shown = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "结案时限 2026-11-25 10:00 已逾期2天" in shown
