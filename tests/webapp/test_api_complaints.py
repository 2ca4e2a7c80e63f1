"""The complaint workflow end to end through the REST API, as the centre's staff drive it."""

from __future__ import annotations

from typing import Any

import pytest

OWNER_PHONE = "13800000001"


def register(client, auth, **overrides: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {"channel": "hotline", "description": "卫生间天花板渗水", "owner_phone": OWNER_PHONE, **overrides}
    response = client.post("/api/v1/complaints", json=body, headers=auth("crc"))
    assert response.status_code == 201, response.json
    return response.json


def open_task(client, auth, complaint_id: int, user: str = "crc_sup") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    complaint = client.get(f"/api/v1/complaints/{complaint_id}", headers=auth(user)).json
    assert len(complaint["current_tasks"]) == 1, complaint["current_tasks"]
    return complaint["current_tasks"][0]


def complete(client, auth, user: str, task_id: int, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=auth(user))


TRIAGE = {"category": "quality", "severity": "high", "department": "engineering"}


def test_complaint_runs_from_intake_to_closure(client, auth) -> None:
    created = register(client, auth)
    assert created["number"].startswith("TS-2026-")
    triage = open_task(client, auth, created["id"])
    assert (triage["name"], triage["department"], triage["state"]) == ("客服分派", "crc", "open")

    assert complete(client, auth, "crc", triage["id"], TRIAGE).status_code == 200
    handle = open_task(client, auth, created["id"])
    assert (handle["element_id"], handle["department"]) == ("handle", "engineering")

    assert complete(client, auth, "eng", handle["id"], {"resolution": "已更换防水层"}).status_code == 200
    reply = open_task(client, auth, created["id"])
    # First-contact ownership: the reply comes back to the coordinator who took the case in.
    assert (reply["element_id"], reply["assignee"]) == ("reply", "crc")
    answer = {"reached": "yes", "reply": "已维修完毕，请查看", "satisfied": "yes", "score": 5}
    assert complete(client, auth, "crc", reply["id"], answer).status_code == 200

    complaint = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("crc")).json
    assert complaint["closed"] is True and complaint["status"] == "closed"
    assert complaint["current_tasks"] == []
    assert (complaint["severity"], complaint["department"], complaint["satisfaction"]) == (
        "high",
        "engineering",
        5,
    )
    kinds = [e["kind"] for e in complaint["timeline"]]
    assert kinds[0] == "instance.started" and kinds[-1] == "instance.completed"
    assert kinds.count("task.completed") == 3
    triage_done = next(e for e in complaint["timeline"] if e["kind"] == "task.completed")
    assert triage_done["actor"] == "crc" and triage_done["data"]["department"] == "engineering"


def test_an_unsatisfied_owner_sends_the_complaint_back_to_the_department(client, auth) -> None:
    created = register(client, auth)
    complete(client, auth, "crc", open_task(client, auth, created["id"])["id"], TRIAGE)
    complete(client, auth, "eng", open_task(client, auth, created["id"])["id"], {"resolution": "已处理"})
    response = complete(
        client,
        auth,
        "crc",
        open_task(client, auth, created["id"])["id"],
        {"reached": "yes", "reply": "已处理", "satisfied": "no", "comment": "仍然渗水"},
    )
    assert response.status_code == 200

    again = open_task(client, auth, created["id"])
    assert (again["element_id"], again["department"]) == ("handle", "engineering")
    complaint = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("crc")).json
    assert complaint["closed"] is False and complaint["rework_count"] == 1

    complete(client, auth, "eng", again["id"], {"resolution": "重新做了闭水试验"})
    answer = {"reached": "yes", "reply": "已二次处理", "satisfied": "yes", "score": 4}
    complete(client, auth, "crc", open_task(client, auth, created["id"])["id"], answer)
    complaint = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("crc")).json
    assert complaint["closed"] is True and complaint["satisfaction"] == 4


def test_completing_a_task_twice_is_refused_and_changes_nothing(client, auth) -> None:
    created = register(client, auth)
    triage = open_task(client, auth, created["id"])
    assert complete(client, auth, "crc", triage["id"], TRIAGE).status_code == 200
    again = complete(client, auth, "crc", triage["id"], {**TRIAGE, "department": "design"})
    assert again.status_code == 409
    assert again.json["error"] == "conflict" and "completed" in again.json["message"]
    handle = open_task(client, auth, created["id"])
    assert handle["department"] == "engineering"


def test_a_task_claimed_by_a_colleague_cannot_be_completed(client, auth) -> None:
    created = register(client, auth)
    triage = open_task(client, auth, created["id"])
    assert (
        client.post(f"/api/v1/tasks/{triage['id']}/claim", headers=auth("crc_sup")).json["assignee"]
        == "crc_sup"
    )
    assert client.post(f"/api/v1/tasks/{triage['id']}/claim", headers=auth("crc")).status_code == 409
    response = complete(client, auth, "crc", triage["id"], TRIAGE)
    assert response.status_code == 409 and "crc_sup" in response.json["message"]
    assert open_task(client, auth, created["id"])["id"] == triage["id"]


