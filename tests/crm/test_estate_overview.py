"""Reading the records: a building's units as its sales table shows them (floors top down, one column per
door, each unit coloured by its state), a project's counts, and the owner's page holdings before and after a
transfer."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from crm.attachments import UploadRefused
from crm.estate.floor_plans import FloorPlans
from crm.estate.models import Building, Unit
from crm.estate.overview import door_of
from crm.platform import Platform
from engine.actors import Actor

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def building(platform: Platform) -> Building:
    records = platform.records
    project = records.save_project(None, code="HPY", name="湖畔苑")
    return records.save_building(None, project=project, name="5栋")


def test_the_grid_shows_each_units_state_floor_by_floor(platform: Platform, building: Building) -> None:
    records = platform.records
    units = {
        number: records.save_unit(None, building=building, number=number, floor=number[:2])
        for number in ("0601", "0602", "0701", "0702", "1001")
    }
    records.record_contract(None, unit=units["0601"], number="HT-1", signed_on=date(2025, 1, 1))
    records.record_contract(
        None, unit=units["0602"], number="HT-2", signed_on=date(2025, 1, 1), handed_over_on=date(2026, 1, 1)
    )
    records.record_contract(
        None, unit=units["0701"], number="HT-3", signed_on=date(2025, 1, 1), cancelled_on=date(2025, 5, 1)
    )
    grid = platform.estate.grid(building)
    assert grid.columns == ["01", "02"]
    assert [f.floor for f in grid.floors] == [10, 7, 6]
    states = {cell.unit.number: cell.state for f in grid.floors for cell in f.cells.values()}
    assert states == {
        "0601": "signed",
        "0602": "handed_over",
        "0701": "cancelled",
        "0702": "unsold",
        "1001": "unsold",
    }
    [summary] = [s for s in platform.estate.projects() if s.project.code == "HPY"]
    assert (summary.buildings, summary.units, summary.signed, summary.handed_over) == (1, 5, 1, 1)


def test_a_units_door_is_its_number_without_the_floor() -> None:
    building = Building(name="1栋")
    assert door_of(Unit(building=building, number="1201", floor=12)) == "01"
    assert door_of(Unit(building=building, number="801", floor=8)) == "01"
    assert door_of(Unit(building=building, number="A座1", floor=3)) == "A座1"
    assert door_of(Unit(building=building, number="0101", floor=None)) == "0101"


def test_the_owner_profile_keeps_a_sold_unit_among_the_past_ones(
    platform: Platform, building: Building
) -> None:
    records = platform.records
    unit = records.save_unit(None, building=building, number="0601", floor="6")
    seller, spouse = (
        records.save_owner(None, name="张伟", phone="13800009991"),
        records.save_owner(None, name="李娜", phone="13800009992"),
    )
    records.record_contract(None, unit=unit, number="HT-1", signed_on=date(2024, 3, 1))
    records.add_owner_to_unit(seller, unit)
    records.add_owner_to_unit(spouse, unit)
    buyer = records.save_owner(None, name="刘洋", phone="13800009993")
    records.transfer(unit, number="HT-2", signed_on=date(2026, 9, 1), owners=[buyer])
    profile = platform.owner_profiles.profile(seller, Actor("crc", frozenset({"crc"})))
    assert profile.current == []
    [past] = profile.past
    assert (past.ownership.ended_on, past.contract and past.contract.number) == (date(2026, 9, 1), "HT-1")
    assert [o.owner.name for o in past.co_owners] == ["李娜"]
    [now] = platform.owner_profiles.profile(buyer, Actor("crc", frozenset({"crc"}))).current
    assert (now.contract and now.contract.number, now.co_owners) == ("HT-2", [])


def test_a_floor_plan_must_be_a_png_jpeg_or_webp_image(tmp_path: Path) -> None:
    plans = FloorPlans(tmp_path / "plans", 1024)
    stored = plans.store("户型A.PNG", io.BytesIO(PNG))
    assert stored.content_type == "image/png" and plans.path(stored.name) is not None
    for name, content in (
        ("plan.png", b"GIF89a" + b"\x00" * 10),
        ("plan.gif", b"GIF89a"),
        ("plan.png", b""),
        ("plan.jpg", b"\xff\xd8\xff" + b"\x00" * 2000),
    ):
        with pytest.raises(UploadRefused):
            plans.store(name, io.BytesIO(content))
    assert plans.path("../secret") is None and plans.path(".x.part") is None
    plans.discard_written()
    assert list((tmp_path / "plans").iterdir()) == []
