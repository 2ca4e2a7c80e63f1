"""Process owners: definitions and versions, uploading a new version, each version's diagram."""

from __future__ import annotations

import io

import pytest

from tests.conftest import DATA
from tests.webapp.pages_support import login, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def upload(client, path):  # type: ignore[no-untyped-def]
    return client.post(
        "/processes",
        data={"file": (io.BytesIO(path.read_bytes()), path.name)},
        content_type="multipart/form-data",
    )


def test_only_process_owners_and_administrators_see_the_processes(client) -> None:
    login(client, "crc")
    assert client.get("/processes").status_code == 403
    assert client.get("/processes/complaint/1").status_code == 403
    assert client.get("/processes/complaint/1/diagram.xml").status_code == 403


def test_a_new_version_is_deployed_and_its_diagram_shown(client) -> None:
    login(client, "admin")
    listing = text(client.get("/processes"))
    assert "投诉处理" in listing and "第 1 版" in listing
    deployed = upload(client, DATA / "complaint_v2.bpmn")
    assert deployed.status_code == 302 and deployed.headers["Location"].endswith("/processes/complaint/2")
    page = client.get(deployed.headers["Location"])
    assert "已部署「投诉处理」第 2 版" in text(page)
    assert 'data-bpmn="/processes/complaint/2/diagram.xml"' in page.get_data(as_text=True)
    assert "complaint_triage" in text(page)
    xml = client.get("/processes/complaint/2/diagram.xml")
    assert xml.status_code == 200 and xml.data == (DATA / "complaint_v2.bpmn").read_bytes()
    same = upload(client, DATA / "complaint_v2.bpmn")
    assert "未部署新版本" in text(client.get(same.headers["Location"]))
    assert client.get("/processes/complaint/9").status_code == 404


def test_a_refused_diagram_lists_every_problem_with_its_line(client) -> None:
    login(client, "admin")
    response = upload(client, DATA / "bad" / "many_problems.bpmn")
    assert response.status_code == 422
    page = text(response)
    assert "many_problems.bpmn 未部署" in page and "第 " in page
    assert page.count("第 ") >= 2
    # Every problem in Chinese, the diagram's own names and ids as written.
    for problem in (
        "表单「complaint_missing」不存在",
        "定时器表达式 PT24H 按 Python 解读：请加引号写成",
        "网关 check_gw 的流出线 flow_no_repair 没有条件，也不是默认流",
        "脚本：不允许使用名称「__import__」",
    ):
        assert problem in page, problem
    assert "流程没有开始事件：请添加一个" in text(upload(client, DATA / "bad" / "no_start.bpmn"))
    missing = client.post("/processes", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "请选择 BPMN 文件" in text(missing)
    garbage = client.post(
        "/processes",
        data={"file": (io.BytesIO(b"\x00\x01 not xml"), "x.bpmn")},
        content_type="multipart/form-data",
    )
    assert garbage.status_code == 422
