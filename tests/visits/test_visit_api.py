"""Return visits over the API: my open visits, a visit with its questionnaire and history, and recording a
call — 201 with the visit (and the complaint a low score opened), 422 per question, 409 when stale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from crm.platform import Platform
from crm.visits.models import VisitAnswer
from tests.visits.support import CONTENT, campaign, visit


def test_a_visitor_lists_their_visits_and_records_a_low_score(
    client: Any, platform: Platform, auth: Callable[[str], dict[str, str]]
) -> None:
    run = campaign(platform, visitors=("crc", "crc_sup"))
    mine = visit(platform, run, "13800000001", "crc")
    visit(platform, run, "13800000002", "crc_sup")
    platform.session.commit()
    headers = auth("crc")

    listed = client.get("/api/v1/visits?mine=1&status=open", headers=headers)
    assert listed.status_code == 200
    body = listed.get_json()
    assert [v["id"] for v in body["visits"]] == [mine.id] and body["total"] == 1
    assert body["visits"][0]["phone"] == "138****0001" and body["visits"][0]["task_id"] is not None
    everyone = client.get("/api/v1/visits", headers=headers).get_json()
    assert everyone["total"] == 2  # a coordinator runs campaigns: everyone's by default
    assert client.get("/api/v1/visits?status=nonsense", headers=headers).status_code == 422
    assert client.get("/api/v1/visits?visitor=crc", headers=auth("eng")).status_code == 403

    shown = client.get(f"/api/v1/visits/{mine.id}", headers=headers).get_json()
    assert shown["attempt"] == 1 and shown["script"].startswith("您好")
    assert shown["questionnaire"]["properties"]["q_quality"]["maximum"] == 5
    assert shown["number"].startswith("HF-") and shown["history"]["open_requests"] == []

    wrong = client.post(
        f"/api/v1/visits/{mine.id}/attempts",
        json={"outcome": "answered", "answers": {**CONTENT, "q_quality": 9, "overall": None}},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert set(wrong.get_json()["fields"]) == {"answers.q_quality", "answers.overall"}
    assert platform.session.scalar(select(func.count()).select_from(VisitAnswer)) == 0

    made = client.post(
        f"/api/v1/visits/{mine.id}/attempts",
        json={
            "outcome": "answered",
            "note": "业主在家",
            "attempt": 1,
            "answers": {**CONTENT, "q_quality": 2},
        },
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    result = made.get_json()
    assert result["status"] == "answered" and result["dissatisfied"] is True
    assert result["complaint"].startswith("TS-") and result["lowest_score"] == 2
    assert result["answers"]["q_quality"] == {"score": 2, "value": None}
    assert [a["outcome"] for a in result["attempts_made"]] == ["answered"]

    stale = client.post(
        f"/api/v1/visits/{mine.id}/attempts", json={"outcome": "answered", "attempt": 1}, headers=headers
    )
    assert stale.status_code == 409 and stale.get_json()["error"]


def test_bad_bodies_are_refused_and_others_may_not_record(
    client: Any, platform: Platform, auth: Callable[[str], dict[str, str]]
) -> None:
    made = visit(platform, campaign(platform))
    platform.session.commit()
    url = f"/api/v1/visits/{made.id}/attempts"
    headers = auth("crc")
    assert client.post(url, json={"outcome": "maybe"}, headers=headers).status_code == 422
    assert client.post(url, json={"outcome": "busy", "extra": 1}, headers=headers).status_code == 422
    assert (
        client.post(url, data="[]", headers={**headers, "Content-Type": "application/json"}).status_code
        == 400
    )
    assert client.post(url, json={"outcome": "busy"}, headers=auth("eng")).status_code == 403
    assert (
        client.post("/api/v1/visits/999999/attempts", json={"outcome": "busy"}, headers=headers).status_code
        == 404
    )
    # Someone of the centre who is neither the visitor nor their supervisor: the visit is not theirs.
    assert client.post(url, json={"outcome": "busy"}, headers=auth("admin")).status_code == 409
    # The supervisor takes it over.
    taken = client.post(url, json={"outcome": "busy"}, headers=auth("crc_sup"))
    assert taken.status_code == 201 and taken.get_json()["attempts_made"][0]["by"] == "crc_sup"
