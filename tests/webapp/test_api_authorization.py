"""The API guards what the pages guard: deploying, registering and reading a complaint, by role and by
department."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.models import Complaint
from engine.models import ProcessDefinition
from tests.conftest import COMPLAINT_BPMN, DATA

OWNER_PHONE = "13800000001"
NOTE = "业主情绪激动，内部备注：勿向业主透露施工方"


def diagram(name: str = "complaint.bpmn") -> dict[str, Any]:
    content = (COMPLAINT_BPMN if name == "complaint.bpmn" else DATA / name).read_bytes()
    return {"file": (io.BytesIO(content), name)}


def versions(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(ProcessDefinition))


@pytest.mark.parametrize("dry_run", ["", "?dry_run=1"])
@pytest.mark.parametrize("username", ["marketing", "eng", "crc", "crc_sup", "group_crc"])
def test_only_process_owners_deploy_or_dry_run_a_diagram(client, auth, session, username, dry_run) -> None:
    before = versions(session)
    response = client.post(
        f"/api/v1/process-definitions{dry_run}", data=diagram("complaint_v2.bpmn"), headers=auth(username)
    )
    assert response.status_code == 403
    assert response.json["error"] == "forbidden" and "process_owner" in response.json["message"]
    assert versions(session) == before
    assert client.get("/api/v1/process-definitions", headers=auth(username)).status_code == 403


def test_the_process_owner_still_deploys_and_dry_runs(client, auth, session) -> None:
    before = versions(session)
    checked = client.post(
        "/api/v1/process-definitions?dry_run=1", data=diagram("complaint_v2.bpmn"), headers=auth("admin")
    )
    assert checked.status_code == 200 and checked.json["dry_run"] is True
    assert versions(session) == before
    deployed = client.post(
        "/api/v1/process-definitions", data=diagram("complaint_v2.bpmn"), headers=auth("admin")
    )
    assert deployed.status_code == 201 and deployed.json["version"] == 2
    listed = client.get("/api/v1/process-definitions", headers=auth("admin")).json["definitions"]
    assert [d["version"] for d in listed if d["key"] == "complaint"] == [1, 2]


def register(client, auth, username: str = "crc"):  # type: ignore[no-untyped-def]
    body = {"channel": "hotline", "description": "卫生间天花板渗水", "owner_phone": OWNER_PHONE}
    return client.post("/api/v1/complaints", json=body, headers=auth(username))


@pytest.mark.parametrize("username", ["eng", "eng_mgr", "design", "property", "marketing", "group_crc"])
def test_only_the_centre_registers_complaints(client, auth, session, username) -> None:
    before = session.scalar(select(func.count()).select_from(Complaint))
    response = register(client, auth, username)
    assert response.status_code == 403
    assert set(response.json) >= {"error", "message"} and response.json["error"] == "forbidden"
    assert session.scalar(select(func.count()).select_from(Complaint)) == before


@pytest.mark.parametrize("username", ["crc", "crc_sup", "admin"])
def test_coordinators_supervisors_and_administrators_register(client, auth, username) -> None:
    assert register(client, auth, username).status_code == 201


def triaged_to_engineering(client, auth) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    created = register(client, auth).json
    complaint = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("crc")).json
    triage = complaint["current_tasks"][0]
    data = {"category": "quality", "severity": "high", "department": "engineering", "note": NOTE}
    done = client.post(f"/api/v1/tasks/{triage['id']}/complete", json={"data": data}, headers=auth("crc"))
    assert done.status_code == 200, done.json
    return created


@pytest.mark.parametrize("username", ["design", "marketing", "property"])
def test_a_handler_with_no_step_in_a_complaint_cannot_tell_it_exists(client, auth, username) -> None:
    created = triaged_to_engineering(client, auth)
    response = client.get(f"/api/v1/complaints/{created['id']}", headers=auth(username))
    absent = client.get("/api/v1/complaints/999999", headers=auth(username))
    assert response.status_code == absent.status_code == 404
    assert response.json == {
        **absent.json,
        "message": absent.json["message"].replace("999999", str(created["id"])),
    }
    assert NOTE not in response.get_data(as_text=True)
    task_id = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("eng")).json["current_tasks"][0][
        "id"
    ]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=auth(username)).status_code == 404


def test_the_departments_with_a_step_and_the_overseers_read_the_notes(client, auth) -> None:
    created = triaged_to_engineering(client, auth)
    for username in ("crc", "eng", "eng_mgr", "crc_sup", "group_crc", "admin"):
        response = client.get(f"/api/v1/complaints/{created['id']}", headers=auth(username))
        assert response.status_code == 200, username
        assert NOTE in response.get_data(as_text=True), username


def test_a_manager_reassigns_a_task_a_colleague_holds_and_a_handler_may_not(client, auth) -> None:
    created = triaged_to_engineering(client, auth)
    complaint = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("eng")).json
    task_id = complaint["current_tasks"][0]["id"]
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=auth("eng")).status_code == 200
    taken = client.post(
        f"/api/v1/tasks/{task_id}/assign", json={"username": "eng_mgr"}, headers=auth("eng_mgr")
    )
    assert taken.status_code == 409  # assigning is for an unclaimed task or one's own
    refused = client.post(f"/api/v1/tasks/{task_id}/reassign", json={"username": "eng"}, headers=auth("eng"))
    assert refused.status_code == 403
    moved = client.post(
        f"/api/v1/tasks/{task_id}/reassign", json={"username": "eng_mgr"}, headers=auth("eng_mgr")
    )
    assert moved.status_code == 200 and moved.json["assignee"] == "eng_mgr"
    outside = client.post(
        f"/api/v1/tasks/{task_id}/reassign", json={"username": "design"}, headers=auth("eng_mgr")
    )
    assert outside.status_code == 403  # only to a member of the task's department
