"""Shared by the handover tests: a sold building of units, defects registered through the service, and a
defect closed as the rectification loop leaves it (its workflow's end keeps the record's status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from crm.estate.models import Building, Owner, Unit
from crm.handover.models import Defect
from crm.platform import Platform
from engine.actors import Actor

CRC = Actor("crc", frozenset({"crc"}))
ENGINEER = Actor("eng", frozenset({"engineering"}))


@dataclass
class Site:
    building: Building
    units: dict[str, Unit]
    owners: dict[str, Owner]


def sold_building(platform: Platform, code: str = "HPY", signed: tuple[str, ...] = ("0601", "0602")) -> Site:
    """A project with one building of four units; `signed` ones sold, each to its own owner."""
    records = platform.records
    project = records.save_project(None, code=code, name="湖畔苑")
    building = records.save_building(None, project=project, name="5栋")
    units = {
        number: records.save_unit(None, building=building, number=number, floor=number[:2])
        for number in ("0601", "0602", "0701", "0702")
    }
    owners = {}
    for i, number in enumerate(signed):
        records.record_contract(
            None, unit=units[number], number=f"{code}-{number}", signed_on=date(2025, 3, 1)
        )
        owner = records.save_owner(None, name=f"业主{i}", phone=f"1390000{i:04d}")
        records.add_owner_to_unit(owner, units[number])
        owners[number] = owner
    platform.session.flush()
    return Site(building, units, owners)


def defect(platform: Platform, unit: Unit, item: str = "空鼓") -> Defect:
    found, created = platform.defects.register(
        ENGINEER,
        {
            "unit_id": unit.id,
            "source": "open_day",
            "category": "土建",
            "part": "墙面",
            "item": item,
            "severity": "normal",
            "room": "客厅",
        },
    )
    assert created
    return found


def close(platform: Platform, found: Defect) -> None:
    """Confirmed by the owner (销号): what the loop writes on the record when its workflow ends."""
    found.status = "closed"
    found.closed_at = platform.clock.now()
    platform.session.flush()