def test_a_user_outside_the_department_is_refused(client, auth) -> None:
    created = register(client, auth)
    triage = open_task(client, auth, created["id"])
    # Another department's task is answered as if it did not exist: task ids are sequential.
    response = complete(client, auth, "eng", triage["id"], TRIAGE)
    assert response.status_code == 404 and response.json["error"] == "not_found"
    missing = client.get("/api/v1/tasks/999999", headers=auth("eng")).json
    assert response.json["message"] == missing["message"].replace("999999", str(triage["id"]))
    assert client.get(f"/api/v1/tasks/{triage['id']}", headers=auth("eng")).status_code == 404
    assert client.post(f"/api/v1/tasks/{triage['id']}/claim", headers=auth("eng")).status_code == 404
    # The group centre sees every department's work but acts on none of it.
    assert client.get(f"/api/v1/tasks/{triage['id']}", headers=auth("group_crc")).status_code == 200
    response = complete(client, auth, "group_crc", triage["id"], TRIAGE)
    assert response.status_code == 403 and response.json["error"] == "forbidden"
    assert open_task(client, auth, created["id"])["state"] == "open"


def test_invalid_form_data_is_refused_with_a_message_per_field(client, auth) -> None:
    created = register(client, auth)
    triage = open_task(client, auth, created["id"])
    response = complete(
        client, auth, "crc", triage["id"], {"severity": "catastrophic", "department": "nowhere"}
    )
    assert response.status_code == 422
    fields = response.json["fields"]
    assert set(fields) == {"category", "severity", "department"}
    assert "urgent" in fields["severity"] and "engineering" in fields["department"]
    assert open_task(client, auth, created["id"])["id"] == triage["id"]


def test_assign_gives_the_task_to_a_department_colleague_only(client, auth) -> None:
    created = register(client, auth)
    triage = open_task(client, auth, created["id"])
    refused = client.post(
        f"/api/v1/tasks/{triage['id']}/assign", json={"username": "eng"}, headers=auth("crc")
    )
    assert refused.status_code == 403
    given = client.post(
        f"/api/v1/tasks/{triage['id']}/assign", json={"username": "crc_sup"}, headers=auth("crc")
    )
    assert given.status_code == 200 and given.json["assignee"] == "crc_sup"
    mine = client.get("/api/v1/tasks?assignee=me", headers=auth("crc_sup")).json["tasks"]
    assert [t["id"] for t in mine] == [triage["id"]]


def test_task_detail_carries_its_form_as_json_schema(client, auth) -> None:
    created = register(client, auth)
    triage = open_task(client, auth, created["id"])
    detail = client.get(f"/api/v1/tasks/{triage['id']}", headers=auth("crc")).json
    schema = detail["form"]
    assert schema["properties"]["severity"]["enum"] == ["urgent", "high", "normal", "low"]
    assert "engineering" in schema["properties"]["department"]["enum"]
    assert detail["data"]["number"] == created["number"]


def test_inbox_lists_only_the_callers_departments(client, auth) -> None:
    created = register(client, auth)
    crc_rows = client.get("/api/v1/tasks?state=open", headers=auth("crc")).json["tasks"]
    assert created["instance_id"] in [t["instance_id"] for t in crc_rows]
    assert all(t["department"] == "crc" for t in crc_rows)
    assert client.get("/api/v1/tasks", headers=auth("eng")).json["tasks"] == []
    assert client.get("/api/v1/tasks?department=crc", headers=auth("eng")).status_code == 403
    row = crc_rows[0]
    assert set(row) >= {"id", "name", "department", "assignee", "state", "instance_id", "due_at"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "pigeon", "description": "x", "owner_phone": OWNER_PHONE}, "channel"),
        ({"channel": "hotline", "description": "", "owner_phone": OWNER_PHONE}, "description"),
        ({"channel": "hotline", "description": "x", "owner_phone": "10000000000"}, "owner_phone"),
        ({"channel": "hotline", "description": "x"}, "owner_phone"),
        ({"channel": "hotline", "description": "x", "owner_id": "abc"}, "owner_id"),
        (
            {"channel": "hotline", "description": "x", "owner_phone": OWNER_PHONE, "unit_id": 999999},
            "unit_id",
        ),
    ],
)
def test_a_malformed_complaint_is_refused_with_the_field_named(client, auth, body, field) -> None:
    response = client.post("/api/v1/complaints", json=body, headers=auth("crc"))
    assert response.status_code == 422, response.json
    assert field in response.json["fields"]


