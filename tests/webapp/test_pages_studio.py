"""The process owners' studio: drafts (per owner, never deployed, started or in an inbox), the checks as a
process is drawn, deploying with a change note, rolling back, and a version's steps in plain words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.errors import NotFound
from engine.models import HumanTask, ProcessDefinition
from tests.conftest import DATA
from tests.webapp.pages_support import actor, login, text

REPAIR = (DATA / "studio" / "repair_visit.bpmn").read_text()


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def unrouted(xml: str) -> str:
    """The repair diagram with its step sent nowhere (no department, no lane, no default)."""
    return xml.replace('<spiffworkflow:property name="candidateGroups" value="engineering" />', "")


def versions(platform, key: str) -> int:  # type: ignore[no-untyped-def]
    return platform.session.scalar(select(func.count()).where(ProcessDefinition.key == key))


def test_only_process_owners_open_the_studio(client) -> None:
    login(client, "crc")
    assert client.get("/processes/complaint/studio").status_code == 403
    assert client.get("/processes/studio/new").status_code == 403
    assert client.post("/processes/studio/new/draft", json={"xml": REPAIR}).status_code == 403
    login(client, "admin")
    assert client.get("/processes/no_such_process/studio").status_code == 404
    page = client.get("/processes/complaint/studio")
    assert page.status_code == 200
    assert "流程工作室" in text(page) and "基于第 1 版" in text(page)
    assert "在工作室中编辑" in text(client.get("/processes/complaint/1"))
    assert "在工作室中新建流程" in text(client.get("/processes"))


def test_a_draft_is_saved_per_owner_and_reopened(client, platform) -> None:
    login(client, "admin")
    saved = client.post("/processes/studio/new/draft", json={"xml": REPAIR})
    assert saved.status_code == 200 and saved.json["saved_at"]
    page = client.get("/processes/studio/new").get_data(as_text=True)
    assert "repair_visit" in page and "放弃草稿" in page
    # Someone else's drafts are their own.
    platform.drafts.save("someone_else", "", "<other/>", None)
    assert platform.drafts.get("admin", "").bpmn_xml == REPAIR
    assert platform.drafts.get("someone_else", "").bpmn_xml == "<other/>"
    # Saving again keeps the version the draft started from.
    client.post("/processes/complaint/studio/draft", json={"xml": "<first/>"})
    assert platform.drafts.get("admin", "complaint").base_version == 1
    discarded = client.post("/processes/studio/new/discard")
    assert discarded.status_code == 302 and platform.drafts.get("admin", "") is None


def test_a_draft_is_never_deployed_started_or_in_an_inbox(client, platform) -> None:
    login(client, "admin")
    assert client.post("/processes/studio/new/draft", json={"xml": REPAIR}).status_code == 200
    assert versions(platform, "repair_visit") == 0
    with pytest.raises(NotFound):
        platform.runtime.start("repair_visit", {}, actor(platform, "eng"))
    assert platform.session.scalar(select(func.count()).where(HumanTask.process_key == "repair_visit")) == 0
    login(client, "eng")
    assert "上门维修" not in text(client.get("/inbox"))
    assert "上门维修" not in text(client.get("/start"))
    assert client.get("/start/repair_visit").status_code == 404


def test_the_checks_name_each_problem_and_its_element_in_chinese(client) -> None:
    login(client, "admin")
    checked = client.post("/processes/studio/new/check", json={"xml": unrouted(REPAIR)})
    assert checked.status_code == 200
    problems = checked.json["problems"]
    assert [p["element_id"] for p in problems] == ["visit"]
    assert "没有指定部门：请在右侧「办理」中选择部门" in problems[0]["message"]
    good = client.post("/processes/studio/new/check", json={"xml": REPAIR}).json
    assert good["problems"] == []
    # The key of a deployed process stays; a new process may not take another's.
    renamed = client.post("/processes/complaint/studio/check", json={"xml": REPAIR}).json["problems"]
    assert "流程编号必须仍是「complaint」" in renamed[0]["message"]
    taken = Path("workflows/complaint.bpmn").read_text()
    assert (
        "已被另一个流程使用"
        in client.post("/processes/studio/new/check", json={"xml": taken}).json["problems"][0]["message"]
    )


def test_bad_requests_are_refused_with_a_message(client) -> None:
    login(client, "admin")
    assert client.post("/processes/studio/new/check", data="x", content_type="text/plain").status_code == 400
    assert client.post("/processes/studio/new/check", json={"xml": ""}).status_code == 400
    assert client.post("/processes/studio/new/check", json={"xml": 3}).status_code == 400
    garbage = client.post("/processes/studio/new/check", json={"xml": "<not closed"})
    assert garbage.status_code == 200 and "XML 格式错误" in garbage.json["problems"][0]["message"]
    huge = client.post("/processes/studio/new/draft", json={"xml": "x" * (5 * 1024 * 1024 + 1)})
    assert huge.status_code == 413 and huge.json["message"]
    assert client.post("/processes/nope/studio/check", json={"xml": REPAIR}).status_code == 404


def test_deploying_needs_a_change_note_and_a_diagram_without_problems(client, platform) -> None:
    login(client, "admin")
    client.post("/processes/studio/new/draft", json={"xml": REPAIR})
    no_note = client.post("/processes/studio/new/deploy", json={"xml": REPAIR, "note": "  "})
    assert no_note.status_code == 422 and "请填写变更说明" in no_note.json["message"]
    refused = client.post("/processes/studio/new/deploy", json={"xml": unrouted(REPAIR), "note": "新流程"})
    assert refused.status_code == 422 and refused.json["problems"][0]["element_id"] == "visit"
    assert versions(platform, "repair_visit") == 0
    deployed = client.post("/processes/studio/new/deploy", json={"xml": REPAIR, "note": "新增上门维修"})
    assert deployed.status_code == 200 and deployed.json["url"] == "/processes/repair_visit/1"
    definition = platform.definitions.get("repair_visit", 1)
    assert definition.change_note == "新增上门维修" and definition.deployed_by == "admin"
    assert definition.filename == "repair_visit.bpmn"
    assert platform.drafts.get("admin", "") is None  # deployed: the draft is done with
    page = text(client.get("/processes/repair_visit/1"))
    assert "已部署「上门维修」第 1 版" in page and "新增上门维修" in page
    # The same diagram again is no new version.
    same = client.post("/processes/repair_visit/studio/deploy", json={"xml": REPAIR, "note": "再来"})
    assert same.status_code == 409 and "未部署新版本" in same.json["message"]


def test_a_gateway_is_offered_the_answers_of_the_forms_as_conditions(client) -> None:
    login(client, "admin")
    page = client.get("/processes/studio/new").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="studio-data">(.*?)</script>', page, re.S)
    assert found is not None
    outcomes = json.loads(found.group(1))["outcomes"]
    assert ["复验结果为「通过」", 'verified == "pass"'] in outcomes["defect_verify"]
    assert ["业主是否满意为「是」", 'satisfied == "yes"'] in outcomes["complaint_confirm"]
    assert "complaint_handle" not in outcomes  # nothing in it to decide on


def step_parts(html: str, step: str) -> tuple[str, str]:
    """(what a version page's step shows, what it folds under 技术信息)."""
    found = re.search(rf'<li data-step="{step}">(.*?)<details(.*?)</details>', html, re.S)
    assert found is not None
    return found.group(1), found.group(2)


def test_the_version_page_says_each_step_in_plain_words(client) -> None:
    login(client, "admin")
    client.post("/processes/studio/new/deploy", json={"xml": REPAIR, "note": "新增上门维修"})
    page = text(client.get("/processes/repair_visit/1"))
    assert "上门维修" in page and "部门：工程部" in page
    assert "谁可以发起 所有员工" in page and "发起表单 无发起表单" in page
    assert "表单：无表单：填写完成说明（可不填）后完成" in page
    assert "时限：2 个工作日" in page
    assert "提醒：36 小时" in page
    assert "升级（一级督办）：20 个工作小时" in page
    # The step's id is there for the one who edits the diagram, folded away under 技术信息.
    html = client.get("/processes/repair_visit/1").get_data(as_text=True)
    shown, folded = step_parts(html, "visit")
    assert "<code" not in shown and "visit" not in re.sub(r"<[^>]+>", "", shown)
    assert "技术信息" in folded and "<code>visit</code>" in folded
    # A deadline computed by the diagram's own script says so; its expression is folded away with the ids.
    complaint = client.get("/processes/complaint/1").get_data(as_text=True)
    shown, folded = step_parts(complaint, "triage")
    assert "由表达式计算" in shown and "triage_due" not in shown and "complaint_triage" not in shown
    assert "<code>triage_due</code>" in folded and "<code>complaint_triage</code>" in folded


def test_rolling_back_deploys_the_old_version_again(client, platform) -> None:
    login(client, "admin")
    client.post("/processes/studio/new/deploy", json={"xml": REPAIR, "note": "两个工作日"})
    three = REPAIR.replace("working_days(2)", "working_days(3)")
    second = client.post("/processes/repair_visit/studio/deploy", json={"xml": three, "note": "三个工作日"})
    assert second.status_code == 200
    assert "时限：3 个工作日" in text(client.get("/processes/repair_visit/2"))
    assert "回滚到此版本" in text(client.get("/processes/repair_visit/1"))
    assert "回滚到此版本" not in text(client.get("/processes/repair_visit/2"))  # the latest already

    rolled = client.post("/processes/repair_visit/1/rollback")
    assert rolled.status_code == 302 and rolled.headers["Location"].endswith("/processes/repair_visit/3")
    first, third = platform.definitions.get("repair_visit", 1), platform.definitions.get("repair_visit", 3)
    assert third.change_note == "回滚到第1版"
    assert third.checksum == first.checksum
    assert platform.definitions.deployed_files(third) == platform.definitions.deployed_files(first)
    page = text(client.get(rolled.headers["Location"]))
    assert "已回滚" in page and "时限：2 个工作日" in page
    again = client.post("/processes/repair_visit/1/rollback")
    assert again.headers["Location"].endswith("/processes/repair_visit/3")
    assert versions(platform, "repair_visit") == 3
    assert client.post("/processes/repair_visit/9/rollback").status_code == 404
    # An upload's companion files and routing go with the studio's diagram: the complaint keeps its forms.
    complaint = platform.definitions.get("complaint", 1)
    assert [n for n, _ in platform.definitions.deployed_files(complaint)][0] == "complaint.bpmn"


def starting(xml: str, departments: str | None, form: str | None) -> str:
    """The repair diagram with who may start it and its start form as the studio's panel writes them."""
    if departments is not None:
        xml = xml.replace(
            'isExecutable="true">',
            'isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="startableBy" value="{departments}" />'
            "</spiffworkflow:properties></bpmn:extensionElements>",
        )
    if form is not None:
        xml = xml.replace(
            '<bpmn:startEvent id="start" name="开始">',
            '<bpmn:startEvent id="start" name="开始"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formKey" value="{form}" />'
            "</spiffworkflow:properties></bpmn:extensionElements>",
        )
    return xml


def test_who_may_start_a_process_and_its_start_form_are_set_in_the_studio(client) -> None:
    login(client, "admin")
    # What the panel cannot have meant is marked in Chinese, pointing to where it is set.
    wrong = starting(REPAIR, "engineering,no_such_department", "no_such_form")
    problems = client.post("/processes/studio/new/check", json={"xml": wrong}).json["problems"]
    messages = {p["element_id"]: p["message"] for p in problems}
    assert "「谁可以发起」中的「no_such_department」不是部门" in messages["repair_visit"]
    assert "右侧「发起」中重新勾选部门" in messages["repair_visit"]
    assert "没有键名为「no_such_form」的发起表单" in messages["start"]
    refused = client.post("/processes/studio/new/deploy", json={"xml": wrong, "note": "发起"})
    assert refused.status_code == 422 and len(refused.json["problems"]) == 2

    good = starting(REPAIR, "engineering", "defect_verify")
    deployed = client.post("/processes/studio/new/deploy", json={"xml": good, "note": "工程部发起"})
    assert deployed.status_code == 200
    # The version page says it too, in words.
    version = text(client.get("/processes/repair_visit/1"))
    assert "谁可以发起 工程部" in version and "发起表单 整改复验" in version
    # A member of the department sees it on 发起流程 with the start form's field; another department does not.
    login(client, "eng")
    assert "上门维修" in text(client.get("/start"))
    form = client.get("/start/repair_visit")
    assert form.status_code == 200 and "复验结果" in text(form)
    login(client, "crc")
    assert "上门维修" not in text(client.get("/start"))
    assert client.get("/start/repair_visit").status_code in (403, 404)


def test_the_compare_page_says_who_may_start_and_the_start_form_that_changed(client) -> None:
    login(client, "admin")
    client.post("/processes/studio/new/deploy", json={"xml": REPAIR, "note": "所有人可发起"})
    second = starting(REPAIR, "engineering,crc", "defect_verify")
    assert (
        client.post("/processes/repair_visit/studio/deploy", json={"xml": second, "note": "限定"}).status_code
        == 200
    )
    changes = text(client.get("/processes/repair_visit/compare?a=1&b=2"))
    assert "谁可以发起 所有员工 工程部、客户关系中心" in changes
    assert "发起表单 无发起表单 整改复验" in changes
