"""The coordinator's day on the pages: registering and triaging in one go, the whole-case deadline, the
reply and the owner's answer in one step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crm.models import RequestIndex
from tests.webapp.pages_support import TRIAGE, actor, complete, login, open_task, register, text


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
    # Friday 12:00 to Wednesday 10:00: Friday afternoon, Monday, Tuesday and one hour on Wednesday.
    assert "结案时限 2026-11-25 10:00 剩余2个工作日6小时" in shown
    clock.advance(timedelta(days=7))  # Friday 27th, 12:00
    login(client, "crc")  # a week later: a new working day, a new sign-in
    shown = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "结案时限 2026-11-25 10:00 已逾期2天" in shown


def test_bulk_claim_takes_every_ticked_task_and_reports_one_a_colleague_took(client, platform) -> None:
    first, second, third = (register(platform) for _ in range(3))
    rows = [open_task(platform, c.instance_id) for c in (first, second, third)]
    platform.tasks.claim(rows[2].id, actor(platform, "crc_sup"))
    platform.session.commit()
    login(client, "crc")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert 'form="bulk"' in inbox and "批量认领" in inbox and "data-keyboard" in inbox
    response = client.post(
        "/inbox/bulk", data={"action": "claim", "task_id": [str(r.id) for r in rows], "next": "/inbox"}
    )
    assert response.status_code == 302
    shown = text(client.get("/inbox"))
    assert "已认领 2 个任务" in shown
    assert f"任务 {rows[2].id} 未处理：已被同事认领" in shown
    platform.session.expire_all()
    assert [open_task(platform, c.instance_id).assignee for c in (first, second, third)] == [
        "crc",
        "crc",
        "crc_sup",
    ]


def test_bulk_assign_gives_the_ticked_tasks_to_a_colleague_by_name(client, platform) -> None:
    first, second = register(platform), register(platform)
    rows = [open_task(platform, c.instance_id) for c in (first, second)]
    login(client, "crc")
    assert "王强（客服中心主管）" in text(client.get("/inbox"))
    client.post(
        "/inbox/bulk",
        data={"action": "assign", "username": "crc_sup", "task_id": [str(r.id) for r in rows]},
    )
    assert "已把 2 个任务交给 王强（客服中心主管）" in text(client.get("/inbox"))
    platform.session.expire_all()
    assert {open_task(platform, c.instance_id).assignee for c in (first, second)} == {"crc_sup"}


def test_bulk_work_refuses_tasks_of_another_department(client, platform) -> None:
    complaint = register(platform)
    row = open_task(platform, complaint.instance_id)
    login(client, "eng")
    client.post("/inbox/bulk", data={"action": "claim", "task_id": [str(row.id)]})
    assert f"任务 {row.id} 未处理：不是您所在部门的任务" in text(client.get("/inbox"))
    platform.session.expire_all()
    assert open_task(platform, complaint.instance_id).assignee is None
    client.post("/inbox/bulk", data={"action": "claim"})
    assert "请先勾选任务" in text(client.get("/inbox"))


def test_the_print_view_has_the_case_without_menus_or_forms(client, platform) -> None:
    complaint = register(platform, phone="13800000003")  # 刘洋, a major account
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    login(client, "crc")
    assert "打印" in text(client.get(f"/requests/{complaint.instance_id}"))
    page = client.get(f"/requests/{complaint.instance_id}/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<form" not in html and "<nav" not in html and "收件箱" not in html
    shown = text(page)
    assert complaint.number in shown and "刘洋 重要客户" in shown
    assert "客服分派 李娜（客服专员）" in shown and "紧急程度 高" in shown
    assert "当前步骤：责任部门处理（工程部）" in shown and "结案时限" in shown
    login(client, "design")
    assert client.get(f"/requests/{complaint.instance_id}/print").status_code == 403


@pytest.mark.parametrize(("phone", "flag"), [("13800000003", "重要客户"), ("13800000005", "集团客户")])
def test_major_and_group_owners_are_flagged_wherever_their_case_appears(
    client, platform, phone, flag
) -> None:
    complaint = register(platform, phone=phone)
    plain = register(platform)  # 张伟, a regular owner
    row = open_task(platform, complaint.instance_id)
    login(client, "crc")
    for path in (
        "/",
        "/inbox",
        f"/tasks/{row.id}",
        f"/requests/{complaint.instance_id}",
        f"/requests/{complaint.instance_id}/print",
        f"/lookup?q={complaint.number}",
        f"/complaints/new?q={phone}",
    ):
        assert re.search(flag + "(?!关系中心)", text(client.get(path))), path
    for path in (f"/tasks/{open_task(platform, plain.instance_id).id}", f"/requests/{plain.instance_id}"):
        assert not re.search("(重要客户|集团客户)(?!关系中心)", text(client.get(path))), path
