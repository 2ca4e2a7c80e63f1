"""Readiness and handover: a unit is ready once its defects are closed; its handover (one `handover`
instance) is booked into a slot and recorded with meter readings, keys and documents, which sets the
contract's handover date — and is refused while defects are open unless the owner's agreement lists them,
whichever way the step is completed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crm.handover.models import Handover
from crm.platform import Platform
from engine.actors import Actor
from engine.errors import Conflict, InvalidData
from engine.models import HumanTask
from lintel.clock import SHANGHAI, FixedClock
from tests.crm.handover_support import CRC, close, defect, sold_building

READINGS = {
    "water": "12.5",
    "electricity": "301",
    "gas": "0.8",
    "keys": 3,
    "documents": ["quality_guarantee"],
}


def _slot(platform: Platform, site_project_id: int, capacity: int = 2, hour: int = 9):  # type: ignore[no-untyped-def]
    project = platform.estate.project(site_project_id)
    day = (platform.clock.now() + timedelta(days=3)).astimezone(SHANGHAI).date().isoformat()
    return platform.handover_slots.create(project, day, f"{hour:02d}:00", f"{hour + 2:02d}:00", capacity)


def test_a_unit_is_ready_once_every_defect_is_closed(platform: Platform) -> None:
    site = sold_building(platform)
    unit = site.units["0601"]
    first, second = defect(platform, unit), defect(platform, unit, "开裂")
    board = platform.boards.building(site.building, platform.clock.now())
    cells = {c.unit.number: c for f in board.floors for c in f.cells.values()}
    assert (cells["0601"].readiness, cells["0601"].open) == ("open", 2)
    assert cells["0602"].readiness == "ready"
    assert board.statuses["assigning"] == 2 and board.open == 2
    close(platform, first)
    assert not platform.handovers.readiness.is_ready(unit.id)
    close(platform, second)
    assert platform.handovers.readiness.is_ready(unit.id)
    board = platform.boards.building(site.building, platform.clock.now())
    cells = {c.unit.number: c for f in board.floors for c in f.cells.values()}
    assert cells["0601"].readiness == "ready" and board.statuses["closed"] == 2


def test_the_board_counts_overdue_rework_categories_and_contractors(platform: Platform) -> None:
    site = sold_building(platform)
    contractor = platform.records.save_contractor(None, name="宏达装饰")
    late, again, fine = (defect(platform, site.units[n]) for n in ("0601", "0601", "0602"))
    late.status, late.due_at, late.contractor_id = (
        "rectifying",
        platform.clock.now() - timedelta(days=1),
        contractor.id,
    )
    again.rounds, again.category = 2, "门窗"
    fine.rounds = 1
    platform.session.flush()
    board = platform.boards.building(site.building, platform.clock.now())
    cells = {c.unit.number: c for f in board.floors for c in f.cells.values()}
    assert cells["0601"].readiness == "overdue" and cells["0602"].readiness == "open"
    assert board.overdue == 1
    assert (board.rework.defects_once, board.rework.defects_twice) == (2, 1)
    assert (board.rework.units_once, board.rework.units_twice) == (2, 1)
    assert {c.category: (c.total, c.open) for c in board.categories} == {"土建": (2, 2), "门窗": (1, 1)}
    by_name = {(c.contractor.name if c.contractor else None): (c.total, c.overdue) for c in board.contractors}
    assert by_name == {"宏达装饰": (1, 1), None: (2, 0)}
    [summary] = platform.boards.project(site.building.project, platform.clock.now())
    assert (summary.units, summary.ready, summary.open_units, summary.open, summary.overdue) == (
        4,
        2,
        2,
        3,
        1,
    )


def test_booking_takes_a_place_and_a_full_slot_is_refused(platform: Platform) -> None:
    site = sold_building(platform)
    one = platform.handovers.start(site.units["0601"], CRC)
    two = platform.handovers.start(site.units["0602"], CRC)
    slot = _slot(platform, site.building.project_id, capacity=1)
    owner = Actor(f"owner:{site.owners['0601'].id}")
    platform.handover_slots.book(one, slot.id, owner, owner.username)
    assert (one.status, one.appointment_at, one.booked_by) == ("booked", slot.starts_at, owner.username)
    # The appointment step is done: the handover step waits, for the centre and engineering.
    step = platform.handovers.open_step(one)
    assert step is not None and step.element_id == "hand_over"
    with pytest.raises(Conflict, match="full"):
        platform.handover_slots.book(two, slot.id, CRC, "crc")
    platform.handover_slots.cancel(one)
    assert platform.handover_slots.places(slot).free == 1
    platform.handover_slots.book(two, slot.id, CRC, "crc")
    assert two.status == "booked"


def test_a_slot_is_checked_before_it_is_created(platform: Platform) -> None:
    site = sold_building(platform)
    project = site.building.project
    with pytest.raises(InvalidData) as refused:
        platform.handover_slots.create(project, "2020-01-01", "10:00", "09:00", "0")
    assert set(refused.value.fields) == {"end", "capacity"}
    with pytest.raises(InvalidData) as refused:
        platform.handover_slots.create(project, "2020-01-01", "09:00", "10:00", 3)
    assert refused.value.fields == {"day": "must not be in the past"}


def test_handover_with_readings_sets_the_contracts_handover_date(
    platform: Platform, clock: FixedClock
) -> None:
    site = sold_building(platform)
    unit = site.units["0601"]
    handover = platform.handovers.start(unit, CRC)
    platform.handover_slots.book(handover, _slot(platform, site.building.project_id).id, CRC, "crc")
    clock.advance(timedelta(days=3))
    platform.handovers.hand_over(handover, READINGS, CRC)
    assert handover.status == "handed_over" and handover.handed_over_at == clock.now()
    assert handover.readings == {"water": "12.5", "electricity": "301", "gas": "0.8"}
    assert (handover.keys, handover.documents) == (3, ["quality_guarantee"])
    contract = platform.records.current_contract(unit)
    assert contract is not None and contract.status == "handed_over"
    assert contract.handed_over_on == clock.now().astimezone(SHANGHAI).date()
    assert platform.runtime.get(handover.instance_id).status == "completed"
    with pytest.raises(Conflict):
        platform.handovers.start(unit, CRC)


def test_handover_is_refused_while_defects_are_open_unless_the_owner_agrees(platform: Platform) -> None:
    site = sold_building(platform)
    unit = site.units["0601"]
    open_one, other = defect(platform, unit), defect(platform, unit, "渗漏")
    handover = platform.handovers.start(unit, CRC)
    platform.handover_slots.book(handover, _slot(platform, site.building.project_id).id, CRC, "crc")
    with pytest.raises(InvalidData) as refused:
        platform.handovers.hand_over(handover, READINGS, CRC)
    assert set(refused.value.fields) == {"agreed_open_defects", "agreement_note"}
    partial = {**READINGS, "agreed_open_defects": open_one.number, "agreement_note": "同意先交付"}
    with pytest.raises(InvalidData) as refused:
        platform.handovers.hand_over(handover, partial, CRC)
    assert other.number in refused.value.fields["agreed_open_defects"]
    assert handover.status == "booked"
    agreed = {**partial, "agreed_open_defects": f"{open_one.number.lower()}, {other.number}"}
    platform.handovers.hand_over(handover, agreed, CRC)
    assert handover.status == "handed_over"
    assert handover.agreed_open_defects == [open_one.number, other.number]
    assert handover.agreement_note == "同意先交付"


def test_the_generic_task_completion_meets_the_same_rule(platform: Platform) -> None:
    site = sold_building(platform)
    unit = site.units["0601"]
    found = defect(platform, unit)
    handover = platform.handovers.start(unit, CRC)
    appointment = platform.handovers.open_step(handover, "appointment")
    assert appointment is not None
    platform.tasks.complete(appointment.id, {"appointment_at": "2026-11-25T10:00"}, CRC)
    assert handover.status == "booked"
    assert handover.appointment_at == datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    step = platform.handovers.open_step(handover, "hand_over")
    assert step is not None
    with pytest.raises(InvalidData):
        platform.tasks.complete(step.id, READINGS, CRC)
    assert platform.session.get(HumanTask, step.id).state == "open"
    close(platform, found)
    platform.tasks.complete(step.id, READINGS, CRC)
    assert handover.status == "handed_over"


def test_ready_units_of_a_building_start_their_handovers(platform: Platform) -> None:
    site = sold_building(platform, signed=("0601", "0602", "0701"))
    defect(platform, site.units["0602"])
    started = platform.handovers.start_ready(site.building, CRC)
    assert sorted(h.unit.number for h in started) == ["0601", "0701"]
    assert platform.handovers.start_ready(site.building, CRC) == []
    numbers = {platform.requests.get(h.instance_id).number[:3] for h in started}
    assert numbers == {"JF-"}


def test_a_defect_found_at_handover_enters_the_same_loop(platform: Platform) -> None:
    site = sold_building(platform)
    handover = platform.handovers.start(site.units["0601"], CRC)
    found = platform.handovers.register_defect(
        handover, {"category": "给排水", "part": "地漏", "item": "堵塞", "severity": "minor"}, CRC
    )
    assert (found.source, found.unit_id, found.status) == ("handover", handover.unit_id, "assigning")
    assert found.number is not None and found.number.startswith("ZG-")
    assert not platform.handovers.readiness.is_ready(handover.unit_id)


def test_an_unsold_unit_has_no_handover(platform: Platform) -> None:
    site = sold_building(platform)
    with pytest.raises(Conflict, match="not sold"):
        platform.handovers.start(site.units["0702"], CRC)
    assert platform.session.query(Handover).count() == 0


def test_a_handover_started_as_any_process_names_its_unit(platform: Platform) -> None:
    site = sold_building(platform)
    row = platform.process_requests.start("handover", {"unit_id": site.units["0601"].id}, CRC)
    assert row.number.startswith("JF-") and row.unit_id == site.units["0601"].id
    assert row.owner_id == site.owners["0601"].id
    with pytest.raises(InvalidData) as refused:
        platform.process_requests.start("handover", {"unit_id": "x", "extra": 1}, CRC)
    assert refused.value.fields == {"unit_id": "not found", "extra": "unknown field"}
