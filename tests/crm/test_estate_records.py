"""The records' rules, whichever way a record comes in: one contact owner per unit, a contract's status from
its dates, a unit changing hands without losing its history, and details checked as a centre writes them."""

from __future__ import annotations

from datetime import date

import pytest

from crm.estate.models import Owner, Unit
from crm.estate.services import Records
from crm.platform import Platform
from engine.errors import InvalidData


@pytest.fixture
def records(platform: Platform) -> Records:
    return platform.records


@pytest.fixture
def unit(records: Records) -> Unit:
    project = records.save_project(None, code="hpy", name="湖畔苑", city="杭州", phases=["一期", "二期"])
    building = records.save_building(None, project=project, name="5栋", phase="一期")
    layout = records.save_layout(
        None, project=project, name="A1", rooms=["客厅", "主卧", "卫生间", "客厅", " "]
    )
    return records.save_unit(
        None, building=building, number="0601", floor="6", layout=layout, area_m2="89.456"
    )


def owner(records: Records, name: str, phone: str, id_number: str | None = None) -> Owner:
    return records.save_owner(None, name=name, phone=phone, id_number=id_number)


def test_a_project_is_entered_with_its_phases_buildings_layouts_and_units(
    records: Records, unit: Unit
) -> None:
    project = unit.building.project
    assert project.code == "HPY"
    assert [p.name for p in project.phases] == ["一期", "二期"]
    assert unit.building.phase is not None and unit.building.phase.name == "一期"
    assert unit.layout is not None and unit.layout.rooms == ["客厅", "主卧", "卫生间"]
    assert (unit.floor, str(unit.area_m2)) == (6, "89.46")
    assert unit.label == "湖畔苑 5栋 0601"


def test_natural_keys_are_not_taken_twice(records: Records, unit: Unit) -> None:
    building = unit.building
    with pytest.raises(InvalidData) as taken:
        records.save_unit(None, building=building, number="0601")
    assert taken.value.fields == {"number": "the building already has a unit of this number"}
    with pytest.raises(InvalidData) as code:
        records.save_project(None, code="HPY ", name="另一个")
    assert code.value.fields == {"code": "another project has this code"}


def test_owner_details_are_checked_all_at_once_and_phones_normalised(records: Records) -> None:
    with pytest.raises(InvalidData) as invalid:
        records.save_owner(None, name=" ", phone="12345", id_number="110105194912310021", email="x@")
    assert set(invalid.value.fields) == {"name", "phone", "id_number", "email"}
    zhang = records.save_owner(None, name="张伟", phone="+86 138-0000-9999", id_number="11010519491231002x")
    assert (zhang.phone, zhang.id_number, zhang.name_initials, zhang.name_pinyin) == (
        "13800009999",
        "11010519491231002X",
        "zw",
        "zhangwei",
    )
    landline = records.save_owner(None, name="王芳", phone="0571-8888 6666")
    assert landline.phone == "057188886666"
    with pytest.raises(InvalidData) as twice:
        records.save_owner(None, name="张三", phone="13900000000", id_number="11010519491231002X")
    assert twice.value.fields == {"id_number": "another owner has this ID number"}


def test_co_owners_have_exactly_one_contact_owner(records: Records, unit: Unit) -> None:
    first, second = owner(records, "张伟", "13800009991"), owner(records, "李娜", "13800009992")
    records.add_owner_to_unit(first, unit)
    records.add_owner_to_unit(second, unit)
    assert [(o.owner.name, o.is_contact) for o in records.current_owners(unit)] == [
        ("张伟", True),
        ("李娜", False),
    ]
    records.set_contact(unit, second)
    assert [(o.owner.name, o.is_contact) for o in records.current_owners(unit)] == [
        ("李娜", True),
        ("张伟", False),
    ]
    records.end_ownership(second, unit, date(2026, 5, 1))
    assert [(o.owner.name, o.is_contact) for o in records.current_owners(unit)] == [("张伟", True)]


def test_a_contracts_status_follows_its_dates(records: Records, unit: Unit) -> None:
    contract = records.record_contract(None, unit=unit, number="HT-1", signed_on=date(2025, 3, 1))
    assert contract.status == "signed"
    records.record_contract(
        contract, unit=unit, number="HT-1", signed_on=date(2025, 3, 1), handed_over_on=date(2026, 6, 30)
    )
    assert contract.status == "handed_over"
    with pytest.raises(InvalidData) as invalid:
        records.record_contract(
            None, unit=unit, number="HT-1", signed_on=None, handed_over_on=date(2024, 1, 1)
        )
    assert invalid.value.fields == {"signed_on": "required", "number": "another contract has this number"}


