"""The results and satisfaction over the API and on their pages: the figures as the services compute them,
each satisfaction figure with its numerator and denominator, bad input a clear 4xx."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from crm.platform import Platform
from crm.visits.models import Campaign
from crm.visits.online import owner_actor
from tests.bulletins.support import estate
from tests.visits.online_support import add_visits, campaign
from tests.webapp.pages_support import login, text

ANSWERS = {
    "q_handover": "5",
    "q_quality": "2",
    "q_rectification": "4",
    "q_property": "3",
    "overall": "neutral",
    "nps": "9",
    "comment": "卫生间渗水",
}


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def answered(platform: Platform) -> Campaign:
    """A phone campaign of two visits: one answered (a 2 on quality: a complaint), one still open."""
    site = estate(platform, "LXF", "临溪府", waiting=0, handed_over=2)
    made = campaign(platform, method="phone")
    people = [(owner, site.units[number]) for number, owner in site.handed_over.items()]
    first, second = add_visits(platform, made, people, start=False)
    first.attempts = 2
    platform.visits.save_answers(first, ANSWERS, owner_actor(first.owner_id))
    first.status = "answered"  # as its workflow's end leaves it
    second.status = "open"
    platform.session.commit()
    return made


def test_the_results_over_the_api(client, auth, answered: Campaign) -> None:  # type: ignore[no-untyped-def]
    got = client.get(f"/api/v1/campaigns/{answered.id}/results", headers=auth("eng"))
    assert got.status_code == 200
    body: dict[str, Any] = got.get_json()
    assert (body["visits"], body["answered"], body["reached"]) == (2, 1, 50.0)
    assert body["reached_on"] == {"0": 0, "1": 0, "2": 1, "3": 0}
    quality = next(q for q in body["questions"] if q["name"] == "q_quality")
    assert quality["average"] == 2.0 and quality["distribution"]["2"] == 1
    assert body["nps"] == {"answers": 1, "promoters": 1, "passives": 0, "detractors": 0, "score": 100.0}
    [unhappy] = body["dissatisfied"]
    assert unhappy["complaint_number"].startswith("TS-") and unhappy["lowest_score"] == 2
    assert [c["text"] for c in body["comments"]] == ["卫生间渗水"]
    assert client.get("/api/v1/campaigns/999999/results", headers=auth("eng")).status_code == 404


def test_the_results_page_and_its_workbook(client, answered: Campaign) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng")
    page = client.get(f"/campaigns/{answered.id}/results")
    shown = text(page)
    assert page.status_code == 200 and "回访成功率" in shown and "50.0%" in shown
    assert "房屋质量" in shown and "卫生间渗水" in shown and "待分派" in shown
    assert "triage" not in shown and "given_up" not in shown
    download = client.get(f"/campaigns/{answered.id}/results.xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(download.data), read_only=True)
    assert "回访明细" in book.sheetnames
    assert client.get("/campaigns/999999/results").status_code == 404


def test_satisfaction_over_the_api_with_numerators_and_denominators(client, auth, answered: Campaign) -> None:  # type: ignore[no-untyped-def]
    got = client.get("/api/v1/satisfaction?from=2026-11-01&to=2026-11-30&by=project", headers=auth("crc"))
    assert got.status_code == 200
    body = got.get_json()
    assert (body["from"], body["to"], body["by"]) == ("2026-11-01", "2026-11-30", "project")
    [row] = body["figures"]
    # 5, 2, 4, 3: sum 14 of 4 answers; two of them 4 or more; one NPS answer of 9.
    assert row["label"] == "临溪府" and row["answers"] == 4 and row["visit_ratings"] == 4
    assert row["average"] == {"value": 3.5, "numerator": 14, "denominator": 4}
    assert row["satisfied"] == {"value": 50.0, "numerator": 2, "denominator": 4}
    assert row["nps"] == {"value": 100.0, "numerator": 1, "denominator": 1}
    assert body["total"]["answers"] == 4


@pytest.mark.parametrize(
    "query",
    [
        "by=building",
        "from=2026-13-01&by=month",
        "from=2026-11-30&to=2026-11-01&by=month",
        "from=2020-01-01&to=2026-11-01&by=month",
        "from=2026-11-01",
    ],
)
def test_satisfaction_refuses_bad_queries(client, auth, query: str) -> None:  # type: ignore[no-untyped-def]
    got = client.get(f"/api/v1/satisfaction?{query}", headers=auth("crc"))
    assert got.status_code == 422 and got.get_json()["error"] == "invalid_request"


def test_the_satisfaction_page(client, answered: Campaign) -> None:  # type: ignore[no-untyped-def]
    login(client, "design")
    page = client.get("/satisfaction?from=2026-11-01&to=2026-11-30")
    shown = text(page)
    assert (
        page.status_code == 200
        and "按项目" in shown
        and "临溪府" in shown
        and "回访评分（不分部门）" in shown
    )
    odd = client.get("/satisfaction?from=2026-11-30&to=2026-01-01")
    assert odd.status_code == 200 and "开始日期晚于结束日期" in text(odd)
