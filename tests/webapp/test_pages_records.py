"""The records pages (档案) as the centre uses them: a project with its phases, a building, a layout with its
rooms and floor plan, units on a grid coloured by state; owners and co-owners of a unit, its contracts handed
over and transferred — the earlier owner keeping their history; every form refusing bad input at once, in
Chinese, writing nothing; and a handler who reads the records but cannot change them."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.estate.models import Building, Contract, Contractor, Layout, Owner, Ownership, Project, Unit
from crm.platform import Foundation, Platform
from lintel.clock import FixedClock
from tests.conftest import DATA
from tests.webapp.pages_support import TRIAGE, actor, complete, login, register, text
from tests.webapp.test_start_any_process import repair_forms

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def foundation(clock: FixedClock) -> Foundation:
    return Foundation(clock=clock, forms=repair_forms())  # a second process, with its forms


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def created_id(response: Any, pattern: str) -> int:
    assert response.status_code == 302, text(response)
    match = re.search(pattern, response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def new_project(client: Any, code: str = "hpy", phases: str = "一期、二期") -> int:
    response = client.post(
        "/records/projects/new", data={"code": code, "name": "湖畔苑", "city": "杭州", "phases": phases}
    )
    return created_id(response, r"/records/projects/(\d+)")


@pytest.fixture
def estate(client: Any, platform: Platform) -> dict[str, int]:
    """A project entered through the pages by the coordinator: phases, a building, a layout, four units."""
    login(client, "crc")
    project_id = new_project(client)
    assert (
        client.post(
            f"/records/projects/{project_id}/buildings/new", data={"name": "5栋", "phase": "一期"}
        ).status_code
        == 302
    )
    building = platform.session.scalars(select(Building).where(Building.project_id == project_id)).one()
    layout = client.post(
        f"/records/projects/{project_id}/layouts/new",
        data={"name": "A1", "rooms": "客厅、主卧，次卧, 卫生间", "floor_plan": (io.BytesIO(PNG), "a1.png")},
        content_type="multipart/form-data",
    )
    assert layout.status_code == 302, text(layout)
    layout_id = platform.session.scalars(select(Layout.id).where(Layout.project_id == project_id)).one()
    ids = {}
    for number, floor in (("0601", "6"), ("0602", "6"), ("0701", "7"), ("0702", "7")):
        response = client.post(
            f"/records/buildings/{building.id}/units/new",
            data={"number": number, "floor": floor, "layout_id": str(layout_id), "area_m2": "89.5"},
        )
        ids[number] = created_id(response, r"/records/units/(\d+)")
    return {"project": project_id, "building": building.id, "layout": layout_id, **ids}


def test_a_project_is_entered_with_phases_building_layout_and_units_and_shown_on_a_grid(
    client: Any, platform: Platform, estate: dict[str, int]
) -> None:
    page = client.get(f"/records/projects/{estate['project']}")
    shown = text(page)
    assert "湖畔苑" in shown and "HPY" in shown and "一期" in shown and "二期" in shown
    assert "客厅、主卧、次卧、卫生间" in shown
    html = page.get_data(as_text=True)
    assert f"/records/layouts/{estate['layout']}/floor-plan" in html
    assert f'href="/records/units/{estate["0601"]}"' in html and "state-unsold" in html
    with client.get(f"/records/layouts/{estate['layout']}/floor-plan") as image:
        assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
        assert "private" in image.headers["Cache-Control"]
    unit = text(client.get(f"/records/units/{estate['0601']}"))
    assert "5栋 · 一期" in unit and "89.50 ㎡" in unit and "客厅、主卧、次卧、卫生间" in unit
    listing = text(client.get("/records"))
    assert "HPY 湖畔苑 杭州 一期、二期 1 4 0 0" in listing


def test_owners_co_owners_and_the_contact_owner_of_a_unit(
    client: Any, platform: Platform, estate: dict[str, int]
) -> None:
    unit_id = estate["0601"]
    added = client.post(
        f"/records/units/{unit_id}/owners",
        data={"name": "周敏", "phone": "139 1111 2222", "id_number": "11010519491231002x"},
    )
    assert added.status_code == 302, text(added)
    zhou = platform.session.scalars(select(Owner).where(Owner.name == "周敏")).one()
    assert zhou.phone == "13911112222"
    # A co-owner already on file, found by the search and chosen.
    matches = client.get(f"/records/units/{unit_id}/owner-search?q=张伟")
    assert "张伟" in text(matches) and "138****0001" in text(matches) and "13800000001" not in text(matches)
    zhang = platform.session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()
    assert (
        client.post(f"/records/units/{unit_id}/owners", data={"owner_id": str(zhang.id)}).status_code == 302
    )
    page = text(client.get(f"/records/units/{unit_id}"))
    assert re.search(r"周敏 联系业主 139\*\*\*\*2222", page) and re.search(
        r"张伟 共有人 138\*\*\*\*0001", page
    )
    assert "13911112222" not in page
    switched = client.post(f"/records/units/{unit_id}/owners/{zhang.id}/contact")
    assert switched.status_code == 302
    page = text(client.get(f"/records/units/{unit_id}"))
    assert re.search(r"张伟 联系业主", page) and re.search(r"周敏 共有人", page)
    # The same owner twice is refused, and so is a new owner who is already on file.
    again = client.post(f"/records/units/{unit_id}/owners", data={"owner_id": str(zhang.id)})
    assert again.status_code == 422 and "张伟 已是该房号的业主" in text(again)
    duplicate = client.post(
        f"/records/units/{estate['0602']}/owners", data={"name": "周敏", "phone": "13911112222"}
    )
    assert duplicate.status_code == 422 and "已有同名同电话的业主" in text(duplicate)


def test_a_contract_is_recorded_handed_over_and_the_unit_transferred_keeping_the_sellers_history(
    client: Any, platform: Platform, estate: dict[str, int]
) -> None:
    unit_id = estate["0601"]
    seller = platform.session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()
    recorded = client.post(
        f"/records/units/{unit_id}/contracts",
        data={"number": "HT-2024-001", "signed_on": "2024-03-01", "planned_handover_on": "2025-06-30"},
    )
    assert recorded.status_code == 302, text(recorded)
    assert (
        client.post(f"/records/units/{unit_id}/owners", data={"owner_id": str(seller.id)}).status_code == 302
    )
    complaint = platform.complaints.register(  # 张伟's complaint about 0601, from before the sale
        actor(platform, "crc"),
        channel="hotline",
        description="卫生间天花板渗水",
        owner_id=seller.id,
        unit_id=unit_id,
    )
    platform.session.commit()
    contract = platform.session.scalars(select(Contract).where(Contract.number == "HT-2024-001")).one()
    assert (
        client.post(
            f"/records/contracts/{contract.id}/handover", data={"handed_over_on": "2025-07-02"}
        ).status_code
        == 302
    )
    grid = client.get(f"/records/projects/{estate['project']}").get_data(as_text=True)
    assert re.search(rf'href="/records/units/{unit_id}" title="0601 · 已交付"', grid)

    transferred = client.post(
        f"/records/units/{unit_id}/transfer",
        data={"number": "HT-2026-077", "signed_on": "2026-09-01", "name": "刘强", "phone": "13922223333"},
    )
    assert transferred.status_code == 302, text(transferred)
    unit_page = text(client.get(f"/records/units/{unit_id}"))
    assert re.search(r"刘强 联系业主", unit_page)
    assert re.search(r"历任业主 张伟 2024-03-01 — 2026-09-01", unit_page)
    assert unit_page.index("HT-2026-077") < unit_page.index("HT-2024-001")  # newest first
    assert complaint.number in unit_page  # the unit's requests: the seller's complaint stays with it

    seller_page = text(client.get(f"/owners/{seller.id}"))
    assert "曾有房产 湖畔苑 5栋 0601 2024-03-01 — 2026-09-01 HT-2024-001 已交付" in seller_page
    assert complaint.number in seller_page and "卫生间天花板渗水" in seller_page
    buyer = platform.session.scalars(select(Owner).where(Owner.name == "刘强")).one()
    buyer_page = text(client.get(f"/owners/{buyer.id}"))
    assert "名下房产 湖畔苑 5栋 0601 联系业主 HT-2026-077 已签约" in buyer_page
    assert complaint.number not in buyer_page

    cancelled = platform.session.scalars(select(Contract).where(Contract.number == "HT-2026-077")).one()
    assert (
        client.post(
            f"/records/contracts/{cancelled.id}/cancel", data={"cancelled_on": "2026-10-01"}
        ).status_code
        == 302
    )
    assert "该房号目前没有业主" in text(client.get(f"/records/units/{unit_id}"))


def test_the_owner_page_shows_units_requests_of_any_process_ratings_and_callers(
    client: Any, platform: Platform
) -> None:
    complaint = register(platform)
    platform.definitions.deploy(
        (DATA / "repair_request.bpmn").read_bytes(), "repair_request.bpmn", actor="setup"
    )
    owner = platform.session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()
    later = platform.process_requests.start(
        "repair_request", {"summary": "单元门禁损坏", "owner_id": owner.id}, actor(platform, "crc")
    )
    platform.session.commit()
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    complete(
        platform,
        complaint.instance_id,
        "crc",
        {"reached": "yes", "reply": "已修复", "satisfied": "yes", "score": 4},
    )
    unit = owner.units[0]
    platform.records.register_caller(unit, name="张小明", phone="13700001111", relation="family", by="crc")
    platform.session.commit()
    login(client, "crc")
    page = client.get(f"/owners/{owner.id}")
    shown = text(page)
    assert "张伟" in shown and "138****0001" in shown and "13800000001" not in shown
    assert "江南府 1栋 1201 联系业主" in shown
    # Open first, then newest: the later complaint, then the closed one.
    assert shown.index(later.number) < shown.index(complaint.number)
    assert re.search(rf"{later.number} 维修：单元门禁损坏 公共区域维修 处理中 现场查看", shown)
    assert re.search(rf"{complaint.number} .* 投诉 已结案 — ", shown)
    assert "★★★★☆" in shown and "张小明 家属 137****1111" in shown
    html = page.get_data(as_text=True)
    assert re.search(rf'href="/complaints/new\?owner={owner.id}(:|%3A){unit.id}"', html)
    registration = client.get(f"/complaints/new?owner={owner.id}:{unit.id}").get_data(as_text=True)
    assert re.search(rf'value="{owner.id}:{unit.id}" checked', registration)
    # The request page and the task page name the owner with a link to this page.
    assert f'href="/owners/{owner.id}"' in client.get(f"/requests/{complaint.instance_id}").get_data(
        as_text=True
    )
    task = platform.tasks.open_tasks_of(later.instance_id)[0]  # the repair's step, of engineering
    client.post("/logout")
    login(client, "eng")
    assert f'href="/owners/{owner.id}"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_the_owner_is_edited_without_the_form_showing_the_full_phone_or_id_number(
    client: Any, platform: Platform
) -> None:
    owner = platform.session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()
    platform.records.save_owner(owner, name="张伟", phone="13800000001", id_number="11010519491231002X")
    platform.session.commit()
    login(client, "crc")
    form = text(client.get(f"/owners/{owner.id}/edit"))
    assert "138****0001" in form and "13800000001" not in form and "11010519491231002X" not in form
    bad = client.post(
        f"/owners/{owner.id}/edit", data={"name": "", "phone": "12", "email": "x@", "tier": "vip"}
    )
    shown = text(bad)
    assert bad.status_code == 422
    for message in ("必填", "请填写有效的手机号或带区号的固定电话", "请填写有效的电子邮箱", "请从列表中选择"):
        assert message in shown
    platform.session.expire_all()
    assert (owner.name, owner.phone, owner.tier) == ("张伟", "13800000001", "regular")
    saved = client.post(
        f"/owners/{owner.id}/edit", data={"name": "张伟", "email": "zw@example.cn", "tier": "major"}
    )
    assert saved.status_code == 302
    platform.session.expire_all()
    assert (owner.phone, owner.id_number, owner.email, owner.tier) == (
        "13800000001",
        "11010519491231002X",
        "zw@example.cn",
        "major",
    )


def counts(platform: Platform) -> tuple[int, ...]:
    platform.session.expire_all()
    return tuple(
        platform.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Project, Building, Layout, Unit, Owner, Ownership, Contract, Contractor)
    )


def test_bad_input_on_every_form_is_refused_at_once_in_chinese_and_writes_nothing(
    client: Any, platform: Platform, estate: dict[str, int]
) -> None:
    before = counts(platform)
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        ("/records/projects/new", {"code": "HPY", "name": ""}, ["已有项目使用此编码", "必填"]),
        (f"/records/projects/{estate['project']}/buildings/new", {"name": "5栋"}, ["该项目已有同名楼栋"]),
        (f"/records/projects/{estate['project']}/layouts/new", {"name": "A1"}, ["该项目已有同名户型"]),
        (
            f"/records/buildings/{estate['building']}/units/new",
            {"number": "0601", "floor": "六", "area_m2": "-3", "layout_id": "99999"},
            ["该楼栋已有此房号", "请填写数字", "请填写 0 到 100000 之间的数", "请从列表中选择户型"],
        ),
        (
            f"/records/units/{estate['0601']}/contracts",
            {"number": "", "signed_on": "2026-13-01", "planned_handover_on": "2026-01-01"},
            ["必填", "请填写日期（年-月-日）"],
        ),
        (
            f"/records/units/{estate['0601']}/owners",
            {"name": "", "phone": "12345", "id_number": "110105194912310021", "email": "x@"},
            ["必填", "请填写有效的手机号", "证件号码无效", "请填写有效的电子邮箱"],
        ),
        (f"/records/units/{estate['0601']}/owners", {}, ["请查找并选择已有业主，或填写新业主的信息"]),
        ("/records/contractors/new", {"name": "", "phone": "1"}, ["必填", "请填写有效的手机号"]),
    ]
    for url, data, messages in cases:
        response = client.post(url, data=data)
        shown = text(response)
        assert response.status_code == 422, (url, shown)
        for message in messages:
            assert message in shown, (url, message)
        assert "信息有误，请按提示修改" in shown
        for name, value in data.items():
            if value and name != "layout_id":
                assert f'value="{value}"' in response.get_data(as_text=True), (url, value)
    assert counts(platform) == before


def test_a_floor_plan_that_is_not_an_image_is_refused(
    client: Any, platform: Platform, estate: dict[str, int], app: Any
) -> None:
    for name, content in (
        ("plan.png", b"MZ\x90\x00 not a picture"),
        ("plan.pdf", b"%PDF-1.4"),
        ("plan.gif", b"GIF89a"),
    ):
        response = client.post(
            f"/records/layouts/{estate['layout']}/edit",
            data={"name": "A1", "rooms": "客厅", "floor_plan": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, name
        assert "文件内容不是" in text(response) or "只接受" in text(response)
    layout = platform.session.get(Layout, estate["layout"])
    platform.session.refresh(layout)
    assert layout is not None and layout.rooms == ["客厅", "主卧", "次卧", "卫生间"]
    stored = Path(app.config["LINTEL_INSTANCE_PATH"]) / "floor_plans"
    assert sorted(p.name for p in stored.iterdir()) == [layout.floor_plan]  # nothing refused was kept


def test_contractors_are_listed_with_their_trades_edited_and_deactivated(
    client: Any, platform: Platform
) -> None:
    login(client, "crc")
    created = client.post(
        "/records/contractors/new",
        data={"name": "宏达防水", "contact_name": "黄工", "phone": "0571-8888 6666", "trades": "防水，门窗"},
    )
    assert created.status_code == 302, text(created)
    contractor = platform.session.scalars(select(Contractor).where(Contractor.name == "宏达防水")).one()
    assert (contractor.phone, contractor.trades) == ("057188886666", ["防水", "门窗"])
    twice = client.post("/records/contractors/new", data={"name": "宏达防水"})
    assert twice.status_code == 422 and "已有同名承建商" in text(twice)
    assert (
        client.post(f"/records/contractors/{contractor.id}/active", data={"active": "0"}).status_code == 302
    )
    assert "宏达防水 防水 门窗 黄工 057188886666 已停用" in text(client.get("/records/contractors"))


def test_a_handler_reads_the_records_but_cannot_change_them(
    client: Any, platform: Platform, estate: dict[str, int]
) -> None:
    client.post("/logout")
    login(client, "eng")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/records"' in home
    page = client.get(f"/records/projects/{estate['project']}")
    assert page.status_code == 200 and "新建楼栋" not in text(page)
    unit = client.get(f"/records/units/{estate['0601']}")
    assert unit.status_code == 200 and "登记合同" not in text(unit) and "添加业主" not in text(unit)
    before = counts(platform)
    for url, data in (
        ("/records/projects/new", {"code": "X1", "name": "某项目"}),
        (f"/records/units/{estate['0601']}/contracts", {"number": "HT-9", "signed_on": "2026-01-01"}),
        (f"/records/units/{estate['0601']}/owners", {"name": "某人", "phone": "13900000009"}),
    ):
        assert client.post(url, data=data).status_code == 403
    assert client.get(f"/records/units/{estate['0601']}/edit").status_code == 403
    assert counts(platform) == before


def test_unknown_records_are_not_found(client: Any) -> None:
    login(client, "crc")
    for url in (
        "/records/projects/999999",
        "/records/units/999999",
        "/owners/999999",
        "/records/layouts/999999/floor-plan",
        "/records/contractors/999999/edit",
        "/records/buildings/999999/units/new",
    ):
        with client.get(url) as response:
            assert response.status_code == 404, url
    assert (
        client.post("/records/contracts/999999/handover", data={"handed_over_on": "2026-01-01"}).status_code
        == 404
    )