def test_a_transfer_ends_the_earlier_ownership_and_keeps_it_in_the_history(
    records: Records, unit: Unit
) -> None:
    seller = owner(records, "张伟", "13800009991")
    records.record_contract(
        None, unit=unit, number="HT-1", signed_on=date(2024, 3, 1), handed_over_on=date(2025, 6, 30)
    )
    records.add_owner_to_unit(seller, unit)
    buyer, spouse = owner(records, "刘洋", "13800009993"), owner(records, "陈静", "13800009994")
    contract = records.transfer(unit, number="HT-2", signed_on=date(2026, 9, 1), owners=[buyer, spouse])
    assert [(o.owner.name, o.is_contact, o.contract_id) for o in records.current_owners(unit)] == [
        ("刘洋", True, contract.id),
        ("陈静", False, contract.id),
    ]
    records.session.expire_all()
    assert seller.units == []
    [past] = seller.ownerships
    assert (past.unit_id, past.ended_on) == (unit.id, date(2026, 9, 1))
    assert [u.id for u in buyer.units] == [unit.id]


def test_cancelling_the_current_contract_ends_its_ownerships(records: Records, unit: Unit) -> None:
    buyer = owner(records, "刘洋", "13800009993")
    contract = records.record_contract(None, unit=unit, number="HT-9", signed_on=date(2026, 1, 5))
    records.add_owner_to_unit(buyer, unit)
    records.record_contract(
        contract, unit=unit, number="HT-9", signed_on=date(2026, 1, 5), cancelled_on=date(2026, 2, 1)
    )
    assert contract.status == "cancelled"
    assert records.current_owners(unit) == []
    assert records.current_contract(unit) is None


def test_a_caller_who_is_not_an_owner_is_kept_with_the_unit_and_found_again(
    records: Records, unit: Unit
) -> None:
    caller = records.register_caller(unit, name="王小二", phone="139 0000 1111", relation="tenant", by="crc")
    again = records.register_caller(unit, name="王小二", phone="13900001111", relation="tenant", by="crc")
    assert again.id == caller.id and caller.phone == "13900001111"
    with pytest.raises(InvalidData) as invalid:
        records.register_caller(unit, name="", phone="1", relation="cousin", by="crc")
    assert set(invalid.value.fields) == {"name", "phone", "relation"}


def test_every_problem_of_a_record_is_reported_at_once(records: Records, unit: Unit) -> None:
    project = unit.building.project
    with pytest.raises(InvalidData) as both:
        records.save_project(None, code="HPY", name=" ")
    assert both.value.fields == {"code": "another project has this code", "name": "required"}
    with pytest.raises(InvalidData) as unit_problems:
        records.save_unit(None, building=unit.building, number="0601", floor="六", area_m2="0")
    assert set(unit_problems.value.fields) == {"number", "floor", "area_m2"}
    with pytest.raises(InvalidData) as contractor:
        records.save_contractor(None, name="", phone="12")
    assert set(contractor.value.fields) == {"name", "phone"}
    with pytest.raises(InvalidData) as layout:
        records.save_layout(
            None, project=project, name="A1", rooms=["房间"] * 1 + [f"房{i}" for i in range(40)]
        )
    assert set(layout.value.fields) == {"name", "rooms"}


def test_an_owner_without_an_id_number_is_known_by_name_and_phone(records: Records) -> None:
    first = owner(records, "张伟", "13800009991")
    with pytest.raises(InvalidData) as twice:
        records.save_owner(None, name="张伟", phone="138 0000 9991")
    assert twice.value.fields == {"phone": "another owner has this name and phone"}
    assert records.save_owner(first, name="张伟", phone="13800009991", email="zw@example.cn") is first
    assert owner(records, "张薇", "13800009991").id != first.id  # a namesake by phone only is someone else


def test_a_layouts_floor_plan_is_replaced_and_the_old_file_named_for_removal(
    records: Records, unit: Unit
) -> None:
    layout = unit.layout
    assert layout is not None
    assert records.set_floor_plan(layout, "a.png", "image/png") is None
    assert records.set_floor_plan(layout, "b.webp", "image/webp") == "a.png"
    assert (layout.floor_plan, layout.floor_plan_type) == ("b.webp", "image/webp")
    assert records.set_floor_plan(layout, None, "image/png") == "b.webp"
    assert (layout.floor_plan, layout.floor_plan_type) == (None, None)


def test_a_contractor_is_deactivated_and_kept(records: Records) -> None:
    contractor = records.save_contractor(None, name="宏达防水", trades=["防水", "防水", "门窗"])
    records.set_contractor_active(contractor, False)
    assert (contractor.active, contractor.trades) == (False, ["防水", "门窗"])
