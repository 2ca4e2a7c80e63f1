"""The loop over the API: bulk assignment and extension (bad input answered 422 with its fields), a
defect's loop with its history, and a contractor's token that reaches its own company's defects only."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from crm.estate.models import Contractor, Owner, Ownership
from crm.handover.models import Defect
from crm.platform import Platform
from tests.webapp.pages_support import actor

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def new_defect(platform: Platform, item: str = "空鼓") -> Defect:
    owner = platform.session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()
    unit_id = platform.session.scalars(select(Ownership.unit_id).where(Ownership.owner_id == owner.id)).one()
    found, _ = platform.defects.register(
        actor(platform, "eng"),
        {"unit_id": unit_id, "category": "土建", "part": "墙面", "item": item, "severity": "normal"},
    )
    platform.session.commit()
    return found


def company(platform: Platform, name: str = "江南建工集团有限公司") -> Contractor:
    return platform.session.scalars(select(Contractor).where(Contractor.name == name)).one()


def post(client: Any, url: str, headers: dict[str, str], body: Any) -> Any:
    return client.post(f"/api/v1{url}", json=body, headers=headers)


def test_engineering_assigns_and_extends_in_bulk(client, auth, platform) -> None:  # type: ignore[no-untyped-def]
    first, second = new_defect(platform), new_defect(platform, "开裂")
    manager = auth("eng_mgr")
    bad = post(client, "/defects/assign", manager, {"defect_ids": []})
    assert bad.status_code == 422 and "defect_ids" in bad.json["fields"]
    nobody = post(client, "/defects/assign", manager, {"defect_ids": [first.id]})
    assert nobody.status_code == 422
    assert set(nobody.json["fields"]) == {"contractor_id", "rectifier"}
    wrong_type = post(client, "/defects/assign", manager, {"defect_ids": ["x"], "contractor_id": "1"})
    assert wrong_type.status_code == 422
    builder = company(platform)
    body = {"defect_ids": [first.id, second.id, 2_000_000], "contractor_id": builder.id, "rectify_days": 4}
    done = post(client, "/defects/assign", manager, body)
    assert done.status_code == 200, done.json
    assert sorted(d["number"] for d in done.json["done"]) == sorted([first.number, second.number])
    assert done.json["skipped"] == [{"defect": "2000000", "reason": "not found"}]
    assert {d["status"] for d in done.json["done"]} == {"rectifying"}
    assert {d["step"]["department"] for d in done.json["done"]} == {f"contractor_{builder.id}"}
    due = done.json["done"][0]["due_at"]
    no_reason = post(client, "/defects/extend", manager, {"defect_ids": [first.id], "days": 3})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["fields"]
    extended = post(
        client, "/defects/extend", manager, {"defect_ids": [first.id], "days": 3, "reason": "雨季停工"}
    )
    assert extended.status_code == 200 and extended.json["done"][0]["due_at"] != due
    loop = client.get(f"/api/v1/defects/{first.id}/rectification", headers=manager)
    assert loop.status_code == 200
    assert [e["kind"] for e in loop.json["history"]] == ["task.completed", "task.deadline_moved"]
    assert loop.json["history"][1]["data"]["reason"] == "雨季停工"
    assert client.get("/api/v1/defects/99999999/rectification", headers=manager).status_code == 404
    # A handler sees defects but does not act on them in bulk.
    assert (
        post(
            client, "/defects/extend", auth("design"), {"defect_ids": [first.id], "days": 1, "reason": "x"}
        ).status_code
        == 403
    )


def test_a_contractors_token_reaches_its_own_companys_defects_only(client, auth, platform) -> None:  # type: ignore[no-untyped-def]
    own, other = new_defect(platform), new_defect(platform, "渗水")
    manager = actor(platform, "eng_mgr")
    platform.rectifications.assign(manager, [own.id], contractor_id=company(platform).id)
    platform.rectifications.assign(
        manager, [other.id], contractor_id=company(platform, "恒安门窗工程有限公司").id
    )
    platform.session.commit()
    builder = auth("builder")
    listed = client.get("/api/v1/contractor/defects", headers=builder)
    assert listed.status_code == 200
    assert [d["number"] for d in listed.json["defects"]] == [own.number]
    # Nothing of the centre: requests, tasks, owners, defects of the centre's lists.
    for url in ("/api/v1/tasks", "/api/v1/owners?q=张", f"/api/v1/requests/{other.instance_id}",
                f"/api/v1/defects/{other.id}/rectification"):  # fmt: skip
        assert client.get(url, headers=builder).status_code == 403, url
    close = f"/api/v1/contractor/defects/{other.id}/close"
    photo = {"note": "已处理", "evidence": (io.BytesIO(JPEG), "after.jpg")}
    assert (
        client.post(close, data=photo, headers=builder, content_type="multipart/form-data").status_code == 404
    )
    empty = client.post(
        f"/api/v1/contractor/defects/{own.id}/close", data={"note": ""}, headers=builder,
        content_type="multipart/form-data",
    )  # fmt: skip
    assert empty.status_code == 422 and set(empty.json["fields"]) == {"note", "evidence"}
    photo = {"note": "已处理", "evidence": (io.BytesIO(JPEG), "after.jpg")}
    closed = client.post(
        f"/api/v1/contractor/defects/{own.id}/close", data=photo, headers=builder,
        content_type="multipart/form-data",
    )  # fmt: skip
    assert closed.status_code == 200 and closed.json["status"] == "verifying"
    assert closed.json["step"]["element_id"] == "verify"
