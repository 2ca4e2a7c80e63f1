"""Process owners deploy a diagram with its files on the processes page; the version page lists them; a
step drawn without a form is completed with a comment; the field types drawn forms bring are rendered."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.models import AuditEvent
from tests.webapp.pages_support import actor, login, open_task, text

BUNDLES = Path(__file__).resolve().parents[1] / "data" / "bundles"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def upload(client, *names: str, **fields: str):  # type: ignore[no-untyped-def]
    files = [(io.BytesIO((BUNDLES / n).read_bytes()), n) for n in names]
    return client.post("/processes", data={"file": files, **fields}, content_type="multipart/form-data")


def test_a_diagram_is_deployed_with_its_files_and_the_version_lists_them(client) -> None:
    login(client, "admin")
    deployed = upload(client, "rectify_work.bpmn", "rectify_main.bpmn", "rectify_report.json")
    assert deployed.status_code == 302 and deployed.headers["Location"].endswith("/processes/rectify/1")
    page = text(client.get(deployed.headers["Location"]))
    assert "已部署「整改」第 1 版" in page
    assert "rectify_main.bpmn 主流程图" in page and "rectify_work.bpmn 被调用的流程" in page
    assert "随此版本部署的表单" in page and "维修记录 rectify_report 维修内容 * 现场维修" in page
    assert "业主确认 部门：客户关系中心 表单：无表单：填写完成说明（可不填）后完成" in page
    assert "技术信息 步骤编号 Activity_confirm" in page  # the id, folded away
    assert "用户任务没有表单：完成时可填写备注" in page  # the notice, in Chinese
    download = client.get("/processes/rectify/1/files/rectify_work.bpmn")
    assert download.status_code == 200 and download.data == (BUNDLES / "rectify_work.bpmn").read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get("/processes/rectify/1/files/nope.bpmn").status_code == 404


def test_routing_fields_and_refusals_on_the_upload_page(client) -> None:
    login(client, "admin")
    bad_lane = upload(client, "form_data.bpmn", lanes="施工方")
    assert bad_lane.status_code == 422
    page = text(bad_lane)
    assert "lane '施工方' is not written Name=code" in page or "施工方" in page
    assert "施工方" in page  # what was typed stays in the field
    refused = upload(client, "route_by_category.bpmn")
    assert refused.status_code == 422
    assert "route_by_category.bpmn · 第 6 行 · Activity_route" in text(refused)
    assert "业务规则任务运行的决策「department_for_category」不在部署的任何 DMN 文件中" in text(refused)
    ok = upload(client, "route_by_category.bpmn", "department_for_category.dmn", default_department="crc")
    assert ok.status_code == 302


def test_a_step_without_a_form_is_completed_with_a_comment(client, platform) -> None:
    login(client, "admin")
    assert upload(client, "rectify_work.bpmn", "rectify_main.bpmn", "rectify_report.json").status_code == 302
    instance = platform.runtime.start("rectify", {}, actor(platform, "crc"))
    platform.tasks.complete(open_task(platform, instance.id).id, {"done": "已修"}, actor(platform, "eng"))
    platform.session.commit()
    confirm = open_task(platform, instance.id)
    login(client, "crc")
    page = client.get(f"/tasks/{confirm.id}").get_data(as_text=True)
    assert 'name="comment"' in page and ">完成</button>" in page and "此步骤没有表单" in page
    done = client.post(f"/tasks/{confirm.id}/complete", data={"comment": "业主已签字确认"})
    assert done.status_code == 302
    data = platform.session.scalars(
        select(AuditEvent.data).where(AuditEvent.task_id == confirm.id, AuditEvent.kind == "task.completed")
    ).one()
    assert data == {"comment": "业主已签字确认"}


def test_the_field_types_drawn_forms_bring_are_rendered(app) -> None:
    from forms import read_form_file
    from webapp.pages.forms import field_views

    form = read_form_file("site_visit.form", (BUNDLES / "site_visit.form").read_bytes()).forms["site_visit"]
    values = {
        "owner_present": True,
        "urgency": "high",
        "visit_date": "2026-12-01",
        "recheck_at": "2026-12-08T10:00",
    }
    views = field_views(form, lambda name: [], values, {}, {})
    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("_macros.html").make_module({"max_upload": "10 MB"}).form_field
        html = "".join(str(macro(view)) for view in views)
    for expected in (
        'pattern="[0-9]+-[0-9]+"',
        'type="checkbox" id="f-owner_present" name="owner_present" value="true" checked',
        'type="radio" name="urgency" value="high" checked',
        'type="date" id="f-visit_date" name="visit_date" value="2026-12-01"',
        'type="datetime-local" id="f-recheck_at" name="recheck_at" value="2026-12-08T10:00"',
        '<option value="waterproofing" >防水分包</option>',
        'name="tags" value="rework"',
    ):
        assert expected in html, expected
