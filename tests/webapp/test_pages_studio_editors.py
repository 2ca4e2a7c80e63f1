"""The studio's form and decision table editors: what they save goes into the owner's draft (never seen by
running tasks), the checks read it, and deploying makes it the new version's file; what cannot be read is
refused with a Chinese message and nothing saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine.models import HumanTask, ProcessDraft, ProcessDraftFile
from tests.conftest import DATA
from tests.webapp.pages_support import actor, login, text

REPAIR = (DATA / "studio" / "repair_visit.bpmn").read_text()
WITH_FORM = REPAIR.replace(
    '<spiffworkflow:property name="candidateGroups" value="engineering" />',
    '<spiffworkflow:property name="candidateGroups" value="engineering" />\n'
    '          <spiffworkflow:property name="formKey" value="visit_record" />',
)
# The repair, then a business rule task that runs the decision visit_priority.
WITH_DECISION = WITH_FORM.replace(
    '<bpmn:sequenceFlow id="to_visit" sourceRef="start" targetRef="visit" />',
    '<bpmn:sequenceFlow id="to_rate" sourceRef="start" targetRef="rate" />\n'
    '    <bpmn:businessRuleTask id="rate" name="评定优先级">\n'
    "      <bpmn:extensionElements>\n"
    "        <spiffworkflow:calledDecisionId>visit_priority</spiffworkflow:calledDecisionId>\n"
    "      </bpmn:extensionElements>\n"
    "      <bpmn:incoming>to_rate</bpmn:incoming>\n"
    "      <bpmn:outgoing>to_visit</bpmn:outgoing>\n"
    "    </bpmn:businessRuleTask>\n"
    '    <bpmn:sequenceFlow id="to_visit" sourceRef="rate" targetRef="visit" />',
).replace(
    "<bpmn:outgoing>to_visit</bpmn:outgoing>\n    </bpmn:startEvent>",
    "<bpmn:outgoing>to_rate</bpmn:outgoing>\n    </bpmn:startEvent>",
)

TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="visit_priority_definitions"
             name="上门优先级" namespace="http://lintel/dmn">
  <decision id="visit_priority" name="上门优先级">
    <decisionTable id="visit_priority_table">
      <input id="input_1" label="严重程度">
        <inputExpression id="input_expression_1" typeRef="string"><text>severity</text></inputExpression>
      </input>
      <output id="output_1" label="优先级" name="priority_level" typeRef="string" />
      <rule id="rule_1">
        <inputEntry id="rule_1_in"><text>"urgent"</text></inputEntry>
        <outputEntry id="rule_1_out"><text>"high"</text></outputEntry>
      </rule>
      <rule id="rule_2">
        <inputEntry id="rule_2_in"><text>-</text></inputEntry>
        <outputEntry id="rule_2_out"><text>"normal"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def form(*keys: str) -> str:
    """A Camunda Forms document (as form-js saves it) with a text field per key."""
    components: list[dict[str, Any]] = [{"type": "text", "id": "title", "text": "# 上门记录"}]
    components += [{"type": "textfield", "id": f"f_{k}", "key": k, "label": f"字段{k}"} for k in keys]
    return json.dumps(
        {"type": "default", "id": "visit_record", "schemaVersion": 18, "components": components}
    )


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def save(client, key: str, filename: str, content: str, xml: str = WITH_FORM) -> Any:  # type: ignore[no-untyped-def]
    url = "/processes/studio/new/files" if not key else f"/processes/{key}/studio/files"
    return client.post(url, json={"filename": filename, "content": content, "xml": xml})


def field_names(platform, definition) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.name for f in platform.validator.form("visit_record", definition).fields]


def draft_files(platform) -> int:  # type: ignore[no-untyped-def]
    return platform.session.scalar(select(func.count()).select_from(ProcessDraftFile))


def test_a_form_saved_in_the_draft_is_checked_and_deployed_with_the_diagram(client, platform) -> None:
    login(client, "admin")
    # Without its form the task's form key names nothing: the checks say so.
    missing = client.post("/processes/studio/new/check", json={"xml": WITH_FORM}).json["problems"]
    assert [p["element_id"] for p in missing] == ["visit"]
    assert "没有键名为「visit_record」的表单：请在右侧「办理」中选择表单，或新建表单" in missing[0]["message"]
    saved = save(client, "", "visit_record.form", form("note"))
    assert saved.status_code == 200 and saved.json["saved_at"]
    assert [(f["filename"], f["source"], f["title"]) for f in saved.json["files"]] == [
        ("visit_record.form", "new", "上门记录")
    ]
    assert saved.json["forms"] == [["visit_record", "上门记录"]]
    # Saving a file saves the diagram as drawn with it: reopening the studio gives both.
    assert platform.drafts.get("admin", "").bpmn_xml == WITH_FORM
    page = client.get("/processes/studio/new")
    assert "visit_record.form" in page.get_data(as_text=True) and "表单与决策表" in text(page)
    opened = client.get("/processes/studio/new/files/visit_record.form")
    assert opened.status_code == 200 and json.loads(opened.json["content"])["id"] == "visit_record"
    assert client.post("/processes/studio/new/check", json={"xml": WITH_FORM}).json["problems"] == []

    deployed = client.post("/processes/studio/new/deploy", json={"xml": WITH_FORM, "note": "上门记录表单"})
    assert deployed.status_code == 200, deployed.json
    v1 = platform.definitions.get("repair_visit", 1)
    assert [n for n, _ in platform.definitions.deployed_files(v1)] == [
        "repair_visit.bpmn",
        "visit_record.form",
    ]
    assert field_names(platform, v1) == ["note"]
    assert platform.drafts.get("admin", "") is None and draft_files(platform) == 0
    assert "上门记录" in text(client.get("/processes/repair_visit/1"))


def test_a_drafted_form_is_not_seen_by_running_tasks_and_the_old_version_keeps_its_own(
    client, platform
) -> None:
    login(client, "admin")
    save(client, "", "visit_record.form", form("note"))
    client.post("/processes/studio/new/deploy", json={"xml": WITH_FORM, "note": "上门记录表单"})
    v1 = platform.definitions.get("repair_visit", 1)
    platform.runtime.start("repair_visit", {}, actor(platform, "eng"))
    platform.session.commit()
    row = platform.session.scalars(select(HumanTask).where(HumanTask.process_key == "repair_visit")).one()

    # The studio opens the version's form; a change stays in the draft, which no task reads.
    assert client.get("/processes/repair_visit/studio/files/visit_record.form").json["source"] == "version"
    assert save(client, "repair_visit", "visit_record.form", form("note", "photo")).status_code == 200
    assert [f.name for f in platform.validator.task_form(row).fields] == ["note"]
    assert field_names(platform, platform.definitions.latest("repair_visit")) == ["note"]
    assert client.get("/processes/repair_visit/studio/files/visit_record.form").json["source"] == "draft"

    deployed = client.post("/processes/repair_visit/studio/deploy", json={"xml": WITH_FORM, "note": "加照片"})
    assert deployed.status_code == 200 and deployed.json["url"] == "/processes/repair_visit/2"
    assert field_names(platform, platform.definitions.get("repair_visit", 2)) == ["note", "photo"]
    # The running request keeps version 1 and its form.
    assert field_names(platform, v1) == ["note"]
    assert [f.name for f in platform.validator.task_form(row).fields] == ["note"]


def test_a_decision_table_saved_in_the_draft_lets_a_business_rule_task_run_it(client, platform) -> None:
    login(client, "admin")
    save(client, "", "visit_record.form", form("note"), xml=WITH_DECISION)
    problems = client.post("/processes/studio/new/check", json={"xml": WITH_DECISION}).json["problems"]
    assert [p["element_id"] for p in problems] == ["rate"]
    assert "没有编号为「visit_priority」的决策" in problems[0]["message"]
    saved = save(client, "", "visit_priority.dmn", TABLE, xml=WITH_DECISION)
    assert saved.status_code == 200
    table = next(f for f in saved.json["files"] if f["kind"] == "dmn")
    assert table["keys"] == ["visit_priority"] and table["title"] == "上门优先级"
    assert client.post("/processes/studio/new/check", json={"xml": WITH_DECISION}).json["problems"] == []
    deployed = client.post("/processes/studio/new/deploy", json={"xml": WITH_DECISION, "note": "按严重程度"})
    assert deployed.status_code == 200, deployed.json
    v1 = platform.definitions.get("repair_visit", 1)
    assert "visit_priority.dmn" in [n for n, _ in platform.definitions.deployed_files(v1)]
    instance = platform.runtime.start("repair_visit", {"severity": "urgent"}, actor(platform, "eng"))
    workflow, _compiled = platform.runtime.load(instance)
    ready = workflow.get_tasks(state=TaskState.READY)
    assert [t.task_spec.name for t in ready] == ["visit"] and ready[0].data["priority_level"] == "high"


def test_a_file_that_cannot_be_read_is_refused_in_chinese_and_nothing_is_saved(client, platform) -> None:
    login(client, "admin")
    for filename, content, words in [
        ("visit_record.form", '{"components": [', "表单不是有效的 JSON"),
        ("visit_record.form", '{"key": "x", "fields": []}', "不是表单编辑器的表单"),
        ("visit_priority.dmn", "<definitions", "决策表不是有效的 XML"),
        ("visit_priority.dmn", "<bpmn/>", "不是 DMN 决策表文件"),
        ("visit.bpmn", "<x/>", "文件名「visit.bpmn」不可用"),
        ("../etc.form", form("note"), "不可用"),
    ]:
        refused = save(client, "", filename, content)
        assert refused.status_code == 422, filename
        assert words in refused.json["message"]
    assert platform.session.scalar(select(func.count()).select_from(ProcessDraft)) == 0
    assert draft_files(platform) == 0
    assert client.get("/processes/studio/new/files/nothing.form").status_code == 404


def test_a_form_or_table_the_checks_refuse_is_kept_and_marked_before_deploy(client, platform) -> None:
    login(client, "admin")
    odd = json.loads(form("note"))
    odd["components"].append({"type": "filepicker", "id": "upload", "key": "upload", "label": "附件"})
    assert save(client, "", "visit_record.form", json.dumps(odd)).status_code == 200
    bad_table = TABLE.replace('<text>"high"</text>', "<text>high level</text>")
    assert save(client, "", "visit_priority.dmn", bad_table, xml=WITH_DECISION).status_code == 200
    problems = client.post("/processes/studio/new/check", json={"xml": WITH_DECISION}).json["problems"]
    messages = [p["message"] for p in problems]
    assert any(
        m.startswith("表单「visit_record.form」：") and "不支持组件类型「filepicker」" in m for m in messages
    )
    assert any(m.startswith("决策表「visit_priority.dmn」") for m in messages), messages
    refused = client.post("/processes/studio/new/deploy", json={"xml": WITH_DECISION, "note": "试试"})
    assert refused.status_code == 422 and "未部署" in refused.json["message"]
    assert platform.definitions.latest_or_none("repair_visit") is None
    # Discarding the draft discards its files.
    client.post("/processes/studio/new/discard")
    assert draft_files(platform) == 0


def test_an_uploaded_form_keeps_its_file_name_when_edited_in_the_studio(client, platform) -> None:
    named = WITH_FORM.replace('value="visit_record"', 'value="上门记录"')
    uploaded = json.loads(form("note"))
    uploaded["id"] = "上门记录"
    platform.definitions.deploy(
        [("repair_visit.bpmn", named.encode()), ("上门记录.form", json.dumps(uploaded).encode())],
        actor="admin",
    )
    platform.session.commit()
    login(client, "admin")
    files = client.get("/processes/repair_visit/studio").get_data(as_text=True)
    assert "上门记录.form" in files
    uploaded["components"].append({"type": "textarea", "id": "f_more", "key": "more", "label": "补充"})
    saved = save(client, "repair_visit", "上门记录.form", json.dumps(uploaded), xml=named)
    assert saved.status_code == 200, saved.json
    assert [f["source"] for f in saved.json["files"]] == ["draft"]
    # A new file's name is plain, though.
    assert save(client, "repair_visit", "新表单.form", form("note"), xml=named).status_code == 422
