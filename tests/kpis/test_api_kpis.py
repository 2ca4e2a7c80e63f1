"""GET /api/v1/kpis and /api/v1/kpis/cases on the hand-built week of tests/kpis/test_figures.py (its right
answers written there and again here): the API gives the page's numbers (Kpis.table, and the figures sheet
of the page's own /kpis.xlsx), the rows behind each number, a clear 422 for bad input, 403 without
kpis.view."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from crm.kpis.figures import Scope
from crm.platform import Platform
from tests.kpis import test_figures as hand_built
from tests.kpis.test_figures import NOVEMBER, Week
from tests.webapp.pages_support import login

Q = "from=2026-11-01&to=2026-11-30"
job, week = hand_built.job, hand_built.week  # the hand-built week's fixtures


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def get(client: Any, auth: Any, url: str, user: str = "eng_mgr") -> Any:
    return client.get(url, headers=auth(user))


def parts(rate: dict[str, Any]) -> tuple[float, int]:
    return (rate["numerator"], rate["denominator"])


def test_the_totals_carry_numerators_and_denominators(
    client: Any, auth: Any, platform: Platform, week: Week
) -> None:
    response = get(client, auth, f"/api/v1/kpis?{Q}")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["from"], body["to"], body["by"], body["groups"]) == ("2026-11-01", "2026-11-30", None, [])
    assert body["refreshed_at"] is not None
    total = body["total"]
    f = total["figures"]
    assert parts(f["closure_rate"]) == (5, 7)
    assert f["closure_rate"]["value"] == round(5 / 7, 4)
    assert parts(f["on_time_cases"]) == (2, 4)
    assert parts(f["on_time_steps"]) == (13, 17)
    assert parts(f["rework_rate"]) == (1, 4)
    assert total["escalations"] == {"1": 1, "2": 1, "3": 0}
    assert total["counts"]["registered_open"] == 2  # C6 and C8
    times = total["times"]
    assert times["response"] == {
        "count": 6,
        "median_seconds": 1800,
        "p90_seconds": 3600,
        "working_median_seconds": 1800,
        "working_p90_seconds": 3600,
    }
    assert (times["resolution"]["median_seconds"], times["resolution"]["p90_seconds"]) == (99000, 190800)
    assert (times["resolution"]["working_median_seconds"], times["resolution"]["working_p90_seconds"]) == (
        34200,
        66600,
    )
    assert total["satisfaction"]["answers"] == 4  # C1–C4 rated 5 in November (C5 in December)
    assert parts(total["satisfaction"]["satisfied"]) == (4, 4)


def test_every_slice_gives_the_numbers_of_the_page(
    client: Any, auth: Any, platform: Platform, week: Week
) -> None:
    for by in ("department", "project", "category", "channel", "severity", "process", "month"):
        body = get(client, auth, f"/api/v1/kpis?{Q}&by={by}").json
        groups, total = platform.kpis.table(NOVEMBER, by)
        assert [g["key"] for g in body["groups"]] == [str(g.key) for g in groups], by
        for given, group in [*zip(body["groups"], groups, strict=True), (body["total"], total)]:
            for name, ratio in group.figures().items():
                assert parts(given["figures"][name]) == (ratio.numerator, ratio.denominator), (by, name)
            assert {k: v for k, v in given["counts"].items() if k != "registered_open"} == group.counts
    departments = get(client, auth, f"/api/v1/kpis?{Q}&by=department").json["groups"]
    assert {g["key"]: parts(g["figures"]["closure_rate"]) for g in departments} == {
        "crc": (0, 1),  # C6, never triaged
        "engineering": (3, 4),
        "property": (2, 2),
    }


def test_the_page_workbook_and_the_api_agree(
    app: Any, client: Any, auth: Any, platform: Platform, week: Week
) -> None:
    api = get(client, auth, f"/api/v1/kpis?{Q}&by=department").json
    login(client, "eng_mgr")
    sheet = load_workbook(io.BytesIO(client.get(f"/kpis.xlsx?{Q}&by=department").data)).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[1], int)]
    # registered, registered closed, open; steps done and on time; closed and on time; reworked
    page = [(r[1], r[2], r[3], r[8], r[9], r[11], r[12], r[22]) for r in rows]
    given = [
        (
            g["counts"]["registered"],
            g["counts"]["registered_closed"],
            g["counts"]["registered_open"],
            g["counts"]["steps_done"],
            g["counts"]["steps_on_time"],
            g["counts"]["closed"],
            g["counts"]["closed_on_time"],
            g["counts"]["closed_reworked"],
        )
        for g in [*api["groups"], api["total"]]
    ]
    assert page == given
    assert given[-1] == (7, 5, 2, 17, 13, 4, 2, 1)


def test_each_number_lists_its_requests(client: Any, auth: Any, platform: Platform, week: Week) -> None:
    late = get(client, auth, f"/api/v1/kpis/cases?{Q}&figure=closed_late").json
    assert (late["kind"], late["total"], late["pages"]) == ("cases", 2, 1)
    assert {r["number"] for r in late["rows"]} == {week.number("C2"), week.number("C3")}
    assert all(r["status"] == "closed" and r["late"] for r in late["rows"])

    engineering = get(
        client, auth, f"/api/v1/kpis/cases?{Q}&figure=registered_closed&by=department&key=engineering"
    ).json
    assert {r["number"] for r in engineering["rows"]} == {week.number(c) for c in ("C2", "C3", "C4")}

    steps = get(client, auth, f"/api/v1/kpis/cases?{Q}&figure=steps_late&limit=3").json
    assert (steps["kind"], steps["total"], steps["pages"], len(steps["rows"])) == ("steps", 4, 2, 3)
    second = get(client, auth, f"/api/v1/kpis/cases?{Q}&figure=steps_late&limit=3&page=2").json
    listed = [r["task_id"] for r in steps["rows"] + second["rows"]]
    assert len(set(listed)) == 4
    assert all(r["late"] and r["step"] for r in steps["rows"])

    escalated = get(client, auth, f"/api/v1/kpis/cases?{Q}&figure=escalations_2").json
    assert [(r["number"], r["level"]) for r in escalated["rows"]] == [(week.number("C6"), 2)]
    # The drill-down's count is the table's.
    _, total = platform.kpis.table(Scope(NOVEMBER.start, NOVEMBER.end))
    assert late["total"] == total.counts["closed"] - total.counts["closed_on_time"]


def test_bad_input_is_answered_with_what_is_wrong(
    client: Any, auth: Any, platform: Platform, week: Week
) -> None:
    cases = {
        "from=2026-13-01&to=2026-11-30": "from",
        "from=0001-01-01&to=0001-01-31": "from",  # before any figures could be
        "from=2026-11-01": "to",
        "from=2026-11-30&to=2026-11-01": "to",
        "from=2020-01-01&to=2026-11-30": "to",
        f"{Q}&by=colour": "by",
        f"{Q}&process=nothing": "process",
    }
    for query, field in cases.items():
        response = get(client, auth, f"/api/v1/kpis?{query}")
        assert response.status_code == 422, query
        assert response.json["error"] == "invalid_request"
        assert field in response.json["fields"], (query, response.json)
    assert (
        "three years" in get(client, auth, "/api/v1/kpis?from=2020-01-01&to=2026-11-30").json["fields"]["to"]
    )
    assert (
        "before it starts"
        in get(client, auth, "/api/v1/kpis?from=2026-11-30&to=2026-11-01").json["fields"]["to"]
    )
    unknown = get(client, auth, f"/api/v1/kpis/cases?{Q}&figure=happiness")
    assert unknown.status_code == 422 and "figure" in unknown.json["fields"]


def test_only_those_who_may_see_the_figures(client: Any, auth: Any, platform: Platform) -> None:
    refused = get(client, auth, f"/api/v1/kpis?{Q}", user="eng")  # a handler
    assert refused.status_code == 403
    assert refused.json["error"] == "forbidden"
    assert get(client, auth, f"/api/v1/kpis/cases?{Q}&figure=closed", user="design").status_code == 403
    assert client.get(f"/api/v1/kpis?{Q}").status_code == 401
    assert get(client, auth, f"/api/v1/kpis?{Q}", user="group_crc").status_code == 200
