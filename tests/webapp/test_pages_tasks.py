"""The task page: the form from forms/ with inline errors, uploads, claim/assign, and who may do what."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from crm.platform import Platform
from tests.webapp.pages_support import TRIAGE, actor, complete, login, open_task, register, text

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"0" * 100


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["LINTEL_UPLOAD_MAX_BYTES"] = "2048"
    return app


def handling_task(platform):  # type: ignore[no-untyped-def]
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    return complaint, open_task(platform, complaint.instance_id)


def test_the_form_is_rendered_from_its_definition_with_the_request_beside_it(client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    login(client, "crc")
    page = client.get(f"/tasks/{task.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="severity"' in html and '<option value="urgent"' in html and 'value="engineering"' in html
    shown = text(page)
    assert "投诉分派" in shown and "紧急程度" in shown and "责任部门" in shown
    assert complaint.number in shown and "张伟" in shown and "卫生间天花板渗水" in shown


def test_an_invalid_form_comes_back_with_an_error_beside_each_field_and_the_values_kept(
    client, platform
) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    login(client, "crc")
    response = client.post(
        f"/tasks/{task.id}/complete",
        data={"category": "quality", "severity": "catastrophic", "note": "先看现场"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-severity"' in html and 'id="err-department"' in html and 'id="err-category"' not in html
    assert "请从列表中选择" in text(response) and "必填" in text(response)
    assert '<option value="quality" selected>' in html and "先看现场" in html
    assert open_task(platform, complaint.instance_id).id == task.id

    fixed = client.post(f"/tasks/{task.id}/complete", data=TRIAGE)
    assert fixed.status_code == 302
    platform.session.expire_all()
    assert open_task(platform, complaint.instance_id).department == "engineering"


def test_a_handler_can_neither_see_nor_act_on_another_departments_task(client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    login(client, "eng")
    assert client.get(f"/tasks/{task.id}").status_code == 403
    for action in ("claim", "unclaim", "complete"):
        response = client.post(f"/tasks/{task.id}/{action}", data=TRIAGE)
        assert response.status_code == 403, action
    assert client.post(f"/tasks/{task.id}/assign", data={"username": "eng"}).status_code == 403
    assert client.get(f"/requests/{complaint.instance_id}").status_code == 403
    platform.session.expire_all()
    row = open_task(platform, complaint.instance_id)
    assert (row.id, row.assignee, row.state) == (task.id, None, "open")


def test_a_supervisor_sees_every_task_but_acts_only_in_their_department(client, platform) -> None:
    complaint, task = handling_task(platform)
    login(client, "crc_sup")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "只有本部门的成员才能处理此任务" in text(page)
    assert f'action="/tasks/{task.id}/complete"' not in page.get_data(as_text=True)
    assert client.post(f"/tasks/{task.id}/complete", data={"resolution": "x"}).status_code == 403


def test_claim_unclaim_assign_and_delegate(app, client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    login(client, "crc")
    assert client.post(f"/tasks/{task.id}/claim").status_code == 302
    assert "已认领" in text(client.get(f"/tasks/{task.id}"))
    # delegate: the claimant hands it to a colleague of the department
    assert client.post(f"/tasks/{task.id}/assign", data={"username": "crc_sup"}).status_code == 302
    platform.session.expire_all()
    assert open_task(platform, complaint.instance_id).assignee == "crc_sup"
    # now claimed by a colleague: claiming or completing is refused with a message, not an error page
    refused = client.post(f"/tasks/{task.id}/claim", follow_redirects=True)
    assert "此任务已由 王强（客服中心主管） 认领。" in text(refused)
    refused = client.post(f"/tasks/{task.id}/complete", data=TRIAGE, follow_redirects=True)
    assert refused.status_code == 409 and "此任务已由 王强（客服中心主管） 认领。" in text(refused)
    assert (
        client.post(
            f"/tasks/{task.id}/assign", data={"username": "nobody"}, follow_redirects=True
        ).status_code
        == 200
    )

    colleague = app.test_client()
    login(colleague, "crc_sup")
    assert colleague.post(f"/tasks/{task.id}/unclaim").status_code == 302
    platform.session.expire_all()
    assert open_task(platform, complaint.instance_id).assignee is None
    # assign to someone outside the department: refused
    assert colleague.post(f"/tasks/{task.id}/assign", data={"username": "eng"}).status_code == 403


def test_completing_a_task_twice_says_so(client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    login(client, "crc")
    assert client.post(f"/tasks/{task.id}/complete", data=TRIAGE).status_code == 302
    again = client.post(f"/tasks/{task.id}/complete", data=TRIAGE, follow_redirects=True)
    assert again.status_code == 200 and "此任务已完成" in text(again)


def test_photos_are_stored_under_the_instance_folder_and_completed_with_the_task(
    app, client, platform
) -> None:
    complaint, task = handling_task(platform)
    login(client, "eng")
    response = client.post(
        f"/tasks/{task.id}/complete",
        data={
            "resolution": "已更换防水层",
            "attachments": [(io.BytesIO(JPEG), "现场.jpg"), (io.BytesIO(PDF), "报告.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text(response)
    files = list(
        (Path(app.config["LINTEL_INSTANCE_PATH"]) / "uploads" / str(complaint.instance_id)).iterdir()
    )
    assert sorted(p.suffix for p in files) == [".jpg", ".pdf"]
    login(client, "crc")
    page = client.get(f"/requests/{complaint.instance_id}")
    assert "现场.jpg" in text(page) and "报告.pdf" in text(page)
    token = files[0].stem
    with client.get(f"/attachments/{token}") as download:
        assert download.status_code == 200 and download.data in (JPEG, PDF)
        assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("big.jpg", JPEG + b"\x00" * 4096, "文件超过 2 KB"),
        ("virus.exe", b"MZ\x90\x00", "只接受 .jpg, .jpeg, .png, .pdf 文件"),
        ("photo.jpg", b"this is not a photo", "文件内容不是 .jpg 格式"),
        ("empty.png", b"", "文件为空"),
    ],
)
def test_uploads_over_the_limit_or_of_a_wrong_type_are_refused_with_a_clear_message(
    app, client, platform, filename, content, message
) -> None:
    complaint, task = handling_task(platform)
    login(client, "eng")
    response = client.post(
        f"/tasks/{task.id}/complete",
        data={"resolution": "已处理", "attachments": [(io.BytesIO(content), filename)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in text(response) and 'id="err-attachments"' in response.get_data(as_text=True)
    assert "已处理" in response.get_data(as_text=True)
    assert open_task(platform, complaint.instance_id).id == task.id
    folder = Path(app.config["LINTEL_INSTANCE_PATH"]) / "uploads" / str(complaint.instance_id)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_upload_kept_from_a_refused_form_need_not_be_chosen_again(client, platform) -> None:
    complaint, task = handling_task(platform)
    login(client, "eng")
    refused = client.post(
        f"/tasks/{task.id}/complete",
        data={"resolution": "", "attachments": [(io.BytesIO(JPEG), "现场.jpg")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "必填" in text(refused)
    html = refused.get_data(as_text=True)
    token = re.search(r'name="attachments" value="([0-9a-f]{32})" checked', html).group(1)
    done = client.post(f"/tasks/{task.id}/complete", data={"resolution": "已处理", "attachments": token})
    assert done.status_code == 302
    stolen = register(platform)
    complete(platform, stolen.instance_id, "crc", TRIAGE)
    other = open_task(platform, stolen.instance_id)
    borrowed = client.post(f"/tasks/{other.id}/complete", data={"resolution": "x", "attachments": token})
    assert borrowed.status_code == 422 and "附件不属于此请求" in text(borrowed)


def test_a_body_over_the_request_limit_gets_a_page_not_a_traceback(app, client, platform) -> None:
    complaint, task = handling_task(platform)
    login(client, "eng")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    huge = b"\xff\xd8\xff" + b"0" * (64 * 1024)
    response = client.post(
        f"/tasks/{task.id}/complete",
        data={"resolution": "x", "attachments": [(io.BytesIO(huge), "huge.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "上传的内容太大" in text(response)


def test_waiting_for_the_owner_stops_the_deadline_and_answering_resumes_it(client, platform) -> None:
    complaint, task = handling_task(platform)
    login(client, "eng")
    waiting = client.post(
        f"/tasks/{task.id}/wait", data={"note": "业主出差，下周回来"}, follow_redirects=True
    )
    assert "期限已暂停" in text(waiting) and "等待业主，期限暂停" in text(waiting)
    assert "等待业主，期限暂停" in text(client.get("/inbox"))
    again = client.post(f"/tasks/{task.id}/wait", follow_redirects=True)
    assert "此任务已在等待业主答复" in text(again)
    resumed = client.post(f"/tasks/{task.id}/resume", follow_redirects=True)
    assert "期限恢复计时" in text(resumed)
    login(client, "crc")
    timeline = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "「责任部门处理」等待业主答复，期限暂停" in timeline and "业主出差，下周回来" in timeline
    assert "业主已答复，「责任部门处理」期限恢复" in timeline


def test_every_field_type_is_rendered_with_its_widget_and_value(app) -> None:
    from forms.loader import parse_form
    from webapp.pages.forms import field_views

    form = parse_form(
        {
            "key": "every",
            "title": "全部字段",
            "fields": [
                {"name": "t", "type": "text", "label": "文字", "max_length": 20},
                {"name": "ta", "type": "textarea", "label": "长文字"},
                {"name": "n", "type": "number", "label": "数量", "min": 0, "max": 9, "integer": True},
                {"name": "d", "type": "date", "label": "日期"},
                {"name": "c", "type": "choice", "label": "选择", "choices": [{"value": "a", "label": "甲"}]},
                {
                    "name": "m",
                    "type": "multichoice",
                    "label": "多选",
                    "choices": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}],
                },
                {"name": "r", "type": "rating", "label": "评分", "max": 5},
                {"name": "yn", "type": "yesno", "label": "是否", "required": True},
                {"name": "f", "type": "file", "label": "照片", "accept": [".jpg"], "multiple": True},
            ],
        }
    )
    values = {
        "t": "abc",
        "ta": "多行\n文字",
        "n": 3,
        "d": "2026-11-20",
        "c": "a",
        "m": ["y"],
        "r": 4,
        "yn": "no",
    }
    views = field_views(form, lambda name: [], values, {"yn": "必填"}, {})
    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("_macros.html").make_module({"max_upload": "10 MB"}).form_field
        html = "".join(str(macro(view)) for view in views)
    for expected in (
        'type="text" id="f-t" name="t" value="abc" maxlength="20"',
        ">多行\n文字</textarea>",
        'type="number" id="f-n" name="n" value="3" step="1" min="0" max="9"',
        'type="date" id="f-d" name="d" value="2026-11-20"',
        '<option value="a" selected>甲</option>',
        'name="m" value="y" checked',
        'name="r" value="4" checked',
        'name="yn" value="no" checked',
        'type="file" id="f-f" name="f" accept=".jpg" multiple',
        '<p class="field-error" id="err-yn">必填</p>',
    ):
        assert expected in html, expected
    assert 'name="m" value="x" checked' not in html


def test_the_manager_answers_an_escalation_from_its_page(
    app, client, platform, session_factory, clock
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from engine.timers import TimerJob

    complaint, task = handling_task(platform)  # high: three working days from Friday 10:00
    job = TimerJob(session_factory, lambda s: Platform(s, app.extensions["lintel.foundation"]).runtime)
    job.run_until(clock.now() + timedelta(days=6), clock)
    platform.session.expire_all()
    escalation = next(
        t for t in platform.tasks.open_tasks_of(complaint.instance_id) if t.kind == "escalation"
    )
    login(client, "eng_mgr")
    page = client.get(f"/tasks/{escalation.id}")
    assert page.status_code == 200
    shown = text(page)
    assert "督办意见" in shown and complaint.number in shown and "处理超时：部门经理督办" in shown
    assert client.post(f"/tasks/{escalation.id}/complete", data={"action": "已督促"}).status_code == 302
    platform.session.expire_all()
    assert platform.session.get(type(escalation), escalation.id).state == "completed"
    assert open_task(platform, complaint.instance_id).id == task.id  # the overdue step itself is still open


def test_a_supervisor_reassigns_a_task_a_colleague_holds(client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    platform.tasks.claim(task.id, actor(platform, "crc"))
    platform.session.commit()

    login(client, "crc_sup")
    page = client.get(f"/tasks/{task.id}")
    html, shown = page.get_data(as_text=True), text(page)
    assert "此任务由 李娜（客服专员） 处理，只有处理人能提交。" in shown
    assert 'name="severity"' not in html  # no form to fill in that would only be refused
    assert f'action="/tasks/{task.id}/reassign"' in html and "改派给" in shown
    assert '<option value="crc">' not in html  # not to the one who holds it already

    reassigned = client.post(
        f"/tasks/{task.id}/reassign", data={"username": "crc_sup"}, follow_redirects=True
    )
    assert "已把「客服分派」改派给 王强（客服中心主管）。" in text(reassigned)
    platform.session.expire_all()
    assert open_task(platform, complaint.instance_id).assignee == "crc_sup"
    timeline = text(client.get(f"/requests/{complaint.instance_id}"))
    assert "把「客服分派」从 李娜（客服专员） 改派给 王强（客服中心主管）" in timeline

    login(client, "crc")  # a coordinator does not reassign: only supervisors and managers
    assert client.post(f"/tasks/{task.id}/reassign", data={"username": "crc"}).status_code == 403


def test_a_department_manager_reassigns_within_the_department_only(client, platform) -> None:
    complaint, task = handling_task(platform)
    platform.tasks.claim(task.id, actor(platform, "eng"))
    platform.session.commit()
    login(client, "eng_mgr")
    assert client.post(f"/tasks/{task.id}/reassign", data={"username": "eng_mgr"}).status_code == 302
    platform.session.expire_all()
    assert open_task(platform, complaint.instance_id).assignee == "eng_mgr"
    refused = client.post(f"/tasks/{task.id}/reassign", data={"username": "design"}, follow_redirects=True)
    assert "吴工" not in text(refused) or "不是部门" in text(refused)
    platform.session.expire_all()
    assert open_task(platform, complaint.instance_id).assignee == "eng_mgr"


def test_a_refused_submission_keeps_what_was_typed_and_names_the_holder(client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    login(client, "crc")
    client.get(f"/tasks/{task.id}")  # the coordinator opens the form; meanwhile the supervisor takes it
    platform.tasks.claim(task.id, actor(platform, "crc_sup"))
    platform.session.commit()
    refused = client.post(f"/tasks/{task.id}/complete", data={**TRIAGE, "note": "业主下午在家"})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "此任务已由 王强（客服中心主管） 认领。" in text(refused) and "crc_sup" not in text(refused)
    assert "业主下午在家" in html and '<option value="high" selected>' in html
