"""The open day as the centre plans it and the inspectors walk it: a session planned with its buildings
and inspectors, bad input refused in Chinese; the tablet's capture page carrying its units, owners, rooms,
floor plans and catalogue; defects sent from the tablet (with photos) recorded once however often they come;
the owner signing the unit's list; the printed list with its QR code to the owner's portal; and the
catalogue administrators keep."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.directory import hash_password
from crm.estate.models import Building, Contractor, Layout, Owner, Project, Unit
from crm.handover.models import CatalogueItem, Defect, InspectionSession, UnitWalk
from crm.models import Attachment, Department, User
from crm.platform import Platform
from tests.webapp.pages_support import login, text

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 120


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["LINTEL_PUBLIC_URL"] = "https://crm.example.com"
    return app


def buildings(platform: Platform) -> dict[str, int]:
    return {b.name: b.id for b in platform.session.scalars(select(Building))}


def unit_of(platform: Platform, building: str, number: str) -> Unit:
    return platform.session.scalars(
        select(Unit).join(Building).where(Building.name == building, Unit.number == number)
    ).one()


def plan_session(client: Any, platform: Platform, **overrides: Any) -> int:
    project = platform.session.scalars(select(Project).where(Project.code == "JNF")).one()
    form = {
        "kind": "open_day",
        "title": "江南府业主开放日",
        "starts_on": "2026-11-20",
        "ends_on": "2026-11-21",
        "building_ids": [str(buildings(platform)["1栋"]), str(buildings(platform)["2栋"])],
        "inspectors": ["eng"],
        **overrides,
    }
    response = client.post(f"/inspections/new?project={project.id}", data=form)
    assert response.status_code == 302, text(response)
    return int(re.search(r"/inspections/(\d+)", response.headers["Location"]).group(1))


def test_the_centre_plans_an_open_day_and_bad_input_is_refused_in_chinese(
    client: Any, platform: Platform
) -> None:
    login(client, "crc")
    project = platform.session.scalars(select(Project).where(Project.code == "JNF")).one()
    form = client.get(f"/inspections/new?project={project.id}")
    assert form.status_code == 200 and "赵工（工程部）" in text(form) and "1栋" in text(form)
    bad = client.post(
        f"/inspections/new?project={project.id}",
        data={
            "kind": "party",
            "title": "",
            "starts_on": "2026-11-21",
            "ends_on": "2026-11-20",
            "inspectors": ["crc"],
        },
    )
    shown = text(bad)
    assert bad.status_code == 422
    assert "请选择验房类型" in shown and "必填" in shown and "不能早于开始日期" in shown
    assert "请至少选择一栋楼" in shown and "不是验房人员" in shown
    assert platform.session.scalar(select(func.count()).select_from(InspectionSession)) == 0
    session_id = plan_session(client, platform)
    page = text(client.get(f"/inspections/{session_id}"))
    assert (
        "江南府业主开放日" in page
        and "业主开放日" in page
        and "1栋、2栋" in page
        and "赵工（工程部）" in page
    )
    listed = text(client.get(f"/inspections?project={project.id}"))
    assert "江南府业主开放日" in listed and "2026-11-20 – 2026-11-21" in listed
    assert "江南府业主开放日" in text(client.get("/inspections"))  # running today
    edited = client.post(
        f"/inspections/{session_id}/edit",
        data={
            "kind": "self_check",
            "title": "内部自查",
            "starts_on": "2026-11-18",
            "ends_on": "2026-11-18",
            "building_ids": [str(buildings(platform)["3栋"])],
        },
    )
    assert edited.status_code == 302
    again = text(client.get(f"/inspections/{session_id}"))
    assert "内部自查" in again and "3栋" in again


def test_a_handler_reads_sessions_but_cannot_plan_or_capture(client: Any, platform: Platform) -> None:
    login(client, "crc")
    session_id = plan_session(client, platform)
    client.post("/logout")
    login(client, "design")
    assert client.get(f"/inspections/{session_id}").status_code == 200
    assert client.get(f"/inspections/{session_id}/edit").status_code == 403
    assert client.get(f"/capture/{session_id}").status_code == 403
    assert "现场验房" not in text(client.get(f"/inspections/{session_id}"))
    # A contractor's people see their own company's defects elsewhere, never a whole session's.
    company = Contractor(name="甲建设", trades=[])
    platform.session.add(company)
    platform.session.flush()
    department = Department(code=f"contractor_{company.id}", name="甲建设", contractor_id=company.id)
    platform.session.add(department)
    platform.session.add(
        User(
            username="jia",
            display_name="甲建设 王工",
            password_hash=hash_password("contractor"),
            roles="contractor",
            departments=[department],
        )
    )
    platform.session.commit()
    client.post("/logout")
    login(client, "jia", "contractor")
    assert client.get(f"/inspections/{session_id}").status_code == 403
    assert client.get("/inspections").status_code == 403


def capture_data(client: Any, session_id: int) -> dict[str, Any]:
    page = client.get(f"/capture/{session_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    match = re.search(r'<script type="application/json" id="capture-data">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def send(client: Any, session_id: int, defect: dict[str, Any], photos: list[tuple[str, bytes]] = ()) -> Any:
    data: dict[str, Any] = {"defect": json.dumps(defect)}
    if photos:
        data["photo"] = [(io.BytesIO(content), f"{pid}.jpg") for pid, content in photos]
        data["photo_id"] = [pid for pid, _ in photos]
    return client.post(f"/capture/{session_id}/defects", data=data, content_type="multipart/form-data")


def test_the_tablet_page_carries_what_capture_needs_offline(client: Any, platform: Platform) -> None:
    login(client, "crc")
    unit = unit_of(platform, "1栋", "1201")
    layout = Layout(project_id=unit.building.project_id, name="A1", rooms=["客厅", "主卧", "厨房"])
    platform.session.add(layout)
    platform.session.flush()
    unit.layout_id = layout.id
    layout.floor_plan, layout.floor_plan_type = "plan.png", "image/png"
    platform.session.commit()
    session_id = plan_session(client, platform)
    client.post("/logout")
    login(client, "eng")
    data = capture_data(client, session_id)
    assert [b["name"] for b in data["buildings"]] == ["1栋", "2栋"]
    units = {u["number"]: u for u in data["buildings"][0]["units"]}
    assert units["1201"]["owners"] == [{"id": units["1201"]["owners"][0]["id"], "name": "张伟"}]
    assert data["layouts"][str(layout.id)] == {
        "name": "A1",
        "rooms": ["客厅", "主卧", "厨房"],
        "plan": f"/records/layouts/{layout.id}/floor-plan",
    }
    assert data["catalogue"][0]["category"] == "土建"
    assert data["catalogue"][0]["parts"][0]["items"][0] == {
        "id": data["catalogue"][0]["parts"][0]["items"][0]["id"],
        "item": "空鼓",
        "severity": "normal",
        "days": 7,
    }
    assert "厨房" in data["common_rooms"] and data["texts"]["pending"] == "待上传 %(n)s 条"
    assert data["urls"]["worker"] == "/capture/sw.js" and data["urls"]["scope"] == "/capture/"
    with client.get("/capture/sw.js") as worker:
        assert worker.status_code == 200 and "javascript" in worker.mimetype and b"caches" in worker.data
    client.post("/logout")
    with client.get("/capture/sw.js") as worker:
        assert worker.status_code == 200  # the worker script needs no account


def test_defects_sent_from_the_tablet_are_recorded_once_with_their_photos_and_the_owner_signs(
    client: Any, platform: Platform, app: Any
) -> None:
    login(client, "crc")
    session_id = plan_session(client, platform)
    client.post("/logout")
    login(client, "eng")
    unit = unit_of(platform, "1栋", "1201")
    zhang = platform.session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()
    item = platform.session.scalars(select(CatalogueItem).where(CatalogueItem.item == "堵塞")).one()
    defect = {
        "client_id": "0b8f7f51-5d2c-4c3a-9f7e-1f7e2b6e1a01",
        "unit_id": unit.id,
        "owner_id": zhang.id,
        "room": "卫生间",
        "catalogue_id": item.id,
        "severity": "serious",
        "description": "地漏下水慢",
        "spot_x": 0.7,
        "spot_y": 0.2,
    }
    first = send(client, session_id, defect, [("p-1", JPEG), ("p-2", JPEG)])
    assert first.status_code == 201, first.json
    assert first.json["number"].startswith("ZG-2026-") and first.json["photos"] == 2
    again = send(client, session_id, defect, [("p-1", JPEG), ("p-2", JPEG)])
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    walk_id = first.json["walk_id"]
    second = send(
        client,
        session_id,
        {
            "client_id": "c-2",
            "unit_id": unit.id,
            "owner_id": zhang.id,
            "category": "门窗",
            "part": "入户门",
            "item": "门锁卡滞",
            "severity": "minor",
        },
    )
    assert second.status_code == 201 and second.json["walk_id"] == walk_id  # the same walk
    stored = platform.session.get(Defect, first.json["id"])
    assert (stored.source, stored.session_id, stored.walk_id, stored.room) == (
        "open_day",
        session_id,
        walk_id,
        "卫生间",
    )
    photos = platform.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.instance_id == stored.instance_id)
    )
    assert photos == 2
    bad = send(client, session_id, {"client_id": "c-3", "unit_id": unit.id, "severity": "fatal"})
    assert bad.status_code == 422
    assert "必填（最多 50 个字），或从缺陷库选择" in bad.json["fields"]["category"]
    assert bad.json["fields"]["severity"] == "请选择严重程度（一般、较重、严重）"
    elsewhere = send(
        client, session_id, {"unit_id": unit_of(platform, "3栋", "1501").id, "catalogue_id": item.id}
    )
    assert elsewhere.status_code == 422 and elsewhere.json["fields"]["unit_id"] == "该房号不在本批次的楼栋中"

    walk = platform.session.get(UnitWalk, walk_id)
    assert (walk.owner_id, walk.inspector, walk.signed_at) == (zhang.id, "eng", None)
    sign_page = text(client.get(f"/inspections/walks/{walk_id}/sign"))
    assert "堵塞" in sign_page and "门锁卡滞" in sign_page and "张伟" in sign_page
    unsigned = client.post(f"/inspections/walks/{walk_id}/sign", data={"signed_by": "张伟", "signature": ""})
    assert unsigned.status_code == 422 and "请在签字区内签名" in text(unsigned)
    drawn = "data:image/png;base64," + base64.b64encode(PNG).decode()
    signed = client.post(f"/inspections/walks/{walk_id}/sign", data={"signed_by": "张伟", "signature": drawn})
    assert signed.status_code == 302
    platform.session.expire_all()
    walk = platform.session.get(UnitWalk, walk_id)
    assert walk.signed_by == "张伟" and walk.signed_at is not None and walk.signature.endswith(".png")
    with client.get(f"/inspections/walks/{walk_id}/signature.png") as image:
        assert image.status_code == 200 and image.data == PNG
    twice = client.post(f"/inspections/walks/{walk_id}/sign", data={"signed_by": "张伟", "signature": drawn})
    assert twice.status_code == 409

    printed = client.get(f"/inspections/walks/{walk_id}")
    html = printed.get_data(as_text=True)
    assert printed.status_code == 200 and "<svg" in html
    assert f"https://crm.example.com/portal/units/{unit.id}/defects" in html
    assert "张伟" in text(printed) and "地漏下水慢" in text(printed) and "共 2 项" in text(printed)
    # The next defect of the unit starts a new walk: the signed one is closed.
    third = send(
        client,
        session_id,
        {"client_id": "c-4", "unit_id": unit.id, "companion": "张小明", "catalogue_id": item.id},
    )
    assert third.status_code == 201 and third.json["walk_id"] != walk_id
    overview = text(client.get(f"/inspections/{session_id}"))
    assert "1栋 1201" in overview and "已签字" in overview and "未签字" in overview
    assert "待分派 3" in overview


def test_administrators_keep_the_catalogue_and_duplicates_are_refused_in_chinese(
    client: Any, platform: Platform
) -> None:
    login(client, "admin")
    page = client.get("/admin/catalogue")
    assert page.status_code == 200 and "空鼓" in text(page)
    added = client.post(
        "/admin/catalogue",
        data={"category": "土建", "part": "墙面", "item": "发霉", "severity": "minor", "rectify_days": "10"},
    )
    assert added.status_code == 302
    new = platform.session.scalars(select(CatalogueItem).where(CatalogueItem.item == "发霉")).one()
    wall = [i for i in platform.session.scalars(select(CatalogueItem).order_by(CatalogueItem.position))]
    assert [i.item for i in wall][:4] == ["空鼓", "开裂", "渗水", "发霉"]  # at the end of its part
    duplicate = client.post(
        "/admin/catalogue",
        data={"category": "土建", "part": "墙面", "item": "空鼓", "severity": "minor", "rectify_days": "3"},
    )
    assert duplicate.status_code == 422 and "缺陷库中已有相同类别、部位的这一项" in text(duplicate)
    bad = client.post(
        "/admin/catalogue",
        data={"category": "", "part": "墙面", "item": "x", "severity": "?", "rectify_days": "0"},
    )
    assert bad.status_code == 422
    shown = text(bad)
    assert "必填" in shown and "请选择严重程度" in shown and "请填写 1 到 365 之间的整天数" in shown
    assert client.post(f"/admin/catalogue/{new.id}/move", data={"direction": "up"}).status_code == 302
    order = [i.item for i in platform.session.scalars(select(CatalogueItem).order_by(CatalogueItem.position))]
    assert order[:4] == ["空鼓", "开裂", "发霉", "渗水"]
    edited = client.post(
        f"/admin/catalogue/{new.id}/edit",
        data={
            "category": "土建",
            "part": "墙面",
            "item": "发霉、返碱",
            "severity": "normal",
            "rectify_days": "14",
        },
    )
    assert edited.status_code == 302
    assert client.post(f"/admin/catalogue/{new.id}/active", data={"active": "0"}).status_code == 302
    platform.session.expire_all()
    assert (new.item, new.rectify_days, new.active) == ("发霉、返碱", 14, False)
    listed = text(client.get("/admin/catalogue"))
    assert "发霉、返碱" in listed and "已停用" in listed
    client.post("/logout")
    login(client, "crc")
    assert client.get("/admin/catalogue").status_code == 403