def test_requests_without_a_valid_token_or_json_are_refused_cleanly(client, auth) -> None:
    assert client.get("/api/v1/tasks").status_code == 401
    assert (
        client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"}).json["error"] == "unauthorized"
    )
    bad = client.post(
        "/api/v1/complaints", data="{not json", headers={**auth("crc"), "Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and set(bad.json) >= {"error", "message", "fields"}
    assert client.get("/api/v1/complaints/999999", headers=auth("crc")).status_code == 404
    assert client.get("/api/v1/nothing-here", headers=auth("crc")).status_code == 404
    triage = open_task(client, auth, register(client, auth)["id"])
    no_data = client.post(f"/api/v1/tasks/{triage['id']}/complete", json={"nodata": 1}, headers=auth("crc"))
    assert no_data.status_code == 422


def test_openapi_document_describes_the_endpoints(client) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    for path in (
        "/complaints",
        "/complaints/{complaint_id}",
        "/tasks",
        "/tasks/{task_id}/complete",
        "/process-definitions",
    ):
        assert path in document["paths"]
    assert "ComplaintCreate" in document["components"]["schemas"]


def test_the_handler_can_pause_the_deadline_while_waiting_for_the_owner(client, auth) -> None:  # type: ignore[no-untyped-def]
    created = register(client, auth)
    complete(client, auth, "crc", open_task(client, auth, created["id"])["id"], TRIAGE)
    handle = open_task(client, auth, created["id"])
    assert handle["due_at"] is not None
    waiting = client.post(
        f"/api/v1/tasks/{handle['id']}/wait-for-owner", json={"note": "业主出差"}, headers=auth("eng")
    )
    assert waiting.status_code == 200
    assert (
        waiting.json["waiting_since"]
        and waiting.json["time_left_seconds"] is None
        and not waiting.json["overdue"]
    )
    again = client.post(f"/api/v1/tasks/{handle['id']}/wait-for-owner", headers=auth("eng"))
    assert again.status_code == 409
    answered = client.post(f"/api/v1/tasks/{handle['id']}/owner-answered", headers=auth("eng"))
    assert answered.status_code == 200 and answered.json["waiting_since"] is None
    assert answered.json["time_left_seconds"] > 0
    assert client.post(f"/api/v1/tasks/{handle['id']}/owner-answered", headers=auth("eng")).status_code == 409
    assert client.post(f"/api/v1/tasks/{handle['id']}/wait-for-owner", headers=auth("crc")).status_code == 404
    timeline = client.get(f"/api/v1/complaints/{created['id']}", headers=auth("crc")).json["timeline"]
    assert {"task.waiting_owner", "task.owner_answered"} <= {e["kind"] for e in timeline}


def test_a_step_whose_own_script_fails_is_refused_and_changes_nothing(client, auth, app) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import DATA

    with open(DATA / "poison.bpmn", "rb") as diagram:
        deployed = client.post(
            "/api/v1/process-definitions", data={"file": (diagram, "poison.bpmn")}, headers=auth("admin")
        )
    assert deployed.status_code == 201
    with app.app_context():
        from crm.directory import actor_for
        from webapp import db_session, platform

        p = platform()
        instance = p.runtime.start("poison", {}, actor_for(p.directory.user("crc")))
        db_session().commit()
        instance_id = instance.id
    row = client.get(f"/api/v1/tasks?instance_id={instance_id}", headers=auth("crc")).json["tasks"][0]
    refused = complete(client, auth, "crc", row["id"], {"reached": "no", "reply": "boom"})
    assert refused.status_code == 409 and refused.json["error"] == "step_failed"
    assert "division by zero" in refused.json["message"]
    again = client.get(f"/api/v1/tasks/{row['id']}", headers=auth("crc")).json
    assert again["state"] == "open"
    assert complete(client, auth, "crc", row["id"], {"reached": "no", "reply": "好的"}).status_code == 200


def test_ids_no_record_can_have_are_not_found_or_refused(client, auth) -> None:  # type: ignore[no-untyped-def]
    huge = 2**70
    assert client.get(f"/api/v1/complaints/{huge}", headers=auth("crc")).status_code == 404
    assert client.get(f"/api/v1/tasks/{huge}", headers=auth("crc")).status_code == 404
    assert client.get(f"/api/v1/tasks?instance_id={huge}", headers=auth("crc")).status_code == 422
    body = {"channel": "hotline", "description": "x", "owner_id": 2**63}
    assert client.post("/api/v1/complaints", json=body, headers=auth("crc")).status_code == 422


def test_the_task_list_pages_with_its_cursor(client, auth) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        register(client, auth)
    first = client.get("/api/v1/tasks?limit=2", headers=auth("crc")).json
    assert len(first["tasks"]) == 2 and first["next_after"]
    second = client.get(f"/api/v1/tasks?limit=2&after={first['next_after']}", headers=auth("crc")).json
    ids = [t["id"] for t in first["tasks"]] + [t["id"] for t in second["tasks"]]
    assert len(ids) == len(set(ids)) >= 3
    bad = client.get("/api/v1/tasks?after=1", headers=auth("crc"))
    assert bad.status_code == 422 and "after" in bad.json["fields"]
