"""On the portal a co-owner whose phone is verified follows the unit's requests, and a unit's transfer keeps
the earlier owner's history with them: the new owner sees only what was registered since they bought it."""

from __future__ import annotations

from datetime import date

import pytest

from crm.estate.search import resolve_unit
from tests.webapp.pages_support import OWNER_PHONE, register, text

CO_OWNER = "13912341234"  # 张丽, who co-owns 张伟's 1栋1201
BUYER = "13655556666"  # 吴新, who buys it


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def unit(platform):  # type: ignore[no-untyped-def]
    """张伟's 1栋1201 under its contract since 2024, co-owned by 张丽."""
    records = platform.records
    found = resolve_unit(platform.session, text="1-1201")
    records.record_contract(None, unit=found, number="HT-1-1201", signed_on=date(2024, 3, 1))
    co_owner = records.save_owner(None, name="张丽", phone=CO_OWNER)
    records.add_owner_to_unit(co_owner, found, started_on=date(2024, 3, 1))
    platform.session.commit()
    return found


def look_up(client, number: str, phone: str):  # type: ignore[no-untyped-def]
    return client.post("/portal", data={"number": number, "phone": phone})


def listed(client) -> str:  # type: ignore[no-untyped-def]
    return text(client.get("/portal/mine"))


def test_a_co_owner_follows_the_units_requests_with_their_own_phone(client, platform, unit) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform, description="主卧窗户漏水")  # registered by 张伟
    found = look_up(client, complaint.number, "139 1234 1234")
    assert found.status_code == 302 and found.headers["Location"] == f"/portal/{complaint.number}"
    assert "主卧窗户漏水" in text(client.get(found.headers["Location"]))
    assert complaint.number in listed(client)


def test_after_a_transfer_the_earlier_owner_keeps_theirs_and_the_buyer_does_not_see_them(
    client, platform, clock, unit
) -> None:  # type: ignore[no-untyped-def]
    earlier = register(platform, description="主卧窗户漏水")
    records = platform.records
    buyer = records.save_owner(None, name="吴新", phone=BUYER)
    records.transfer(unit, number="HT-1-1201-B", signed_on=date(2026, 11, 21), owners=[buyer])
    platform.session.commit()
    clock.set(clock.now().replace(day=23))
    later = register(platform, phone=BUYER, description="入住后发现地板起拱")
    # The earlier owner: their request stays theirs, by its number and in their list; not the buyer's.
    assert look_up(client, earlier.number, OWNER_PHONE).status_code == 302
    mine = listed(client)
    assert earlier.number in mine and later.number not in mine
    # The buyer: their own request, not the earlier owner's.
    with client.session_transaction() as state:
        state.clear()
    refused = look_up(client, earlier.number, BUYER)
    assert refused.status_code == 200 and "没有找到与此编号和手机号对应的记录" in text(refused)
    assert look_up(client, later.number, BUYER).status_code == 302
    mine = listed(client)
    assert later.number in mine and earlier.number not in mine
    # The co-owner who sold with 张伟 follows neither any more: they were 张伟's and the unit's, not hers.
    with client.session_transaction() as state:
        state.clear()
    assert look_up(client, later.number, CO_OWNER).status_code == 200
    assert look_up(client, earlier.number, CO_OWNER).status_code == 200
