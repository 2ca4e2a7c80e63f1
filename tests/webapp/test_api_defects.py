"""Defects through the REST API as a tablet or another system sends them: one at a time or in bulk (an
offline device replaying its queue), photos attached once however often they are sent, every bad field
answered with its message, and the lists — where a contractor's people see only their own company's."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.directory import hash_password
from crm.estate.models import Building, Contractor, Unit
from crm.handover.models import CatalogueItem, Defect
from crm.models import Attachment, Department, User
from crm.platform import Platform

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def unit_id(platform: Platform, building: str = "1栋", number: str = "1201") -> int:
    found = platform.session.scalars(
        select(Unit.id).join(Building).where(Building.name == building, Unit.number == number)
    ).one()
    return int(found)


def catalogue_id(platform: Platform, item: str = "空鼓", part: str = "墙面") -> int:
    return int(
        platform.session.scalars(
            select(CatalogueItem.id).where(CatalogueItem.part == part, CatalogueItem.item == item)
        ).one()
    )


def post(client: Any, auth: Any, body: Any, user: str = "eng") -> Any:
    return client.post("/api/v1/defects", json=body, headers=auth(user))


def test_a_defect_is_registered_with_its_number_and_a_replay_is_answered_with_the_same_one(
    client: Any, auth: Any, platform: Platform
) -> None:
    body = {
        "client_id": "tablet-7-0001",
        "unit_id": unit_id(platform),
        "room": "主卧",
        "catalogue_id": catalogue_id(platform),
        "description": "靠窗墙面敲击空响",
        "spot_x": 0.25,
        "spot_y": 0.5,
    }
    first = post(client, auth, body)
    assert first.status_code == 201, first.json
    created = first.json
    assert created["number"].startswith("ZG-2026-") and created["created"] is True
    assert (created["category"], created["part"], created["item"]) == ("土建", "墙面", "空鼓")
    assert created["severity"] == "normal" and created["status"] == "assigning"
    assert created["unit"] == "江南府 1栋 1201" and created["source"] == "other"
    again = post(client, auth, {**body, "description": "sent twice"})
    assert again.status_code == 200 and again.json["id"] == created["id"] and again.json["created"] is False
    assert again.json["description"] == "靠窗墙面敲击空响"
    count = platform.session.scalar(
        select(func.count()).select_from(Defect).where(Defect.client_id == body["client_id"])
    )
    assert count == 1
    detail = client.get(f"/api/v1/defects/{created['id']}", headers=auth("design"))
    assert detail.status_code == 200 and detail.json["number"] == created["number"]
    assert detail.json["spot_x"] == 0.25 and detail.json["photos"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit_id", 999999, "not found"),
        ("unit_id", "abc", "must be an id"),
        ("building_id", 999999, "not found"),
        ("session_id", 999999, "not found"),
        ("walk_id", 999999, "not found"),
        ("source", "party", "must be one of"),
        ("room", "房" * 31, "at most 30"),
        ("catalogue_id", 999999, "not found"),
        ("category", "", "required"),
        ("severity", "fatal", "must be one of"),
        ("rectify_days", 0, "from 1 to 365"),
        ("rectify_days", "7", "from 1 to 365"),
        ("spot_x", 1.5, "from 0 to 1"),
        ("spot_y", "middle", "from 0 to 1"),
        ("description", "x" * 2001, "at most 2000"),
        ("client_id", "x" * 65, "at most 64"),
        ("colour", "red", "unknown field"),
    ],
)
def test_every_bad_field_is_answered_with_its_message_and_nothing_is_recorded(
    client: Any, auth: Any, platform: Platform, field: str, value: Any, message: str
) -> None:
    body = {
        "unit_id": unit_id(platform),
        "category": "土建",
        "part": "墙面",
        "item": "空鼓",
        "severity": "minor",
    }
    body[field] = value
    before = platform.session.scalar(select(func.count()).select_from(Defect))
    response = post(client, auth, body)
    assert response.status_code == 422, response.json
    assert response.json["error"] == "invalid_data"
    assert message in response.json["fields"][field], response.json["fields"]
    assert platform.session.scalar(select(func.count()).select_from(Defect)) == before


def test_a_body_that_is_no_object_and_a_caller_without_the_right_are_refused(
    client: Any, auth: Any, platform: Platform
) -> None:
    assert client.post("/api/v1/defects", json=[1], headers=auth("eng")).status_code == 400
    assert client.post("/api/v1/defects", data="x", headers=auth("eng")).status_code == 400
    body = {"unit_id": unit_id(platform), "catalogue_id": catalogue_id(platform)}
    refused = post(client, auth, body, user="design")  # a handler who does not inspect
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert client.post("/api/v1/defects", json=body).status_code == 401


def test_bulk_records_the_good_items_answers_each_and_a_replay_records_nothing_twice(
    client: Any, auth: Any, platform: Platform
) -> None:
    unit = unit_id(platform)
    item = catalogue_id(platform)
    items = [
        {"client_id": "q-1", "unit_id": unit, "catalogue_id": item, "room": "客厅"},
        {"client_id": "q-2", "unit_id": unit, "catalogue_id": item, "severity": "fatal"},
        {
            "client_id": "q-3",
            "unit_id": unit,
            "category": "门窗",
            "part": "外窗",
            "item": "渗漏",
            "severity": "serious",
        },
    ]
    response = client.post("/api/v1/defects/bulk", json={"defects": items}, headers=auth("eng"))
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["status"] for r in results] == ["created", "invalid", "created"]
    assert "must be one of" in results[1]["fields"]["severity"] and results[1]["client_id"] == "q-2"
    assert (response.json["created"], response.json["known"], response.json["invalid"]) == (2, 0, 1)
    replay = client.post("/api/v1/defects/bulk", json={"defects": items}, headers=auth("eng"))
    assert [r["status"] for r in replay.json["results"]] == ["known", "invalid", "known"]
    assert replay.json["results"][0]["id"] == results[0]["id"]
    stored = platform.session.scalars(select(Defect.client_id).where(Defect.client_id.like("q-%"))).all()
    assert sorted(stored) == ["q-1", "q-3"]
    too_many = client.post("/api/v1/defects/bulk", json={"defects": []}, headers=auth("eng"))
    assert too_many.status_code == 422 and "defects" in too_many.json["fields"]
    malformed = client.post("/api/v1/defects/bulk", json={"defects": [items[0], "x"]}, headers=auth("eng"))
    assert malformed.status_code == 422 and malformed.json["fields"] == {"defects.1": "must be an object"}


def test_photos_are_kept_on_the_defects_request_once_per_photo_id(
    client: Any, auth: Any, platform: Platform
) -> None:
    created = post(client, auth, {"unit_id": unit_id(platform), "catalogue_id": catalogue_id(platform)}).json
    url = f"/api/v1/defects/{created['id']}/photos"

    def send() -> Any:
        data = {
            "photos": [(io.BytesIO(JPEG), "a.jpg"), (io.BytesIO(JPEG), "b.jpg")],
            "photo_id": ["p-1", "p-2"],
        }
        return client.post(url, data=data, headers=auth("eng"), content_type="multipart/form-data")

    first = send()
    assert first.status_code == 201, first.json
    assert [p["created"] for p in first.json["photos"]] == [True, True]
    again = send()
    assert again.status_code == 200 and [p["created"] for p in again.json["photos"]] == [False, False]
    assert [p["token"] for p in again.json["photos"]] == [p["token"] for p in first.json["photos"]]
    kept = platform.session.scalars(
        select(Attachment).where(
            Attachment.instance_id == created["instance_id"], Attachment.field == "photos"
        )
    ).all()
    assert len(kept) == 2
    detail = client.get(f"/api/v1/defects/{created['id']}", headers=auth("eng")).json
    assert [p["filename"] for p in detail["photos"]] == ["a.jpg", "b.jpg"]
    pdf = client.post(
        url,
        data={"photos": [(io.BytesIO(b"%PDF-1.4 x"), "plan.pdf")]},
        headers=auth("eng"),
        content_type="multipart/form-data",
    )
    assert pdf.status_code == 422 and "only" in pdf.json["fields"]["photos"]
    bad_id = client.post(
        url,
        data={"photos": [(io.BytesIO(JPEG), "c.jpg")], "photo_id": ["no spaces please"]},
        headers=auth("eng"),
        content_type="multipart/form-data",
    )
    assert bad_id.status_code == 422 and "photo_id" in bad_id.json["fields"]
    none = client.post(url, data={}, headers=auth("eng"), content_type="multipart/form-data")
    assert none.status_code == 422
    assert client.post("/api/v1/defects/999999/photos", data={}, headers=auth("eng")).status_code == 404


def test_lists_filter_and_page_and_a_contractor_is_sent_to_its_own_list(
    client: Any, auth: Any, platform: Platform
) -> None:
    session = platform.session
    first, second = unit_id(platform), unit_id(platform, "2栋", "0801")
    ids = [
        post(client, auth, {"unit_id": u, "catalogue_id": catalogue_id(platform)}).json["id"]
        for u in (first, first, second)
    ]
    page = client.get(f"/api/v1/defects?unit={first}&limit=1", headers=auth("crc")).json
    assert [d["id"] for d in page["defects"]] == [ids[1]] and page["next_after"] == ids[1]
    rest = client.get(f"/api/v1/defects?unit={first}&limit=1&after={ids[1]}", headers=auth("crc")).json
    assert [d["id"] for d in rest["defects"]] == [ids[0]] and rest["next_after"] is None
    assert client.get("/api/v1/defects?status=assigning", headers=auth("crc")).json["defects"]
    assert client.get("/api/v1/defects?status=lost", headers=auth("crc")).status_code == 422

    ours, theirs = Contractor(name="甲建设", trades=[]), Contractor(name="乙装饰", trades=[])
    session.add_all([ours, theirs])
    session.flush()
    session.get(Defect, ids[0]).contractor_id = ours.id
    session.get(Defect, ids[2]).contractor_id = theirs.id
    department = Department(code=f"contractor_{ours.id}", name="甲建设", contractor_id=ours.id)
    session.add(department)
    session.add(
        User(
            username="jia",
            display_name="甲建设 王工",
            password_hash=hash_password("contractor"),
            roles="contractor",
            departments=[department],
        )
    )
    session.commit()
    # A contractor's people have their own list (/api/v1/contractor/defects); the centre's lists refuse them.
    assert client.get("/api/v1/defects", headers=auth("jia")).status_code == 403
    assert client.get(f"/api/v1/defects/{ids[0]}", headers=auth("jia")).status_code == 403
    seen = client.get("/api/v1/contractor/defects", headers=auth("jia")).json["defects"]
    assert ids[2] not in [d["id"] for d in seen]
    by_contractor = client.get(f"/api/v1/defects?contractor={theirs.id}", headers=auth("crc")).json
    assert [d["id"] for d in by_contractor["defects"]] == [ids[2]]
