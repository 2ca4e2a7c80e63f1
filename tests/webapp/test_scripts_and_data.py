"""What people see when a diagram's script is stopped or submitted data cannot be stored: a clear answer,
the instance failed with its reason in Chinese on the request page, never a 500."""

from __future__ import annotations

import pytest

from tests.engine.test_evaluator import diagram
from tests.webapp.pages_support import actor, login, register, text

SLOW_STEP = (
    "<spiffworkflow:postScript>y = sum(range(3 * 10**9)) if go == 'slow' else 1</spiffworkflow:postScript>"
)


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def start(platform, key: str, script: str = "x = 1", after: str = "") -> int:  # type: ignore[no-untyped-def]
    platform.definitions.deploy(diagram(script, key=key, after=after), f"{key}.bpmn")
    instance = platform.runtime.start(key, {}, actor(platform, "crc"))
    platform.session.commit()
    return instance.id


def only_task(client, auth, instance_id: int) -> int:  # type: ignore[no-untyped-def]
    tasks = client.get(f"/api/v1/tasks?instance_id={instance_id}", headers=auth("crc")).json["tasks"]
    assert len(tasks) == 1, tasks
    return int(tasks[0]["id"])


def test_a_stopped_step_script_answers_409_and_the_failure_is_kept(client, auth, platform) -> None:
    instance_id = start(platform, "slow_step", after=SLOW_STEP)
    task_id = only_task(client, auth, instance_id)

    response = client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"go": "slow"}}, headers=auth("crc")
    )

    assert response.status_code == 409
    assert response.json["error"] == "instance_failed"
    assert "longer than 2 s" in response.json["message"]
    platform.session.expire_all()
    instance = platform.runtime.get(instance_id)
    assert instance.status == "error"  # committed although the request was refused


def test_reserved_keys_and_nan_are_refused_with_422_naming_the_field(client, auth, platform) -> None:
    instance_id = start(platform, "plain")
    task_id = only_task(client, auth, instance_id)
    url = f"/api/v1/tasks/{task_id}/complete"

    reserved = client.post(url, json={"data": {"x": {"typename": "nope"}}}, headers=auth("crc"))
    assert reserved.status_code == 422
    assert "typename" in reserved.json["fields"]["x"]
    nan = client.post(
        url, data='{"data": {"ratio": NaN}}', content_type="application/json", headers=auth("crc")
    )
    assert nan.status_code == 422 and "ratio" in nan.json["fields"]

    # Nothing was stored: the task still opens and completes with good data.
    assert client.get(f"/api/v1/tasks/{task_id}", headers=auth("crc")).status_code == 200
    done = client.post(url, json={"data": {"x": {"kind": "fine"}}}, headers=auth("crc"))
    assert done.status_code == 200


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        (
            "the script ran longer than 2 s and was stopped (step '初始化时限')",
            "流程出错：「初始化时限」：脚本运行超过 2 秒，已被终止",
        ),
        ("the script used more than 256 MB of memory and was stopped", "脚本占用内存超过 256 MB，已被终止"),
        ("the script crashed the evaluator (it overflowed the C stack)", "脚本导致执行进程崩溃"),
        (
            "UnstorableData: the script left data that cannot be stored: "
            "the key 'typename' is reserved (at x)",
            "脚本留下了无法保存的数据：键名 typename 为系统保留（位置：x）",
        ),
        (
            "the instance's data grew to 3,000,000 bytes, more than the 2,097,152 allowed "
            "(LINTEL_STATE_MAX_BYTES)",
            "流程数据增长到 3,000,000 字节，超过允许的 2,097,152 字节",
        ),
    ],
)
def test_why_an_instance_failed_reads_in_chinese_on_its_page(
    client, platform, reason: str, shown: str
) -> None:
    complaint = register(platform)
    platform.runtime.fail(
        platform.runtime.get(complaint.instance_id), actor(platform, "crc"), Exception(reason)
    )
    platform.session.commit()
    login(client, "crc")
    assert shown in text(client.get(f"/requests/{complaint.instance_id}"))
