"""GET /api/v1/owners answers the searches of the pages with each owner's units and contracts; phones
masked, or in full (`full=1`) for holders of personal.view, each owner so returned logged."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from crm.estate.models import PersonalDataAccess
from crm.estate.search import resolve_unit
from tests.webapp.pages_support import register


@pytest.fixture
def contract(platform):  # type: ignore[no-untyped-def]
    unit = resolve_unit(platform.session, text="1-1201")
    platform.records.record_contract(
        None,
        unit=unit,
        number="HT-1-1201",
        signed_on=date(2025, 5, 1),
        planned_handover_on=date(2026, 12, 31),
    )
    platform.session.commit()


@pytest.mark.parametrize("query", ["0001", "张", "zw", "zhangwei", "江南府1栋1201", "1-1201", "1栋 1201"])
def test_each_search_finds_the_owner_with_units_and_contracts(client, auth, contract, query) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/owners", query_string={"q": query}, headers=auth("eng"))
    assert response.status_code == 200, response.get_json()
    first = response.get_json()["owners"][0]
    assert first["name"] == "张伟" and first["phone"] == "138****0001"
    assert first["units"] == [
        {
            "id": first["units"][0]["id"],
            "project": "JNF",
            "project_name": "江南府",
            "building": "1栋",
            "number": "1201",
            "label": "江南府 1栋 1201",
            "is_contact": True,
            "since": first["units"][0]["since"],
        }
    ]
    assert first["contracts"] == [
        {
            "number": "HT-1-1201",
            "unit_id": first["units"][0]["id"],
            "status": "signed",
            "signed_on": "2025-05-01",
            "planned_handover_on": "2026-12-31",
            "handed_over_on": None,
            "cancelled_on": None,
        }
    ]


def test_a_partial_request_number_finds_its_owner(client, auth, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform, phone="13800000003")
    response = client.get("/api/v1/owners", query_string={"q": complaint.number[-6:]}, headers=auth("crc"))
    assert response.get_json()["owners"][0]["name"] == "刘洋"


def test_full_numbers_for_personal_view_holders_only_each_view_logged(client, auth, session) -> None:  # type: ignore[no-untyped-def]
    refused = client.get("/api/v1/owners", query_string={"q": "张", "full": "1"}, headers=auth("eng"))
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert session.scalars(select(PersonalDataAccess)).all() == []
    masked = client.get("/api/v1/owners", query_string={"q": "张"}, headers=auth("crc"))
    assert masked.get_json()["owners"][0]["phone"] == "138****0001"
    assert session.scalars(select(PersonalDataAccess)).all() == []
    full = client.get("/api/v1/owners", query_string={"q": "138000000", "full": "1"}, headers=auth("crc"))
    owners = full.get_json()["owners"]
    assert {o["phone"] for o in owners} == {f"1380000000{i}" for i in range(1, 6)}
    rows = session.scalars(select(PersonalDataAccess)).all()
    assert sorted(r.owner_id for r in rows) == sorted(o["id"] for o in owners)
    assert {(r.actor, r.via) for r in rows} == {("crc", "api")}


@pytest.mark.parametrize(
    ("query", "status"),
    [({}, 422), ({"q": ""}, 422), ({"q": "x" * 101}, 422), ({"q": "张", "limit": "0"}, 422)],
)
def test_a_missing_or_bad_query_is_refused_in_the_api_shape(client, auth, query, status) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/owners", query_string=query, headers=auth("crc"))
    assert response.status_code == status
    assert set(response.get_json()) == {"error", "message", "fields"}
