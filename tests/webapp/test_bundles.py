"""Deploys of several files: forms in every format travel with the diagram and validate every submission
field by field; call activities and DMN decisions resolve across the files of one deploy; a running
instance keeps the forms of its version; a bad companion file refuses the whole deploy."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.platform import Platform
from engine.errors import InvalidData
from engine.models import AuditEvent, DefinitionFile, ProcessDefinition, ProcessInstance
from tests.webapp.pages_support import actor, login, text

BUNDLES = Path(__file__).resolve().parents[1] / "data" / "bundles"


def deploy(client, auth, *names: str, **fields: Any):  # type: ignore[no-untyped-def]
    files = [(io.BytesIO((BUNDLES / name).read_bytes()), name) for name in names]
    return client.post(
        "/api/v1/process-definitions",
        data={"file": files, **fields},
        headers=auth("admin"),
        content_type="multipart/form-data",
    )


def start(platform: Platform, key: str, data: dict[str, Any] | None = None) -> int:
    instance = platform.runtime.start(key, data or {}, actor(platform, "crc"))
    platform.session.commit()
    return instance.id


def current(client, auth, platform: Platform, instance_id: int, user: str = "admin") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    rows = [t for t in platform.tasks.open_tasks_of(instance_id)]
    assert len(rows) == 1, [r.element_id for r in rows]
    return client.get(f"/api/v1/tasks/{rows[0].id}", headers=auth(user)).json


def complete(client, auth, user: str, task_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=auth(user))


def status(platform: Platform, instance_id: int) -> str:
    platform.session.expire_all()
    return platform.session.get(ProcessInstance, instance_id).status  # type: ignore[union-attr]


def test_a_camunda_forms_file_with_every_component_validates_each_field(client, auth, platform) -> None:
    response = deploy(client, auth, "camunda_forms.bpmn", "site_visit.form")
    assert response.status_code == 201, response.json
    instance_id = start(platform, "site_visit")
    task = current(client, auth, platform, instance_id)
    assert task["form_key"] == "site_visit"
    schema = task["form"]["properties"]
    assert set(schema) == {
        "unit",
        "notes",
        "area",
        "owner_present",
        "parts",
        "urgency",
        "party",
        "visit_date",
        "recheck_at",
        "tags",
    }
    assert schema["unit"]["pattern"] == "[0-9]+-[0-9]+" and schema["owner_present"]["type"] == "boolean"

    bad = {
        "unit": "1",
        "notes": "x" * 201,
        "area": 51,
        "owner_present": "perhaps",
        "parts": ["roof"],
        "party": "nobody",
        "visit_date": "2026-13-01",
        "recheck_at": "tomorrow",
        "tags": ["other"],
    }
    refused = complete(client, auth, "crc", task["id"], {"data": bad})
    assert refused.status_code == 422
    assert refused.json["fields"] == {
        "unit": "must be at least 3 characters",
        "notes": "must be at most 200 characters",
        "area": "must be a number between 0 and 50",
        "owner_present": "must be true or false",
        "parts": "must be one of: ceiling, wall, floor",
        "urgency": "required",
        "party": "must be one of: general, waterproofing",
        "visit_date": "must be a date (YYYY-MM-DD)",
        "recheck_at": "must be a date and time (YYYY-MM-DDTHH:MM)",
        "tags": "must be one of: rework, escalated",
    }
    pattern = complete(client, auth, "crc", task["id"], {"data": {**bad, "unit": "12a"}})
    assert pattern.json["fields"]["unit"] == "must match the pattern [0-9]+-[0-9]+"

    good = {
        "unit": "1-1201",
        "area": 2.5,
        "owner_present": True,
        "parts": ["ceiling", "wall"],
        "urgency": "high",
        "party": "waterproofing",
        "visit_date": "2026-12-01",
        "recheck_at": "2026-12-08T10:00",
        "tags": ["rework"],
    }
    assert complete(client, auth, "crc", task["id"], {"data": good}).status_code == 200
    assert status(platform, instance_id) == "completed"


def test_camunda_form_data_deploys_unchanged_and_validates(client, auth, platform) -> None:
    response = deploy(client, auth, "form_data.bpmn")
    assert response.status_code == 201 and response.json["notices"] == [], response.json
    instance_id = start(platform, "repair_quote")
    task = current(client, auth, platform, instance_id)
    assert set(task["form"]["properties"]) == {
        "supplier",
        "amount",
        "warranty",
        "start",
        "kind",
    }  # readonly out
    refused = complete(
        client, auth, "eng", task["id"], {"data": {"supplier": "甲", "amount": 0, "kind": "x"}}
    )
    assert refused.status_code == 422 and refused.json["fields"] == {
        "supplier": "must be at least 2 characters",
        "amount": "must be an integer between 1 and 100000",
        "kind": "must be one of: plumbing, paint",
    }
    good = {"supplier": "安居维修", "amount": 1200, "warranty": False, "start": "2026-12-03", "kind": "paint"}
    assert complete(client, auth, "eng", task["id"], {"data": good}).status_code == 200
    assert status(platform, instance_id) == "completed"


def test_a_spiffarena_diagram_with_a_json_schema_form_runs_through_the_api(client, auth, platform) -> None:
    response = deploy(
        client, auth, "spiff_request.bpmn", "key-request-schema.json", "key-request-uischema.json"
    )
    assert response.status_code == 201, response.json
    instance_id = start(platform, "key_request")
    task = current(client, auth, platform, instance_id)
    form = task["form"]
    assert form["title"] == "钥匙借用登记"
    assert form["x-order"] == ["purpose", "borrower", "days", "return_on", "deposit", "note"]
    assert form["properties"]["purpose"]["x-widget"] == "radio"
    assert form["required"] == ["purpose", "borrower", "days"]  # in the UI schema's order
    assert form["properties"]["note"]["x-widget"] == "textarea"
    refused = complete(
        client, auth, "crc", task["id"], {"data": {"borrower": "王", "days": 9, "purpose": "x"}}
    )
    assert refused.status_code == 422 and set(refused.json["fields"]) == {"borrower", "days", "purpose"}
    data = {"borrower": "王先生", "days": 2, "purpose": "repair", "deposit": True}
    assert complete(client, auth, "crc", task["id"], {"data": data}).status_code == 200
    # The manual task after it has no form: a plain completion with a comment, kept on the timeline.
    plain = current(client, auth, platform, instance_id)
    assert plain["form"] is None
    done = complete(client, auth, "crc", plain["id"], {"comment": "钥匙已交还"})
    assert done.status_code == 200, done.json
    assert status(platform, instance_id) == "completed"
    comments = platform.session.scalars(
        select(AuditEvent.data).where(
            AuditEvent.instance_id == instance_id, AuditEvent.kind == "task.completed"
        )
    ).all()
    assert comments[-1] == {"comment": "钥匙已交还"}


def test_a_call_activity_runs_a_process_of_another_file_of_the_deploy(client, auth, platform) -> None:
    response = deploy(client, auth, "rectify_main.bpmn", "rectify_work.bpmn", "rectify_report.json")
    assert response.status_code == 201, response.json
    assert response.json["key"] == "rectify"
    instance_id = start(platform, "rectify")
    repair = current(client, auth, platform, instance_id)
    assert (repair["element_id"], repair["department"], repair["form_key"]) == (
        "Activity_repair",
        "engineering",
        "rectify_report",
    )
    assert complete(client, auth, "eng", repair["id"], {"data": {}}).json["fields"] == {"done": "required"}
    assert complete(client, auth, "eng", repair["id"], {"data": {"done": "更换止水节"}}).status_code == 200
    confirm = current(client, auth, platform, instance_id)
    assert confirm["element_id"] == "Activity_confirm"
    assert complete(client, auth, "crc", confirm["id"], {}).status_code == 200
    assert status(platform, instance_id) == "completed"
    stored = {
        tuple(row)
        for row in platform.session.execute(
            select(DefinitionFile.filename, DefinitionFile.kind, DefinitionFile.main)
            .join(ProcessDefinition, ProcessDefinition.id == DefinitionFile.definition_id)
            .where(ProcessDefinition.key == "rectify")
        )
    }
    assert stored == {
        ("rectify_main.bpmn", "bpmn", True),
        ("rectify_work.bpmn", "bpmn", False),
        ("rectify_report.json", "form", False),
    }


def test_a_dmn_decision_routes_the_next_task(client, auth, platform) -> None:
    response = deploy(client, auth, "route_by_category.bpmn", "department_for_category.dmn")
    assert response.status_code == 201, response.json
    assert [n["message"] for n in response.json["notices"]] == [
        "camunda:resultVariable is not used: each output of the decision becomes a variable of its own name",
        "user task has no form: it is completed with an optional comment",
    ]
    quality = start(platform, "routed_request", {"category": "quality"})
    other = start(platform, "routed_request", {"category": "noise"})
    assert current(client, auth, platform, quality)["department"] == "engineering"
    assert current(client, auth, platform, other)["department"] == "crc"
    task = current(client, auth, platform, quality)
    assert complete(client, auth, "eng", task["id"], {}).status_code == 200
    assert status(platform, quality) == "completed"


def test_a_running_instance_keeps_the_form_of_its_version(client, auth, platform, tmp_path) -> None:
    assert (
        deploy(client, auth, "rectify_main.bpmn", "rectify_work.bpmn", "rectify_report.json").status_code
        == 201
    )
    old = start(platform, "rectify")
    changed = tmp_path / "rectify_report.json"
    changed.write_text(
        (BUNDLES / "rectify_report.json")
        .read_text()
        .replace(
            '"required": true}',
            '"required": true},\n'
            '    {"name": "photo_taken", "type": "yesno", "label": "已拍照", "required": true}',
        ),
        encoding="utf-8",
    )
    files = [(io.BytesIO((BUNDLES / n).read_bytes()), n) for n in ("rectify_main.bpmn", "rectify_work.bpmn")]
    second = client.post(
        "/api/v1/process-definitions",
        data={"file": [*files, (io.BytesIO(changed.read_bytes()), "rectify_report.json")]},
        headers=auth("admin"),
        content_type="multipart/form-data",
    )
    assert second.status_code == 201 and second.json["version"] == 2, second.json
    new = start(platform, "rectify")
    old_task, new_task = current(client, auth, platform, old), current(client, auth, platform, new)
    assert set(old_task["form"]["properties"]) == {"done"}
    assert set(new_task["form"]["properties"]) == {"done", "photo_taken"}
    assert complete(client, auth, "eng", old_task["id"], {"data": {"done": "修好"}}).status_code == 200
    assert complete(client, auth, "eng", new_task["id"], {"data": {"done": "修好"}}).json["fields"] == {
        "photo_taken": "required"
    }


def test_malformed_companions_refuse_the_deploy_and_nothing_is_stored(
    client, auth, platform, tmp_path
) -> None:
    before = platform.session.scalar(select(func.count()).select_from(ProcessDefinition))
    broken_form = tmp_path / "site_visit.form"
    broken_form.write_text('{"components": [', encoding="utf-8")
    broken_dmn = tmp_path / "department_for_category.dmn"
    broken_dmn.write_text("<definitions><decision", encoding="utf-8")
    odd = tmp_path / "notes.txt"
    odd.write_text("hello", encoding="utf-8")
    files = [
        (io.BytesIO((BUNDLES / "camunda_forms.bpmn").read_bytes()), "camunda_forms.bpmn"),
        (io.BytesIO(broken_form.read_bytes()), "site_visit.form"),
        (io.BytesIO(broken_dmn.read_bytes()), "department_for_category.dmn"),
    ]
    refused = client.post(
        "/api/v1/process-definitions",
        data={"file": files},
        headers=auth("admin"),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    problems = {(p["file"], p["message"].split(" (")[0]) for p in refused.json["problems"]}
    assert ("site_visit.form", "invalid JSON") in problems
    assert any(f == "department_for_category.dmn" and m.startswith("malformed XML") for f, m in problems)
    odd_refused = client.post(
        "/api/v1/process-definitions",
        data={
            "file": [
                (io.BytesIO((BUNDLES / "form_data.bpmn").read_bytes()), "form_data.bpmn"),
                (io.BytesIO(odd.read_bytes()), "notes.txt"),
            ]
        },
        headers=auth("admin"),
        content_type="multipart/form-data",
    )
    assert odd_refused.status_code == 422
    assert odd_refused.json["problems"][0]["message"].startswith("notes.txt: unknown file type")
    bad_lane = deploy(client, auth, "form_data.bpmn", lane="Accounting")
    assert bad_lane.status_code == 422 and "lane 'Accounting'" in bad_lane.json["fields"]["lane"]
    platform.session.expire_all()
    assert platform.session.scalar(select(func.count()).select_from(ProcessDefinition)) == before


def test_a_start_form_deployed_with_the_diagram_checks_the_start_data(client, auth, platform) -> None:
    drawn = (BUNDLES / "camunda_forms.bpmn").read_text(encoding="utf-8")
    started_with_form = drawn.replace(
        '<bpmn:startEvent id="StartEvent_1">',
        '<bpmn:startEvent id="StartEvent_1" camunda:formKey="camunda-forms:deployment:site_visit.form">',
    )
    files = [
        (io.BytesIO(started_with_form.encode("utf-8")), "camunda_forms.bpmn"),
        (io.BytesIO((BUNDLES / "site_visit.form").read_bytes()), "site_visit.form"),
    ]
    response = client.post(
        "/api/v1/process-definitions",
        data={"file": files},
        headers=auth("admin"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    with pytest.raises(InvalidData) as refused:
        platform.process_requests.start("site_visit", {"unit": "1"}, actor(platform, "crc"))
    assert refused.value.fields["unit"] == "must be at least 3 characters"
    assert refused.value.fields["urgency"] == "required"


def test_a_spiffarena_diagram_whose_lane_is_mapped_at_deploy_runs_with_its_json_schema_form(  # type: ignore[no-untyped-def]
    client, auth, platform
) -> None:
    drawn = (BUNDLES / "spiff_request.bpmn").read_text(encoding="utf-8")
    renamed = drawn.replace('name="客户关系中心"', 'name="Front Desk"')
    assert renamed != drawn

    def upload(**fields: str):  # type: ignore[no-untyped-def]
        forms = ("key-request-schema.json", "key-request-uischema.json")
        files = [(io.BytesIO(renamed.encode()), "spiff_request.bpmn")]
        files += [(io.BytesIO((BUNDLES / name).read_bytes()), name) for name in forms]
        return client.post(
            "/api/v1/process-definitions",
            data={"file": files, **fields},
            headers=auth("admin"),
            content_type="multipart/form-data",
        )

    unmapped = upload()
    assert unmapped.status_code == 422 and "Front Desk" in str(unmapped.json)
    mapped = upload(lane="front desk=CRC")  # lane names and department codes in any case
    assert mapped.status_code == 201, mapped.json
    instance_id = start(platform, "key_request")
    task = current(client, auth, platform, instance_id)
    assert task["department"] == "crc"
    data = {"borrower": "王先生", "days": 2, "purpose": "repair"}
    assert complete(client, auth, "crc", task["id"], {"data": data}).status_code == 200
    plain = current(client, auth, platform, instance_id)
    assert complete(client, auth, "crc", plain["id"], {}).status_code == 200
    assert status(platform, instance_id) == "completed"


def test_start_data_and_known_values_are_labelled_by_the_forms_deployed_with_the_diagram(  # type: ignore[no-untyped-def]
    client, auth, platform, app
) -> None:
    data = BUNDLES.parent
    names = [
        "repair_request.bpmn",
        *(f"repair_forms/{n}" for n in ("repair_start.json", "repair_inspect.json")),
    ]
    names.append("repair_forms/repair_confirm.json")
    files = [(io.BytesIO((data / name).read_bytes()), name.rsplit("/", 1)[-1]) for name in names]
    deployed = client.post(
        "/api/v1/process-definitions",
        data={"file": files},
        headers=auth("admin"),
        content_type="multipart/form-data",
    )
    assert deployed.status_code == 201, deployed.json
    started = client.post(
        "/api/v1/process-definitions/repair_request/instances",
        json={"data": {"summary": "5栋地下车库积水"}},
        headers=auth("crc"),
    ).json
    [step] = platform.tasks.open_tasks_of(started["id"])
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "crc")

    engineer = app.test_client()
    login(engineer, "eng")

    request_page = text(client.get(f"/requests/{started['id']}"))
    task_page = text(engineer.get(f"/tasks/{step.id}"))

    for page in (request_page, task_page):
        assert "报修事项 5栋地下车库积水" in page and "summary" not in page
