"""Finding people as a coordinator hears them on the phone: each way a caller may say who they are finds
them, the most exact match first."""

from __future__ import annotations

from datetime import date

import pytest

from crm.estate.models import Owner, Unit
from crm.estate.search import PeopleSearch, resolve_unit
from crm.estate.services import Records
from crm.platform import Platform
from engine.errors import InvalidData
from tests.webapp.pages_support import register


def unit_of(platform: Platform, building: str, number: str) -> Unit:
    return resolve_unit(platform.session, text=f"江南府{building}{number}")


@pytest.fixture
def people(platform: Platform) -> dict[str, Owner]:
    """Besides the demo owners (张伟 13800000001 in 1栋1201 …): 张丽, with an ID number, co-owning 张伟's
    unit, and 周敏 in 3栋0801 under a contract."""
    records: Records = platform.records
    zhang_li = records.save_owner(None, name="张丽", phone="139 1234 1234", id_number="11010519491231002X")
    records.add_owner_to_unit(zhang_li, unit_of(platform, "1栋", "1201"))
    zhou = records.save_owner(None, name="周敏", phone="+86 137-0000-5678")
    records.add_owner_to_unit(zhou, unit_of(platform, "3栋", "0801"))
    records.record_contract(
        None, unit=unit_of(platform, "3栋", "0801"), number="HT-3-0801", signed_on=date(2025, 3, 1)
    )
    platform.session.flush()
    return {"zhang_li": zhang_li, "zhou": zhou}


def names(platform: Platform, text: str) -> list[str]:
    return [m.name for m in PeopleSearch(platform.session).find(text)]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("0001", "张伟"),  # the last four digits of the phone
        ("13800000001", "张伟"),  # the whole phone
        ("+86 138-0000-0001", "张伟"),  # typed any way
        ("138 0000 0001", "张伟"),
        ("张伟", "张伟"),
        ("zw", "张伟"),  # pinyin initials
        ("zhangwei", "张伟"),  # the whole pinyin
        ("ZhangWei", "张伟"),
        ("江南府1栋1201", "张伟"),  # the unit as written on the contract
        ("1-1201", "张伟"),
        ("1栋 1201", "张伟"),
        ("1#1201", "张伟"),
        ("1号楼1201室", "张伟"),
        ("2#801", "刘洋"),  # the unit number without its leading zero
        ("1234", "张丽"),  # her phone's last digits
        ("002X", "张丽"),  # the last four of her ID number, with its X
        ("002x", "张丽"),
        ("11010519491231002X", "张丽"),
        ("5678", "周敏"),
    ],
)
def test_each_way_a_caller_says_who_they_are_finds_them_first(platform, people, text, first) -> None:  # type: ignore[no-untyped-def]
    found = names(platform, text)
    assert found and found[0] == first, (text, found)


def test_a_surname_finds_everyone_of_that_name(platform, people) -> None:  # type: ignore[no-untyped-def]
    assert set(names(platform, "张")) == {"张伟", "张丽"}
    assert names(platform, "张丽") == ["张丽"]


def test_a_unit_finds_all_its_current_owners_with_the_contact_owner_marked(platform, people) -> None:  # type: ignore[no-untyped-def]
    matches = PeopleSearch(platform.session).find("1栋1201")
    assert [m.name for m in matches] == ["张伟", "张丽"]  # the contact owner first
    contact = {m.name: m.holdings[0].is_contact for m in matches}
    assert contact == {"张伟": True, "张丽": False}


def test_a_partial_request_number_finds_the_owner_of_that_request(platform, people) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform, phone="13800000004")  # 陈静
    sequence = complaint.number.rsplit("-", 1)[1]  # 000001
    for text in (complaint.number, complaint.number.lower(), sequence, complaint.number[:-2]):
        assert names(platform, text)[0] == "陈静", text


def test_an_exact_match_comes_before_partial_ones(platform, people) -> None:  # type: ignore[no-untyped-def]
    records: Records = platform.records
    records.save_owner(None, name="张伟明", phone="13600001201")
    found = names(platform, "张伟")
    assert found[0] == "张伟" and "张伟明" in found
    # 1201: the unit 1201's owners before an owner whose phone ends in 1201.
    found = names(platform, "1201")
    assert found[:2] == ["张伟", "张丽"] and "张伟明" in found


def test_units_contracts_and_open_requests_come_with_each_owner(platform, people) -> None:  # type: ignore[no-untyped-def]
    register(platform, phone="13800000001")
    zhang = PeopleSearch(platform.session).find("13800000001")[0]
    assert [u.label for u in zhang.units] == ["江南府 1栋 1201"]
    assert zhang.open_requests == 1
    zhou = PeopleSearch(platform.session).find("周敏")[0]
    assert [c.number for c in zhou.contracts] == ["HT-3-0801"]
    assert zhou.contract_status == "signed"


def test_nothing_for_a_single_letter_or_digit_and_long_text_is_cut(platform, people) -> None:  # type: ignore[no-untyped-def]
    assert names(platform, "z") == [] and names(platform, "1") == [] and names(platform, "  ") == []
    assert names(platform, "张" * 500) == []


def test_a_unit_is_resolved_as_written_or_refused_clearly(platform, people) -> None:  # type: ignore[no-untyped-def]
    assert resolve_unit(platform.session, text="1-1201").label == "江南府 1栋 1201"
    with pytest.raises(InvalidData) as none:
        resolve_unit(platform.session, text="9栋9999")
    assert none.value.fields == {"unit": "no unit matches"}
    with pytest.raises(InvalidData) as blank:
        resolve_unit(platform.session, text=" ")
    assert blank.value.fields == {"unit": "required"}
