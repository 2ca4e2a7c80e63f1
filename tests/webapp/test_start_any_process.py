"""Any deployed process is a request: started through the API, the command line or its start page, it has a
number with its diagram's prefix, a title from its diagram's expression, and shows in the index, inbox,
search, request page and the portal like a complaint does."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from crm.models import Owner, RequestIndex
from crm.platform import Foundation, Platform
from engine.models import ProcessInstance
from forms import FormRegistry
from lintel.clock import FixedClock
from tests.conftest import DATA
from tests.webapp.pages_support import actor, open_task

REPAIR_BPMN = DATA / "repair_request.bpmn"
REPAIR_FORMS = DATA / "repair_forms"
START = "/api/v1/process-definitions/repair_request/instances"


def repair_forms() -> FormRegistry:
    bundled = FormRegistry.bundled()
    extra = FormRegistry.from_directory(REPAIR_FORMS)
    return FormRegistry({**{k: bundled.get(k) for k in bundled}, **{k: extra.get(k) for k in extra}})


@pytest.fixture
def foundation(clock: FixedClock) -> Foundation:
    return Foundation(clock=clock, forms=repair_forms())


@pytest.fixture
def repair(platform: Platform) -> str:
    platform.definitions.deploy(REPAIR_BPMN.read_bytes(), "repair_request.bpmn", actor="setup")
    platform.session.commit()
    return "repair_request"


def start(client: Any, auth: Any, data: dict[str, Any], username: str = "crc") -> Any:
    return client.post(START, json={"data": data}, headers=auth(username))


def test_a_process_started_through_the_api_is_a_numbered_titled_request(  # type: ignore[no-untyped-def]
    client, auth, platform, repair
) -> None:
    response = start(client, auth, {"summary": "3栋电梯按钮失灵", "location": "3栋大堂"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["number"] == "WX-2026-000001" and body["id"] == body["instance_id"]

    row = platform.session.get(RequestIndex, body["id"])
    assert (row.number, row.title, row.kind) == ("WX-2026-000001", "维修：3栋电梯按钮失灵", "repair_request")
    assert platform.session.get(ProcessInstance, body["id"]).business_key == "WX-2026-000001"

    second = start(client, auth, {"summary": "车库灯不亮"}).get_json()
    assert second["number"] == "WX-2026-000002"

    detail = client.get(f"/api/v1/requests/{body['id']}", headers=auth("crc")).get_json()
    assert detail["number"] == "WX-2026-000001" and detail["title"] == "维修：3栋电梯按钮失灵"
    assert detail["process_key"] == "repair_request" and detail["status"] == "running"
    assert [t["name"] for t in detail["current_tasks"]] == ["现场查看"]
    assert detail["current_tasks"][0]["department"] == "engineering"
    assert detail["data"]["summary"] == "3栋电梯按钮失灵" and detail["data"]["location"] == "3栋大堂"
    assert [e["kind"] for e in detail["timeline"]][:2] == ["instance.started", "task.created"]


def test_a_request_walks_to_completed_and_says_so(client, auth, platform, repair) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "单元门禁损坏"}).get_json()
    inspect = open_task(platform, created["id"])
    platform.tasks.complete(inspect.id, {"finding": "读卡器进水"}, actor(platform, "eng"))
    platform.session.commit()
    confirm = open_task(platform, created["id"])
    answer = {"summary": "单元门禁损坏", "finding": "读卡器进水", "confirmed": "yes"}
    platform.tasks.complete(confirm.id, answer, actor(platform, "crc"))
    platform.session.commit()
    detail = client.get(f"/api/v1/requests/{created['id']}", headers=auth("crc")).get_json()
    assert detail["status"] == "completed" and detail["current_tasks"] == []
    assert detail["data"]["finding"] == "读卡器进水"
    assert platform.session.get(RequestIndex, created["id"]).status == "closed"


def test_who_may_start_it_and_what_it_refuses(client, auth, repair) -> None:  # type: ignore[no-untyped-def]
    refused = start(client, auth, {"summary": "x"}, username="design")  # 设计部 is not in startableBy
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert start(client, auth, {"summary": "x"}, username="eng").status_code == 201  # engineering may

    missing = client.post(
        "/api/v1/process-definitions/no_such/instances", json={"data": {}}, headers=auth("crc")
    )
    assert missing.status_code == 404 and set(missing.get_json()) == {"error", "message", "fields"}

    invalid = start(client, auth, {"location": "1栋", "colour": "红"})
    assert invalid.status_code == 422
    fields = invalid.get_json()["fields"]
    assert set(fields) == {"summary", "colour"}

    not_object = client.post(START, json={"data": ["summary"]}, headers=auth("crc"))
    assert not_object.status_code == 422 and "data" in not_object.get_json()["fields"]

    malformed = client.post(START, data='{"data": {', content_type="application/json", headers=auth("crc"))
    assert malformed.status_code == 400 and malformed.get_json()["error"]


def test_a_request_one_may_not_see_is_404_like_a_missing_one(client, auth, repair) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "外墙渗水"}).get_json()
    hidden = client.get(f"/api/v1/requests/{created['id']}", headers=auth("design"))
    missing = client.get("/api/v1/requests/999999", headers=auth("design"))
    assert hidden.status_code == missing.status_code == 404
    assert client.get(f"/api/v1/requests/{created['id']}", headers=auth("eng")).status_code == 200


def test_a_complaint_keeps_its_numbers_and_may_be_started_generically(client, auth, platform) -> None:  # type: ignore[no-untyped-def]
    registered = client.post(
        "/api/v1/complaints",
        json={"channel": "hotline", "description": "门锁损坏", "owner_phone": "13800000001"},
        headers=auth("crc"),
    ).get_json()
    assert registered["number"] == "TS-2026-000001"
    owner = platform.session.scalars(select(Owner).where(Owner.phone == "13800000002")).one()
    data = {"channel": "hotline", "description": "楼道灯坏了", "owner_id": owner.id}
    generic = client.post(
        "/api/v1/process-definitions/complaint/instances", json={"data": data}, headers=auth("crc")
    )
    assert generic.status_code == 201, generic.get_json()
    row = platform.session.get(RequestIndex, generic.get_json()["id"])
    assert (row.number, row.title, row.owner_name) == ("TS-2026-000002", "楼道灯坏了", owner.name)
    refused = client.post(
        "/api/v1/process-definitions/complaint/instances", json={"data": data}, headers=auth("eng")
    )
    assert refused.status_code == 403
