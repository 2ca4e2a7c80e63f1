"""What the API answers to requests it cannot take: wrong methods, bodies nested or sized absurdly."""

from __future__ import annotations

import json

import pytest

from webapp.request_limits import MAX_JSON_DEPTH


def test_a_method_a_path_does_not_take_is_405_with_allow_and_the_error_shape(client, auth) -> None:  # type: ignore[no-untyped-def]
    for method, path, allowed in (
        ("delete", "/api/v1/complaints", {"POST"}),
        ("put", "/api/v1/tasks/1/complete", {"POST"}),
        ("patch", "/api/v1/process-definitions", {"GET", "POST"}),
    ):
        response = getattr(client, method)(path, headers=auth("crc"))
        assert response.status_code == 405, (method, path)
        assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
        body = response.get_json()
        assert body["error"] == "method_not_allowed" and body["message"] and body["fields"] == {}


def test_a_page_answers_405_with_allow_too(client) -> None:  # type: ignore[no-untyped-def]
    response = client.put("/login")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def open_task_id(client, auth) -> int:  # type: ignore[no-untyped-def]
    created = client.post(
        "/api/v1/complaints",
        json={"channel": "hotline", "description": "门锁损坏", "owner_phone": "13800000001"},
        headers=auth("crc"),
    ).get_json()
    complaint = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("crc")).get_json()
    return int(complaint["current_tasks"][0]["id"])


@pytest.mark.parametrize("path", ["/api/v1/complaints", "/complete", "/wait-for-owner"])
def test_deeply_nested_json_is_refused_with_400(client, auth, path: str) -> None:  # type: ignore[no-untyped-def]
    if not path.startswith("/api/"):
        path = f"/api/v1/tasks/{open_task_id(client, auth)}{path}"
    deep = "[" * 100_000 + "]" * 100_000
    body = '{"data": ' + deep + "}"
    for payload in (deep, body):
        response = client.post(path, data=payload, content_type="application/json", headers=auth("crc"))
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert "nested too deeply" in response.get_json()["message"]


def test_nesting_just_past_the_limit_is_refused_and_within_it_reaches_validation(client, auth) -> None:  # type: ignore[no-untyped-def]
    def nested(levels: int) -> object:
        value: object = "x"
        for _ in range(levels):
            value = {"a": value}
        return value

    too_deep = {"channel": "hotline", "description": nested(MAX_JSON_DEPTH)}
    response = client.post("/api/v1/complaints", json=too_deep, headers=auth("crc"))
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["message"]

    shallow = {"channel": "hotline", "description": nested(3)}
    response = client.post("/api/v1/complaints", json=shallow, headers=auth("crc"))
    assert response.status_code == 422
    assert "description" in response.get_json()["fields"]


def test_a_json_body_over_a_megabyte_is_413(client, auth) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"channel": "hotline", "description": "渗" * 600_000, "owner_phone": "13800000001"})
    response = client.post(
        "/api/v1/complaints", data=body, content_type="application/json", headers=auth("crc")
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"


def test_a_hold_takes_no_body_or_a_json_object_but_not_other_content(client, auth) -> None:  # type: ignore[no-untyped-def]
    hold = f"/api/v1/tasks/{open_task_id(client, auth)}/wait-for-owner"
    response = client.post(hold, data="note=x", content_type="text/plain", headers=auth("crc"))
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.get_json()["message"]


def test_assigning_to_someone_who_does_not_exist_names_the_field(client, auth) -> None:  # type: ignore[no-untyped-def]
    task_id = open_task_id(client, auth)
    response = client.post(
        f"/api/v1/tasks/{task_id}/assign", json={"username": "nobody"}, headers=auth("crc")
    )
    assert response.status_code == 422
    assert "nobody" in response.get_json()["fields"]["username"]


def test_a_diagram_with_an_overlong_file_name_is_refused(client, auth) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import COMPLAINT_BPMN

    xml = COMPLAINT_BPMN.read_bytes().replace(b'id="complaint"', b'id="complaint_long_name"')
    response = client.post(
        "/api/v1/process-definitions?filename=" + "长" * 300 + ".bpmn",
        data=xml,
        content_type="application/xml",
        headers=auth("admin"),
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert [p["message"] for p in response.get_json()["problems"]] == [
        "the file name is 305 characters long: at most 255"
    ]


def test_a_nul_character_is_refused_with_400_wherever_it_comes(client, auth) -> None:  # type: ignore[no-untyped-def]
    for url in ("/api/v1/tasks?assignee=a%00b", "/api/v1/tasks?process=%00", "/api/v1/complaints/1?x=%00"):
        response = client.get(url, headers=auth("crc"))
        assert response.status_code == 400, url
        assert "NUL character" in response.get_json()["message"]
    for body in (
        {"channel": "hotline", "description": "卫生间\x00渗水", "owner_phone": "13800000001"},
        {"channel": "hotline", "description": "卫生间渗水", "owner_phone": "13800000001", "x\x00": 1},
    ):
        response = client.post("/api/v1/complaints", json=body, headers=auth("crc"))
        assert response.status_code == 400 and "NUL character" in response.get_json()["message"]


def test_a_page_form_with_a_nul_character_gets_a_page_saying_so(client) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.pages_support import text

    response = client.post("/login", data={"username": "crc\x00", "password": "demo"})
    assert response.status_code == 400 and "空字符" in text(response)


def test_ids_past_what_a_table_can_hold_are_unknown_not_a_server_error(client, auth, platform) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from engine.errors import InvalidData
    from tests.webapp.pages_support import actor

    body = {"channel": "hotline", "description": "渗水", "owner_id": 2**62, "unit_id": 2**40}
    response = client.post("/api/v1/complaints", json=body, headers=auth("crc"))
    assert response.status_code == 422 and "unit_id" in response.get_json()["fields"]
    with pytest.raises(InvalidData) as refused:
        platform.complaints.register(
            actor(platform, "crc"),
            channel="hotline",
            description="渗水",
            owner_phone="13800000001",
            unit_id=2**40,
        )
    assert refused.value.fields == {"unit_id": "no unit with this id"}
    with pytest.raises(InvalidData) as refused:
        platform.complaints.register(
            actor(platform, "crc"), channel="hotline", description="渗水", owner_id=2**62
        )
    assert refused.value.fields == {"owner_id": "no owner with this id"}
