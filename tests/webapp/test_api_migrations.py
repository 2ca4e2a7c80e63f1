"""POST /api/v1/process-definitions/{key}/migrations: a dry run says which running requests can move to
another version and why the others cannot; a real run moves them; bad input is a 4xx with a message."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from engine.actors import SYSTEM
from tests.migration_support import COMPLAINT, deploy, with_step_added, with_triage_replaced

URL = "/api/v1/process-definitions/complaint/migrations"


def started(
    session_factory: sessionmaker[Session], foundation: Foundation, xml: str
) -> tuple[list[int], int]:
    with session_factory() as session:
        platform = Platform(session, foundation)
        items = [{"description": f"第{n}户 墙面开裂"} for n in range(3)]
        ids = platform.runtime.start_many("complaint", COMPLAINT, items, SYSTEM)
        version = deploy(platform, xml).version
        session.commit()
    return ids, version


def test_a_dry_run_then_a_real_run(client, auth, session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    ids, version = started(session_factory, foundation, with_step_added())
    body = {"from_version": 1, "to_version": version, "dry_run": True}
    preview = client.post(URL, json=body, headers=auth("admin"))
    assert preview.status_code == 200, preview.get_json()
    assert set(ids) <= set(preview.get_json()["movable"]) and preview.get_json()["blocked"] == []
    request = client.get(f"/api/v1/requests/{ids[0]}", headers=auth("admin")).get_json()
    assert request["process_version"] == 1

    done = client.post(URL, json={**body, "dry_run": False}, headers=auth("admin"))
    assert done.status_code == 200
    assert set(ids) <= set(done.get_json()["moved"]) and done.get_json()["blocked"] == []
    request = client.get(f"/api/v1/requests/{ids[0]}", headers=auth("admin")).get_json()
    assert request["process_version"] == version
    assert any(entry["kind"] == "instance.migrated" for entry in request["timeline"])


def test_a_removed_step_is_blocked_with_its_reason_until_mapped(  # type: ignore[no-untyped-def]
    client, auth, session_factory, foundation
) -> None:
    ids, version = started(session_factory, foundation, with_triage_replaced())
    body = {"from_version": 1, "to_version": version, "dry_run": True}
    preview = client.post(URL, json=body, headers=auth("admin")).get_json()
    assert preview["movable"] == []
    blocked = {b["instance_id"]: b["reason"] for b in preview["blocked"]}
    assert blocked[ids[0]] == f"当前步骤『客服分派』在第{version}版中不存在"

    mapped = {**body, "dry_run": False, "mapping": {"triage": "dispatch"}}
    done = client.post(URL, json=mapped, headers=auth("admin")).get_json()
    assert set(ids) <= set(done["moved"])


def test_bad_input_is_refused_with_a_message(client, auth, session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    _, version = started(session_factory, foundation, with_triage_replaced())
    admin = auth("admin")
    cases = [
        ("/api/v1/process-definitions/nope/migrations", {"from_version": 1, "to_version": 2}, 404),
        (URL, {"from_version": 1, "to_version": 99}, 404),
        (URL, {"from_version": 1, "to_version": 1}, 422),
        (URL, {"from_version": 1, "to_version": version, "mapping": {"triage": "nowhere"}}, 422),
        (URL, {"from_version": "one", "to_version": version}, 422),
        (URL, {"to_version": version}, 422),
    ]
    for url, body, status in cases:
        response = client.post(url, json=body, headers=admin)
        assert response.status_code == status, (body, response.get_json())
        assert response.get_json()["message"]
    not_json = client.post(URL, data="from 1 to 2", headers=admin)
    assert not_json.status_code == 400
    # Moving requests is for those who deploy processes.
    assert (
        client.post(URL, json={"from_version": 1, "to_version": version}, headers=auth("crc")).status_code
        == 403
    )
