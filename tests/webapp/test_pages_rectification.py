"""The loop's pages as their users meet them: engineering's defect list with its bulk actions, a defect's
page, the contractor's phone view (only the company's own defects) closing with a photo, and the owner's
unit on the portal confirming a defect closed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crm.attachments import Attachments
from crm.estate.models import Contractor, Owner, Ownership, Unit
from crm.handover.models import Defect
from crm.platform import Platform
from tests.webapp.pages_support import actor, login, text

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
OWNER_PHONE = "13800000001"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def owner_unit(platform: Platform, phone: str = OWNER_PHONE) -> Unit:
    owner = platform.session.scalars(select(Owner).where(Owner.phone == phone)).one()
    unit_id = platform.session.scalars(select(Ownership.unit_id).where(Ownership.owner_id == owner.id)).one()
    unit = platform.session.get(Unit, unit_id)
    assert unit is not None
    return unit


def company(platform: Platform, name: str = "江南建工集团有限公司") -> Contractor:
    return platform.session.scalars(select(Contractor).where(Contractor.name == name)).one()


def defect(platform: Platform, unit: Unit, item: str = "空鼓", **values: Any) -> Defect:
    found, _ = platform.defects.register(
        actor(platform, "eng"),
        {
            "unit_id": unit.id,
            "category": "土建",
            "part": "墙面",
            "item": item,
            "severity": "normal",
            **values,
        },
    )
    return found


def assigned(platform: Platform, unit: Unit, to: Contractor, days: int = 5, item: str = "空鼓") -> Defect:
    found = defect(platform, unit, item)
    platform.rectifications.assign(
        actor(platform, "eng_mgr"), [found.id], contractor_id=to.id, rectify_days=days
    )
    platform.session.commit()
    return found


def test_a_contractor_signs_in_to_its_companys_work_sorted_by_deadline(client, platform: Platform) -> None:
    unit = owner_unit(platform)
    later = assigned(platform, unit, company(platform), days=9, item="开裂")
    sooner = assigned(platform, unit, company(platform), days=2, item="空鼓")
    other = assigned(platform, unit, company(platform, "恒安门窗工程有限公司"), days=1, item="渗水")
    response = login(client, "builder")
    assert response.headers["Location"] == "/contractor"
    page = client.get("/contractor")
    assert page.status_code == 200
    shown = text(page)
    assert shown.index(str(sooner.number)) < shown.index(str(later.number))
    assert str(other.number) not in shown and "渗水" not in shown
    # Another company's defect does not exist for them; nor do the centre's pages.
    assert client.get(f"/contractor/defects/{other.id}").status_code == 404
    assert client.get(f"/defects/{other.id}").status_code == 403
    assert client.get("/").status_code == 403
    assert client.get(f"/requests/{other.instance_id}").status_code == 403
    assert client.get("/records/projects").status_code in (403, 404)
    assert "收件箱" not in text(client.get("/contractor"))


def test_a_contractor_closes_with_a_photo_from_the_phone(client, platform: Platform) -> None:
    found = assigned(platform, owner_unit(platform), company(platform))
    login(client, "builder")
    url = f"/contractor/defects/{found.id}/close"
    missing = client.post(url, data={"note": ""})
    assert missing.status_code == 422
    assert "请填写整改说明" in text(missing) and "请拍摄或选择整改后的照片" in text(missing)
    response = client.post(
        url,
        data={"note": "重新抹灰并养护", "evidence": (io.BytesIO(JPEG), "after.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    platform.session.expire_all()
    found = platform.session.get(Defect, found.id)
    assert found is not None and found.status == "verifying"
    photos = platform.rectifications.photos(found)
    assert len(photos.after) == 1
    shown = client.get(f"/contractor/defects/{found.id}")
    assert "等待验房工程师复验" in text(shown)
    with client.get(f"/contractor/defects/{found.id}/photos/{photos.after[0].token}") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_engineering_assigns_many_defects_to_one_contractor_and_extends_with_a_reason(
    client, platform
) -> None:  # type: ignore[no-untyped-def]
    unit = owner_unit(platform)
    first, second = defect(platform, unit), defect(platform, unit, "开裂")
    platform.session.commit()
    login(client, "eng_mgr")
    listed = client.get(f"/defects?building_id={unit.building_id}&status=assigning")
    assert listed.status_code == 200 and str(first.number) in text(listed) and "待分派" in text(listed)
    refused = client.post("/defects/assign", data={"defect_id": [first.id, second.id]})
    assert refused.status_code == 422 and "这几项中至少填写一项" in text(refused)
    builder = company(platform)
    done = client.post(
        "/defects/assign",
        data={"defect_id": [first.id, second.id], "contractor_id": builder.id, "rectify_days": "3"},
        follow_redirects=True,
    )
    assert "已分派 2 项缺陷" in text(done)
    again = client.post(
        "/defects/assign", data={"defect_id": [first.id], "contractor_id": builder.id}, follow_redirects=True
    )
    assert f"{first.number} 未处理：当前状态为「整改中」" in text(again)
    platform.session.expire_all()
    due = platform.session.get(Defect, first.id).due_at  # type: ignore[union-attr]
    no_reason = client.post("/defects/extend", data={"defect_id": [first.id], "days": "2", "reason": ""})
    assert no_reason.status_code == 422 and "请填写原因" in text(no_reason)
    extended = client.post(
        "/defects/extend",
        data={"defect_id": [first.id], "days": "2", "reason": "甲供材料未到"},
        follow_redirects=True,
    )
    assert "已为 1 项缺陷延长整改期限" in text(extended)
    platform.session.expire_all()
    moved = platform.session.get(Defect, first.id)
    assert moved is not None and due is not None and (moved.due_at - due).days == 2
    page = text(client.get(f"/defects/{first.id}"))
    assert "甲供材料未到" in page and "江南建工集团有限公司" in page
    # Only who manages defects acts in bulk; everyone inside sees the list.
    login(client, "design")
    assert client.get("/defects").status_code == 200
    assert (
        client.post("/defects/extend", data={"defect_id": [first.id], "days": "2", "reason": "x"}).status_code
        == 403
    )


def test_the_assign_step_refuses_in_chinese_without_a_contractor_or_an_engineer(client, platform) -> None:  # type: ignore[no-untyped-def]
    found = defect(platform, owner_unit(platform))
    platform.session.commit()
    step = platform.rectifications.open_step(found)
    login(client, "eng")
    response = client.post(f"/tasks/{step.id}/complete", data={"rectify_days": "3"})
    assert response.status_code == 422
    assert text(response).count("这几项中至少填写一项") == 2


def test_the_owner_confirms_on_the_portal_and_another_owner_finds_nothing(app, client, platform) -> None:  # type: ignore[no-untyped-def]
    unit = owner_unit(platform)
    found = defect(platform, unit)
    platform.rectifications.assign(actor(platform, "eng_mgr"), [found.id], rectifier="eng")
    store = Attachments(
        platform.session, platform.clock, Path(app.config["LINTEL_INSTANCE_PATH"]) / "uploads", 1 << 20
    )
    after = store.store(found.instance_id, "eng", "after.jpg", io.BytesIO(JPEG), field="evidence")
    platform.rectifications.close(actor(platform, "eng"), found, note="已修补", evidence=[after.token])
    platform.tasks.complete(
        platform.rectifications.open_step(found).id, {"verified": "pass"}, actor(platform, "eng")
    )  # type: ignore[union-attr]
    platform.session.commit()
    url = f"/portal/units/{unit.id}/defects"
    asked = client.get(url)
    assert asked.status_code == 200 and "业主手机号" in text(asked)
    wrong = client.post(f"{url}/verify", data={"phone": "13800000002"})
    assert wrong.status_code == 401 and "不符" in text(wrong)
    assert client.post(f"{url}/verify", data={"phone": OWNER_PHONE}).status_code == 302
    page = text(client.get(url))
    assert str(found.number) in page and "待业主确认" in page and "请您确认" in page
    with client.get(f"{url}/{found.id}/photos/{after.token}") as photo:
        assert photo.status_code == 200
    not_fixed = client.post(f"{url}/{found.id}/answer", data={"confirmed": "no"}, follow_redirects=True)
    assert "请说明哪里还不满意" in text(not_fixed)
    confirmed = client.post(f"{url}/{found.id}/answer", data={"confirmed": "yes"}, follow_redirects=True)
    assert f"{found.number} 已销号" in text(confirmed)
    platform.session.expire_all()
    closed = platform.session.get(Defect, found.id)
    assert closed is not None and closed.status == "closed" and closed.confirmed_by.startswith("owner:")  # type: ignore[union-attr]
    # The owner of another unit, signed in with their phone, finds nothing here.
    other = owner_unit(platform, "13800000002")
    assert client.get(f"/portal/units/{other.id}/defects").status_code == 404
    stranger = client.application.test_client()
    stranger.post(f"/portal/units/{other.id}/defects/verify", data={"phone": "13800000002"})
    assert stranger.get(url).status_code == 404
    assert stranger.post(f"{url}/{found.id}/answer", data={"confirmed": "no", "note": "x"}).status_code == 404


def test_an_administrator_creates_a_contractors_account_for_its_company(client, platform) -> None:  # type: ignore[no-untyped-def]
    builder = company(platform)
    code = f"contractor_{builder.id}"
    login(client, "admin")
    assert "江南建工集团有限公司" in text(client.get("/admin/users"))
    base = {"username": "jiang2", "display_name": "蒋二", "password": "correct-horse"}
    mixed = client.post(
        "/admin/users", data={**base, "roles": ["contractor", "handler"], "departments": [code]}
    )
    assert mixed.status_code == 422 and "只能有“承建商人员”一个角色" in text(mixed)
    none = client.post("/admin/users", data={**base, "roles": ["contractor"], "departments": ["engineering"]})
    assert none.status_code == 422 and "须选择一个所属承建商单位" in text(none)
    inside = client.post("/admin/users", data={**base, "roles": ["handler"], "departments": [code]})
    assert inside.status_code == 422 and "只有承建商人员账号才能加入承建商单位" in text(inside)
    created = client.post("/admin/users", data={**base, "roles": ["contractor"], "departments": ["", code]})
    assert created.status_code == 302
    client.post("/logout")
    assert login(client, "jiang2", "correct-horse").headers["Location"] == "/contractor"
    assert client.get("/contractor").status_code == 200


def test_the_inspector_fails_a_verification_on_the_task_page_and_the_centre_confirms_in_person(
    app, client, platform
) -> None:  # type: ignore[no-untyped-def]
    found = assigned(platform, owner_unit(platform), company(platform))
    store = Attachments(
        platform.session, platform.clock, Path(app.config["LINTEL_INSTANCE_PATH"]) / "uploads", 1 << 20
    )
    after = store.store(found.instance_id, "builder", "after.jpg", io.BytesIO(JPEG), field="evidence")
    platform.rectifications.close(actor(platform, "builder"), found, note="已修补", evidence=[after.token])
    platform.session.commit()
    verify = platform.rectifications.open_step(found)
    login(client, "eng")
    page = text(client.get(f"/tasks/{verify.id}"))
    assert str(found.number) in page and "未退回" in page and "整改前后照片和各轮记录" in page
    failed = client.post(
        f"/tasks/{verify.id}/complete",
        data={"verified": "fail", "verify_note": "仍有空鼓", "verify_photos": (io.BytesIO(JPEG), "复验.jpg")},
        content_type="multipart/form-data",
    )
    assert failed.status_code == 302
    platform.session.expire_all()
    found = platform.session.get(Defect, found.id)
    assert (found.status, found.rounds) == ("rectifying", 1)
    assert len(platform.rectifications.photos(found).verification) == 1
    shown = text(client.get(f"/defects/{found.id}"))
    assert "复验不通过，退回整改 ：仍有空鼓" in shown and "已退回 1 轮" in shown
    # Second round passes; the owner confirms standing in the unit, on the centre's tablet.
    again = store.store(found.instance_id, "builder", "after2.jpg", io.BytesIO(JPEG), field="evidence")
    platform.rectifications.close(actor(platform, "builder"), found, note="再次修补", evidence=[again.token])
    platform.tasks.complete(
        platform.rectifications.open_step(found).id, {"verified": "pass"}, actor(platform, "eng")
    )
    platform.session.commit()
    confirm = platform.rectifications.open_step(found)
    login(client, "crc")
    assert client.post(f"/tasks/{confirm.id}/complete", data={"confirmed": "yes"}).status_code == 302
    platform.session.expire_all()
    found = platform.session.get(Defect, found.id)
    assert (found.status, found.rounds, found.confirmed_by) == ("closed", 1, "crc")
