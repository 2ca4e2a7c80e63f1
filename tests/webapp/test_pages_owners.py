"""The owners search page (业主查询), masked phones wherever an owner's phone is listed, the full number only
on request — each such view written to the personal-data log that administrators read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crm.estate.models import Owner, PersonalDataAccess
from tests.webapp.pages_support import TRIAGE, complete, login, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def zhang(session) -> Owner:  # type: ignore[no-untyped-def]
    return session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()


@pytest.mark.parametrize("query", ["0001", "张", "zw", "江南府1栋1201", "1-1201", "1栋 1201", "13800000001"])
def test_the_owners_page_finds_an_owner_however_the_caller_says_it(client, platform, query) -> None:  # type: ignore[no-untyped-def]
    register(platform)  # an open complaint of 张伟's
    login(client, "eng")  # every staff member may look owners up
    shown = text(client.get("/owners", query_string={"q": query}))
    row = re.search(r"张伟 138\*\*\*\*0001 江南府 1栋 1201 联系业主 无合同 1", shown)
    assert row is not None, shown
    assert "13800000001" not in shown


def test_the_full_phone_is_shown_on_request_and_the_view_is_logged(client, session) -> None:  # type: ignore[no-untyped-def]
    owner = zhang(session)
    login(client, "crc")
    page = client.get("/owners", query_string={"q": "0001"}).get_data(as_text=True)
    assert "显示完整号码" in page
    revealed = client.post(
        f"/owners/{owner.id}/reveal", data={"what": "phone"}, headers={"HX-Request": "true"}
    )
    assert revealed.status_code == 200 and "13800000001" in revealed.get_data(as_text=True)
    rows = session.scalars(select(PersonalDataAccess)).all()
    assert [(r.actor, r.owner_id, r.what, r.via) for r in rows] == [("crc", owner.id, "phone", "page")]
    # Without htmx: a page with the number and the way back.
    assert "13800000001" in text(client.post(f"/owners/{owner.id}/reveal", data={"what": "phone"}))


def test_an_id_number_is_revealed_the_same_way(client, platform, session) -> None:  # type: ignore[no-untyped-def]
    owner = platform.records.save_owner(
        None, name="张丽", phone="13912341234", id_number="11010519491231002X"
    )
    platform.session.commit()
    login(client, "crc_sup")
    revealed = client.post(
        f"/owners/{owner.id}/reveal", data={"what": "id_number"}, headers={"HX-Request": "1"}
    )
    assert "11010519491231002X" in revealed.get_data(as_text=True)
    rows = session.scalars(select(PersonalDataAccess)).all()
    assert [(r.actor, r.owner_id, r.what) for r in rows] == [("crc_sup", owner.id, "id_number")]


def test_those_without_the_permission_see_no_button_and_are_refused(client, session) -> None:  # type: ignore[no-untyped-def]
    owner = zhang(session)
    login(client, "eng")
    assert "显示完整号码" not in text(client.get("/owners", query_string={"q": "0001"}))
    assert client.post(f"/owners/{owner.id}/reveal", data={"what": "phone"}).status_code == 403
    assert session.scalars(select(PersonalDataAccess)).all() == []


def test_a_reveal_of_something_else_or_of_nobody_is_refused_without_a_log_row(client, session) -> None:  # type: ignore[no-untyped-def]
    owner = zhang(session)
    login(client, "crc")
    assert client.post(f"/owners/{owner.id}/reveal", data={"what": "email"}).status_code == 422
    assert client.post("/owners/999999/reveal", data={"what": "phone"}).status_code == 404
    assert session.scalars(select(PersonalDataAccess)).all() == []


def test_administrators_read_the_log_by_person_and_by_owner(client, session) -> None:  # type: ignore[no-untyped-def]
    owner = zhang(session)
    login(client, "crc")
    client.post(f"/owners/{owner.id}/reveal", data={"what": "phone"})
    login(client, "crc_sup")
    other = session.scalars(select(Owner).where(Owner.phone == "13800000002")).one()
    client.post(f"/owners/{other.id}/reveal", data={"what": "phone"})
    login(client, "admin")
    shown = text(client.get("/admin/personal-data"))
    assert "李娜（客服专员） 张伟 手机号 页面" in shown and "王强（客服中心主管） 王芳 手机号 页面" in shown
    by_person = text(client.get("/admin/personal-data", query_string={"actor": "crc"}))
    assert "张伟" in by_person and "王芳" not in by_person
    by_owner = text(client.get("/admin/personal-data", query_string={"owner_id": other.id}))
    assert "王芳" in by_owner and "张伟" not in by_owner
    login(client, "crc")
    assert client.get("/admin/personal-data").status_code == 403


def test_lists_show_masked_phones_only(client, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    login(client, "crc")
    pages = {
        "/lookup?q=0001": client.get("/lookup", query_string={"q": "0001"}),
        "/complaints/owners?q=0001": client.get("/complaints/owners", query_string={"q": "0001"}),
        "request": client.get(f"/requests/{complaint.instance_id}"),
        "print": client.get(f"/requests/{complaint.instance_id}/print"),
    }
    for name, response in pages.items():
        shown = text(response)
        assert "138****0001" in shown and "13800000001" not in shown, name
