"""Incidents on the page, over the API and on the command line: administrators and process owners see the
failed requests with where and why, retry or cancel them, and every action is on the request's timeline in
Chinese; handlers see none of it. And a person's completion whose next gateway finds a variable undefined
is refused with 422, changing nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crm.platform import Platform
from engine.models import ProcessInstance
from tests.conftest import DATA
from tests.engine.test_incidents import KEY, deploy, fire_timers
from tests.webapp.pages_support import actor, login, open_task, register, text
from webapp.cli import main


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def failed(platform: Platform, clock) -> ProcessInstance:  # type: ignore[no-untyped-def]
    deploy(platform, 1)
    instance = platform.runtime.start(KEY, {}, actor(platform, "crc"))
    platform.session.commit()
    fire_timers(platform, clock, instance)
    assert instance.status == "error"
    return instance


# -- the API ----------------------------------------------------------------------------------------------


def test_the_api_lists_incidents_with_element_error_and_time(client, auth, failed) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/incidents", headers=auth("admin"))
    assert response.status_code == 200
    [row] = [r for r in response.json["incidents"] if r["instance_id"] == failed.id]
    assert row["process_key"] == KEY and row["process_name"] == "故障演示" and row["version"] == 1
    assert (row["element_id"], row["element_name"]) == ("remind", "记录提醒")
    assert "reminders" in row["error"] and row["failed_at"] and row["newer_version"] is None


def test_a_handler_sees_no_incidents_and_cannot_act_on_them(client, auth, failed) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/incidents", headers=auth("eng")).status_code == 403
    assert client.post(f"/api/v1/incidents/{failed.id}/retry", headers=auth("crc")).status_code == 403
    cancel = client.post(f"/api/v1/incidents/{failed.id}/cancel", json={"reason": "x"}, headers=auth("crc"))
    assert cancel.status_code == 403
    login(client, "eng")
    assert client.get("/incidents").status_code == 403
    assert "流程异常" not in text(client.get("/"))


def test_retry_over_the_api_with_a_data_patch_and_on_a_newer_version(client, auth, platform, failed) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/incidents/{failed.id}/retry"
    again = client.post(url, headers=auth("admin"))
    assert (
        again.status_code == 200 and again.json["status"] == "error" and again.json["element_id"] == "remind"
    )

    no_newer = client.post(url, json={"version": "latest"}, headers=auth("admin"))
    assert no_newer.status_code == 409
    bad = client.post(url, json={"version": "newest", "data": {"reminders": 0}}, headers=auth("admin"))
    assert bad.status_code == 422 and "version" in bad.json["fields"]
    unstorable = client.post(url, json={"data": {"x": {"typename": "no"}}}, headers=auth("admin"))
    assert unstorable.status_code == 422 and "x" in unstorable.json["fields"]

    deploy(platform, 2)
    moved = client.post(url, json={"version": "latest"}, headers=auth("admin"))
    assert moved.status_code == 200
    assert moved.json == {
        "instance_id": failed.id,
        "status": "running",
        "version": 2,
        "error": None,
        "element_id": None,
    }
    assert client.get("/api/v1/incidents", headers=auth("admin")).json["incidents"] == []
    tasks = client.get(f"/api/v1/tasks?instance_id={failed.id}", headers=auth("crc")).json["tasks"]
    assert [t["element_id"] for t in tasks] == ["handle"]
    done = client.post(f"/api/v1/tasks/{tasks[0]['id']}/complete", json={"data": {}}, headers=auth("crc"))
    assert done.status_code == 200


def test_retry_is_refused_naming_the_running_element_the_version_lacks(
    client, auth, platform, failed
) -> None:  # type: ignore[no-untyped-def]
    deploy(platform, 2)
    deploy(platform, 3)
    response = client.post(f"/api/v1/incidents/{failed.id}/retry", json={"version": 3}, headers=auth("admin"))
    assert response.status_code == 409 and "'remind'" in response.json["message"]
    row = client.get("/api/v1/incidents", headers=auth("admin")).json["incidents"][0]
    assert row["instance_id"] == failed.id and row["version"] == 1 and row["newer_version"] == 3


def test_cancel_over_the_api_needs_a_reason(client, auth, failed) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/incidents/{failed.id}/cancel"
    assert client.post(url, json={}, headers=auth("admin")).status_code == 422
    blank = client.post(url, json={"reason": "   "}, headers=auth("admin"))
    assert blank.status_code == 422 and blank.json["fields"] == {"reason": "required"}
    done = client.post(url, json={"reason": "业主已撤诉"}, headers=auth("admin"))
    assert done.status_code == 200 and done.json["status"] == "cancelled"
    assert client.post(url, json={"reason": "again"}, headers=auth("admin")).status_code == 409
    assert (
        client.post(
            "/api/v1/incidents/999999/cancel", json={"reason": "x"}, headers=auth("admin")
        ).status_code
        == 404
    )


# -- the page ---------------------------------------------------------------------------------------------


def test_the_incidents_page_lists_them_in_chinese_with_their_actions(
    client, platform, failed, failed_complaint
) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    home = text(client.get("/"))
    assert "流程异常" in home  # in the navigation
    page = client.get("/incidents")
    assert page.status_code == 200
    shown = text(page)
    for words in (
        "流程",
        "版本",
        "出错步骤",
        "原因",
        "出错时间",
        "故障演示",
        "第 1 版",
        "记录提醒",
        "重试",
        "取消",
    ):
        assert words in shown, words
    assert "脚本用到了未定义的变量「reminders」" in shown  # the engine's English, said in Chinese
    assert f'href="/requests/{failed_complaint}"' in page.get_data(as_text=True)  # the request's page

    deploy(platform, 2)
    assert "按第 2 版重试" in text(client.get("/incidents"))


@pytest.fixture
def failed_complaint(platform: Platform) -> int:  # type: ignore[no-untyped-def]
    """A complaint whose instance failed while its triage step waited (as when its evaluator died)."""
    complaint = register(platform)
    instance = platform.runtime.get(complaint.instance_id)
    platform.runtime.fail(instance, actor(platform, "crc"), RuntimeError("the evaluator ended unexpectedly"))
    platform.session.commit()
    return int(complaint.instance_id)


def test_retry_from_the_page_lands_on_the_timeline(client, platform, failed_complaint) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    assert "到流程异常处理" in text(client.get(f"/requests/{failed_complaint}"))
    response = client.post(f"/incidents/{failed_complaint}/retry", data={})
    assert response.status_code == 302
    assert "已重试，流程继续运行" in text(client.get("/incidents"))
    timeline = text(client.get(f"/requests/{failed_complaint}"))
    assert "流程出错：脚本执行进程意外退出" in timeline and "」已关闭：流程出错" in timeline
    assert "重试出错的流程" in timeline and "」重新进入 客户关系中心 的待办" in timeline
    assert open_task(platform, failed_complaint).element_id == "triage"


def test_cancel_from_the_page_asks_for_a_reason(client, platform, failed_complaint) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    client.post(f"/incidents/{failed_complaint}/cancel", data={"reason": ""})
    assert "请填写取消原因" in text(client.get("/incidents"))
    client.post(f"/incidents/{failed_complaint}/cancel", data={"reason": "重复登记"})
    platform.session.expire_all()
    assert platform.runtime.get(failed_complaint).status == "cancelled"
    page = text(client.get(f"/requests/{failed_complaint}"))
    assert "已取消" in page and "取消了出错的请求" in page and "重复登记" in page


def test_a_refused_retry_is_said_in_chinese(client, platform, failed) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    client.post(f"/incidents/{failed.id}/retry", data={"version": "latest"})
    assert "没有比第 1 版更新的版本" in text(client.get("/incidents"))
    client.post(f"/incidents/{failed.id}/retry", data={"data": "[1, 2]"})
    assert "必须是一个 JSON 对象" in text(client.get("/incidents"))


# -- the command line -------------------------------------------------------------------------------------


def test_lintel_incidents_lists_retries_and_cancels(tmp_path: Path) -> None:
    env = {"LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--demo"], env=env, catch_exceptions=False).exit_code == 0
    assert runner.invoke(main, ["incidents"], env=env).output.strip() == "no incidents"
    deployed = runner.invoke(
        main, ["deploy", str(DATA / "incident_v1.bpmn")], env=env, catch_exceptions=False
    )
    assert deployed.exit_code == 0
    # An instance started and its timer fired an hour later, by the platform itself.
    from datetime import datetime

    from sqlalchemy.orm import Session

    from crm.platform import Foundation
    from lintel.clock import SHANGHAI, FixedClock
    from webapp.database import make_engine

    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    engine = make_engine(env["LINTEL_DATABASE_URL"])
    with Session(engine) as session:
        platform = Platform(session, Foundation(clock=clock))
        instance = platform.runtime.start(KEY, {}, actor(platform, "crc"))
        session.commit()
        clock.advance(timedelta(hours=2))
        fire_timers(platform, clock, instance)
        instance_id = instance.id
    engine.dispose()

    listed = runner.invoke(main, ["incidents", "list"], env=env)
    assert listed.exit_code == 0
    assert f"{instance_id}\t" in listed.output and "remind (记录提醒)" in listed.output
    assert "reminders" in listed.output

    again = runner.invoke(main, ["incidents", "retry", str(instance_id)], env=env)
    assert again.exit_code == 1 and f"instance {instance_id} failed again at remind" in again.output
    newer = runner.invoke(main, ["incidents", "retry", str(instance_id), "--latest"], env=env)
    assert newer.exit_code == 1 and "no version newer than v1" in newer.output
    missing = runner.invoke(main, ["incidents", "cancel", str(instance_id)], env=env)
    assert missing.exit_code == 2 and "--reason" in missing.output
    patched = runner.invoke(
        main, ["incidents", "retry", str(instance_id), "--data", '{"reminders": 0}'], env=env
    )
    assert patched.exit_code == 0 and f"instance {instance_id} is running (v1)" in patched.output
    not_failed = runner.invoke(main, ["incidents", "cancel", str(instance_id), "--reason", "x"], env=env)
    assert not_failed.exit_code == 1 and "has not failed" in not_failed.output


# -- a gateway right after a person's step ----------------------------------------------------------------


def test_a_completion_leaving_the_next_gateways_variable_undefined_is_refused_and_changes_nothing(
    client, auth, platform
) -> None:  # type: ignore[no-untyped-def]
    platform.definitions.deploy((DATA / "approval_gateway.bpmn").read_bytes(), "approval_gateway.bpmn")
    instance = platform.runtime.start("approval", {}, actor(platform, "crc"))
    platform.session.commit()
    task = open_task(platform, instance.id)
    url = f"/api/v1/tasks/{task.id}/complete"
    before = len(platform.runtime.audit.timeline(instance.id))

    empty = client.post(url, json={"data": {}}, headers=auth("crc"))
    assert empty.status_code == 422
    assert empty.json["error"] == "undefined_variable" and list(empty.json["fields"]) == ["approved"]
    assert "是否批准" in empty.json["message"]
    # `amount * 2 > 10` is evaluated in a script evaluator: its NameError is recognised too.
    half = client.post(url, json={"data": {"approved": "no"}}, headers=auth("crc"))
    assert half.status_code == 422 and list(half.json["fields"]) == ["amount"]

    platform.session.expire_all()
    assert platform.runtime.get(instance.id).status == "running"
    assert open_task(platform, instance.id).id == task.id  # still open, nothing recorded
    assert len(platform.runtime.audit.timeline(instance.id)) == before
    done = client.post(url, json={"data": {"approved": "no", "amount": 1}}, headers=auth("crc"))
    assert done.status_code == 200
    platform.session.expire_all()
    assert platform.runtime.get(instance.id).status == "completed"


def test_the_task_page_names_the_undefined_variable_in_chinese(client, platform) -> None:  # type: ignore[no-untyped-def]
    platform.definitions.deploy((DATA / "approval_gateway.bpmn").read_bytes(), "approval_gateway.bpmn")
    instance = platform.runtime.start("approval", {}, actor(platform, "crc"))
    platform.session.commit()
    task = open_task(platform, instance.id)
    login(client, "crc")
    response = client.post(f"/tasks/{task.id}/complete", data={})
    assert response.status_code == 422
    assert "表单没有填写「approved」" in text(response) and "是否批准" in text(response)
    platform.session.expire_all()
    assert open_task(platform, instance.id).state == "open"
