"""The handover pages: the building board and a project's buildings, slots, one unit's handover with the
owner's signature drawn on the tablet — refused while defects are open until the owner's agreement lists
them, on the page and through the API — and the owner booking on the portal."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from crm.handover.models import Handover
from crm.platform import Platform
from lintel.clock import SHANGHAI
from tests.crm.handover_support import CRC, close, defect, sold_building
from tests.webapp.pages_support import login, text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SIGNED = "data:image/png;base64," + base64.b64encode(PNG).decode()
FORM = {"water": "12.5", "electricity": "301", "keys": "2", "documents": ["quality_guarantee", "key_list"]}


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _slot(platform: Platform, project_id: int, capacity: int = 1):  # type: ignore[no-untyped-def]
    day = (platform.clock.now() + timedelta(days=2)).astimezone(SHANGHAI).date().isoformat()
    return platform.handover_slots.create(
        platform.estate.project(project_id), day, "09:00", "11:00", capacity
    )


def test_the_board_colours_units_and_counts_defects(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = sold_building(platform)
    defect(platform, site.units["0601"])
    platform.session.commit()
    login(client, "eng")
    page = client.get(f"/handover/buildings/{site.building.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="unit-cell readiness-open"' in html and 'class="unit-cell readiness-ready"' in html
    seen = text(page)
    assert "交付看板" in seen and "待分派" in seen and "土建" in seen and "有未销号缺陷" in seen
    overview = text(client.get(f"/handover/projects/{site.building.project_id}"))
    assert "5栋" in overview and "可交付" in overview


def test_the_centre_adds_a_slot_and_a_bad_one_is_explained(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = sold_building(platform)
    platform.session.commit()
    login(client, "crc")
    url = f"/handover/projects/{site.building.project_id}/slots"
    bad = client.post(url, data={"day": "2020-01-01", "start": "10:00", "end": "09:00", "capacity": "x"})
    assert bad.status_code == 422 and "请填写" in text(bad)
    day = (platform.clock.now() + timedelta(days=5)).astimezone(SHANGHAI).date().isoformat()
    good = client.post(url, data={"day": day, "start": "09:00", "end": "11:00", "capacity": "8"})
    assert good.status_code == 302
    assert "09:00–11:00" in text(client.get(url))


def test_the_handover_page_refuses_open_defects_until_the_owner_agrees(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = sold_building(platform)
    found = defect(platform, site.units["0601"])
    handover = platform.handovers.start(site.units["0601"], CRC)
    platform.handover_slots.book(handover, _slot(platform, site.building.project_id).id, CRC, "crc")
    platform.session.commit()
    login(client, "crc")
    url = f"/handover/handovers/{handover.id}/complete"
    unsigned = client.post(url, data=FORM)
    assert unsigned.status_code == 422 and "请业主在签字框内签字" in text(unsigned)
    refused = client.post(url, data={**FORM, "signature": SIGNED})
    assert refused.status_code == 422
    assert "须勾选业主同意带缺陷交付的每一项" in text(refused) and "请记录业主的意见" in text(refused)
    agreed = {
        **FORM,
        "signature": SIGNED,
        "agreed_open_defects": found.number,
        "agreement_note": "同意先收房",
    }
    assert client.post(url, data=agreed).status_code == 302
    platform.session.expire_all()
    done = platform.session.get(Handover, handover.id)
    assert done is not None and done.status == "handed_over" and done.signature is not None
    page = text(client.get(f"/handover/handovers/{handover.id}"))
    assert "已交付" in page and found.number in page and "住宅质量保证书" in page
    with client.get(f"/attachments/{done.signature}") as drawn:
        assert drawn.data == PNG


def test_the_api_completion_meets_the_same_rule(client, platform: Platform, auth) -> None:  # type: ignore[no-untyped-def]
    site = sold_building(platform)
    found = defect(platform, site.units["0601"])
    handover = platform.handovers.start(site.units["0601"], CRC)
    platform.handover_slots.book(handover, _slot(platform, site.building.project_id).id, CRC, "crc")
    step = platform.handovers.open_step(handover, "hand_over")
    assert step is not None
    platform.session.commit()
    data = {"water": 1, "electricity": 2, "keys": 2, "documents": ["key_list"]}
    refused = client.post(f"/api/v1/tasks/{step.id}/complete", json={"data": data}, headers=auth("crc"))
    assert refused.status_code == 422, refused.get_json()
    assert set(refused.get_json()["fields"]) == {"agreed_open_defects", "agreement_note"}
    close(platform, found)
    platform.session.commit()
    done = client.post(f"/api/v1/tasks/{step.id}/complete", json={"data": data}, headers=auth("crc"))
    assert done.status_code == 200, done.get_json()
    platform.session.expire_all()
    assert platform.session.get(Handover, handover.id).status == "handed_over"  # type: ignore[union-attr]


def test_the_owner_books_on_the_portal_and_another_owners_unit_is_not_there(
    client, platform: Platform
) -> None:  # type: ignore[no-untyped-def]
    site = sold_building(platform)
    mine = platform.handovers.start(site.units["0601"], CRC)
    other = platform.handovers.start(site.units["0602"], CRC)
    slot = _slot(platform, site.building.project_id, capacity=1)
    platform.handover_slots.book(other, slot.id, CRC, "crc")
    later = platform.handover_slots.create(
        site.building.project,
        (platform.clock.now() + timedelta(days=3)).astimezone(SHANGHAI).date().isoformat(),
        "14:00",
        "16:00",
        5,
    )
    number = platform.requests.get(mine.instance_id).number
    platform.session.commit()
    owner = site.owners["0601"]
    assert client.post("/portal", data={"number": number, "phone": owner.phone}).status_code == 302
    page = client.get(f"/portal/units/{site.units['0601'].id}/handover")
    assert page.status_code == 200 and "已约满" in text(page)
    assert client.get(f"/portal/units/{site.units['0602'].id}/handover").status_code == 404
    assert (
        client.post(f"/portal/units/{site.units['0602'].id}/handover", data={"slot_id": later.id}).status_code
        == 404
    )
    full = client.post(
        f"/portal/units/{site.units['0601'].id}/handover", data={"slot_id": slot.id}, follow_redirects=True
    )
    assert "该时段已约满" in text(full)
    booked = client.post(
        f"/portal/units/{site.units['0601'].id}/handover", data={"slot_id": later.id}, follow_redirects=True
    )
    assert "预约成功" in text(booked)
    platform.session.expire_all()
    assert platform.session.get(Handover, mine.id).booked_by == f"owner:{owner.id}"  # type: ignore[union-attr]
    cancelled = client.post(
        f"/portal/units/{site.units['0601'].id}/handover", data={"cancel": "1"}, follow_redirects=True
    )
    assert "已取消预约" in text(cancelled)
    assert "交付预约" in text(client.get("/portal/handover"))
