"""/api/v1/campaigns: a draft created, its audience previewed, launched, paused, resumed and finished, its
visits listed; bad input a 422 or 409 in the one error shape, with nothing written."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from crm.visits.launch import Launcher
from crm.visits.models import Campaign
from tests.visits.campaign_support import questionnaire, site


def _body(platform: Platform, project_id: int, **more: object) -> dict[str, object]:
    return {
        "name": "2026交付回访",
        "kind": "thematic",
        "method": "phone",
        "questionnaire_id": questionnaire(platform).id,
        "visitors": ["crc", "crc_sup"],
        "script": "您好，这里是客户关系中心……",
        "audience": {"project_ids": [project_id], "handed_over_from": "2026-01-01"},
        **more,
    }


def test_a_campaign_from_draft_to_finished(  # type: ignore[no-untyped-def]
    client, auth, platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    s = site(
        platform,
        "API",
        plan=[("handed_over", date(2024, 1, 1), date(2026, 5, 1))] * 5 + [("signed", date(2025, 1, 1), None)],
    )
    platform.session.commit()
    preview = client.post(
        "/api/v1/campaigns/preview",
        json={
            "kind": "thematic",
            "audience": {"project_ids": [s.project.id], "handed_over_from": "2026-01-01"},
        },
        headers=auth("crc_sup"),
    )
    assert preview.status_code == 200
    assert preview.get_json()["count"] == 5
    first = preview.get_json()["sample"][0]
    assert first["unit"] == "API花园 1栋 0101" and first["phone"].count("*") == 4

    created = client.post("/api/v1/campaigns", json=_body(platform, s.project.id), headers=auth("crc_sup"))
    assert created.status_code == 201, created.get_json()
    campaign = created.get_json()
    assert (campaign["status"], campaign["visitors"], campaign["total"]) == ("draft", ["crc", "crc_sup"], 0)
    url = f"/api/v1/campaigns/{campaign['id']}"

    launched = client.post(f"{url}/launch", headers=auth("crc_sup"))
    assert launched.status_code == 200
    assert (launched.get_json()["status"], launched.get_json()["total"]) == ("launching", 5)
    again = client.post(f"{url}/launch", headers=auth("crc_sup"))
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert client.post(f"{url}/pause", headers=auth("crc_sup")).get_json()["status"] == "paused"
    assert client.post(f"{url}/pause", headers=auth("crc_sup")).status_code == 409
    assert client.post(f"{url}/resume", headers=auth("crc_sup")).get_json()["status"] == "launching"

    Launcher(session_factory, lambda x: Platform(x, foundation).runtime, foundation.clock).run_once()
    found = client.get(url, headers=auth("eng")).get_json()  # every member of staff may look
    assert (found["status"], found["started"], found["total"]) == ("running", 5, 5)
    visits = client.get(f"{url}/visits?visitor=crc", headers=auth("crc")).get_json()
    assert visits["total"] in (2, 3) and {v["status"] for v in visits["visits"]} == {"open"}
    assert all(v["instance_id"] for v in visits["visits"])
    assert client.get(f"{url}/visits?status=lost", headers=auth("crc")).status_code == 422

    assert client.post(f"{url}/finish", headers=auth("crc_sup")).get_json()["status"] == "finished"
    assert client.post(f"{url}/finish", headers=auth("crc_sup")).status_code == 409
    listed = client.get("/api/v1/campaigns", headers=auth("crc")).get_json()["campaigns"]
    assert campaign["id"] in [c["id"] for c in listed]


def test_bad_input_is_refused_and_nothing_is_written(client, auth, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    s = site(platform, "BAD", plan=[("handed_over", date(2024, 1, 1), date(2026, 5, 1))])
    platform.session.commit()
    before = platform.session.scalar(select(func.count()).select_from(Campaign))

    def refused(body: dict[str, object], status: int = 422) -> dict[str, str]:
        answer = client.post("/api/v1/campaigns", json=body, headers=auth("crc_sup"))
        assert answer.status_code == status, answer.get_json()
        assert set(answer.get_json()) == {"error", "message", "fields"}
        fields: dict[str, str] = answer.get_json()["fields"]
        return fields

    assert "audience.project_ids" in refused(_body(platform, 999_999))
    assert "signed_from" in str(
        refused({**_body(platform, s.project.id), "audience": {"signed_from": "2026-02-30"}})
    )
    backwards = {"handed_over_from": "2026-05-01", "handed_over_to": "2026-04-01"}
    assert "audience.handed_over_to" in refused({**_body(platform, s.project.id), "audience": backwards})
    assert "visitors" in refused(_body(platform, s.project.id, visitors=[]))
    assert "visitors" in refused(_body(platform, s.project.id, visitors=["eng"]))
    assert "days_after" in refused(_body(platform, s.project.id, kind="post_handover"))
    assert "questionnaire_id" in refused(_body(platform, s.project.id, questionnaire_id=999_999))
    assert "kind" in refused(_body(platform, s.project.id, kind="yearly"))
    assert "colour" in refused({**_body(platform, s.project.id), "colour": "red"})
    platform.session.expire_all()
    assert platform.session.scalar(select(func.count()).select_from(Campaign)) == before

    preview = client.post(
        "/api/v1/campaigns/preview",
        json={"kind": "thematic", "audience": {"project_ids": [999_999]}},
        headers=auth("crc_sup"),
    )
    assert preview.status_code == 422 and "project_ids" in preview.get_json()["fields"]
    assert (
        client.post("/api/v1/campaigns", json=_body(platform, s.project.id), headers=auth("eng")).status_code
        == 403
    )
    assert client.post("/api/v1/campaigns/999999/launch", headers=auth("crc_sup")).status_code == 404


def test_a_return_visit_is_not_started_through_the_generic_start(client, auth) -> None:  # type: ignore[no-untyped-def]
    answer = client.post(
        "/api/v1/process-definitions/return_visit/instances", json={"data": {}}, headers=auth("crc_sup")
    )
    assert answer.status_code == 422
    assert "回访由回访活动发起" in answer.get_json()["message"]
