"""A caller not on file is no dead end: registered on the spot as a new owner of their unit, or recorded as
a caller who is not an owner (a tenant, family) with the unit — on the page and through the API — and the
complaint proceeds; a bad phone is refused clearly with nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from crm.estate.models import Caller, Owner, Ownership
from crm.estate.search import PeopleSearch
from crm.models import Complaint, RequestIndex
from tests.webapp.pages_support import login, open_task, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def counts(session: Any) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) for model in (Owner, Caller, Complaint)
    )


def form(owner: str, **person: str) -> dict[str, str]:
    data = {"owner": owner, "channel": "hotline", "description": "阳台渗水", "q": "赵敏"}
    data.update({f"person_{k}": v for k, v in person.items()})
    return data


def test_a_caller_not_on_file_becomes_the_owner_of_their_unit_and_the_complaint_proceeds(
    client, platform, session
) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    page = text(client.get("/complaints/new", query_string={"q": "赵敏"}))
    assert "没有找到“赵敏”对应的业主或来电人" in page and "找不到来电人？当场建档" in page
    response = client.post(
        "/complaints/new", data=form("new_owner", name="赵敏", phone="139-0000-1111", unit="江南府3栋 1502")
    )
    assert response.status_code == 302, text(response)
    instance_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert open_task(platform, instance_id).element_id == "triage"
    owner = session.scalars(select(Owner).where(Owner.name == "赵敏")).one()
    assert (owner.phone, owner.name_initials) == ("13900001111", "zm")
    assert [u.label for u in owner.units] == ["江南府 3栋 1502"]
    ownership = session.get(Ownership, (owner.id, owner.units[0].id))
    assert ownership is not None and ownership.is_contact
    row = session.get(RequestIndex, instance_id)
    assert (row.owner_name, row.unit_label) == ("赵敏", "江南府 3栋 1502")
    # The next call finds her as any owner is found.
    assert PeopleSearch(session).find("1111")[0].owner is owner
    shown = text(client.get(f"/requests/{instance_id}"))
    assert "赵敏" in shown and "139****1111" in shown and "13900001111" not in shown


def test_a_tenant_is_recorded_with_the_unit_and_the_complaint_is_about_its_contact_owner(
    client, platform, session
) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    units = text(client.get("/complaints/units", query_string={"person_unit": "1-1201"}))
    assert "江南府 1栋 1201" in units
    response = client.post(
        "/complaints/new",
        data=form("caller", name="钱租客", phone="13700002222", unit="1-1201", relation="tenant"),
    )
    assert response.status_code == 302, text(response)
    instance_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    complaint = session.scalars(select(Complaint).where(Complaint.instance_id == instance_id)).one()
    assert complaint.owner is not None and complaint.owner.name == "张伟"  # the unit's contact owner
    assert complaint.caller is not None and (complaint.caller.name, complaint.caller.relation) == (
        "钱租客",
        "tenant",
    )
    shown = text(client.get(f"/requests/{instance_id}"))
    assert "来电人 钱租客（租户）137****2222" in shown
    # Found again by phone: shown as 非业主来电 with the unit, and picked for the next complaint.
    again = text(client.get("/complaints/owners", query_string={"q": "2222"}))
    assert "钱租客" in again and "非业主来电" in again and "江南府 1栋 1201" in again
    second = client.post("/complaints/new", data=form(f"c{complaint.caller.id}"))
    assert second.status_code == 302
    assert session.scalar(select(func.count()).select_from(Caller)) == 1


def test_a_caller_for_a_unit_without_owners_registers_a_complaint_about_no_owner(
    client, platform, session
) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    response = client.post(
        "/complaints/new",
        data=form("caller", name="孙家属", phone="0571-8888 6666", unit="江南府3栋1502", relation="family"),
    )
    assert response.status_code == 302, text(response)
    instance_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    complaint = session.scalars(select(Complaint).where(Complaint.instance_id == instance_id)).one()
    assert complaint.owner_id is None and complaint.caller.phone == "057188886666"
    row = session.get(RequestIndex, instance_id)
    assert row.owner_id is None and row.unit_label == "江南府 3栋 1502"
    # Every page the case appears on copes with a case about no owner.
    for path in (f"/requests/{instance_id}", f"/requests/{instance_id}/print", "/inbox", "/lookup"):
        assert client.get(path).status_code == 200, path
    task = open_task(platform, instance_id)
    assert client.get(f"/tasks/{task.id}").status_code == 200
    assert "孙家属" in text(client.get(f"/requests/{instance_id}"))


@pytest.mark.parametrize(
    ("owner", "person", "errors"),
    [
        (
            "new_owner",
            {"name": "赵敏", "phone": "12345", "unit": "1-1201"},
            ["请填写有效的手机号或带区号的固定电话"],
        ),
        ("new_owner", {"name": "", "phone": "13900001111", "unit": "9栋9999"}, ["必填", "没有找到这个房号"]),
        (
            "caller",
            {"name": "钱", "phone": "13700002222", "unit": "1-1201", "relation": ""},
            ["请选择与业主的关系"],
        ),
        ("", {}, ["请先查找并选择业主，或当场为来电人建档"]),
    ],
)
def test_bad_details_are_refused_clearly_and_nothing_is_written(
    client, session, owner, person, errors
) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    before = counts(session)
    response = client.post("/complaints/new", data=form(owner, **person))
    assert response.status_code == 422
    shown = text(response)
    for error in errors:
        assert error in shown, shown
    assert counts(session) == before


def test_the_api_registers_a_new_owner_and_a_caller(client, auth, session) -> None:  # type: ignore[no-untyped-def]
    created = client.post(
        "/api/v1/complaints",
        headers=auth("crc"),
        json={
            "channel": "hotline",
            "description": "外墙渗水",
            "new_owner": {"name": "赵敏", "phone": "+86 139 0000 1111", "unit": "江南府3栋1502"},
        },
    )
    assert created.status_code == 201, created.get_json()
    detail = client.get(f"/api/v1/complaints/{created.get_json()['id']}", headers=auth("crc")).get_json()
    assert detail["owner"]["name"] == "赵敏" and detail["unit"]["label"] == "江南府 3栋 1502"
    by_caller = client.post(
        "/api/v1/complaints",
        headers=auth("crc"),
        json={
            "channel": "hotline",
            "description": "噪音",
            "caller": {"name": "钱租客", "phone": "13700002222", "unit": "2-801", "relation": "tenant"},
        },
    )
    assert by_caller.status_code == 201, by_caller.get_json()
    detail = client.get(f"/api/v1/complaints/{by_caller.get_json()['id']}", headers=auth("crc")).get_json()
    assert detail["owner"]["name"] == "刘洋"
    assert detail["caller"] == {
        "id": detail["caller"]["id"],
        "name": "钱租客",
        "relation": "tenant",
        "phone": "137****2222",
    }


def test_the_api_refuses_a_bad_phone_with_its_field_and_writes_nothing(client, auth, session) -> None:  # type: ignore[no-untyped-def]
    before = counts(session)
    response = client.post(
        "/api/v1/complaints",
        headers=auth("crc"),
        json={
            "channel": "hotline",
            "description": "外墙渗水",
            "new_owner": {"name": "赵敏", "phone": "555-0100", "unit": "江南府3栋1502"},
        },
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "new_owner.phone": "not a valid Chinese mobile or landline number"
    }
    unknown_unit = client.post(
        "/api/v1/complaints",
        headers=auth("crc"),
        json={
            "channel": "hotline",
            "description": "外墙渗水",
            "caller": {"name": "钱", "phone": "13700002222", "unit_id": 999999, "relation": "tenant"},
        },
    )
    assert unknown_unit.status_code == 422
    assert unknown_unit.get_json()["fields"] == {"caller.unit": "no unit with this id"}
    assert counts(session) == before


def test_an_owner_on_file_is_found_by_their_phone_however_it_is_typed(client, auth) -> None:  # type: ignore[no-untyped-def]
    created = client.post(
        "/api/v1/complaints",
        headers=auth("crc"),
        json={"channel": "hotline", "description": "门锁损坏", "owner_phone": "+86 138-0000-0001"},
    )
    assert created.status_code == 201, created.get_json()
    detail = client.get(f"/api/v1/complaints/{created.get_json()['id']}", headers=auth("crc")).get_json()
    assert detail["owner"]["name"] == "张伟" and detail["caller"] is None
