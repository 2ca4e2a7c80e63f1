"""Shared by the notice tests: projects with buyers, and the notice's steps worked through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from crm.bulletins.models import BuildingProgress, Bulletin
from crm.directory import actor_for
from crm.estate.models import Building, Owner, Project, Unit
from crm.platform import Platform
from engine.actors import Actor
from engine.models import HumanTask


@dataclass
class Estate:
    project: Project
    buildings: list[Building]
    units: dict[str, Unit] = field(default_factory=dict)
    # Owners by unit number: signed and waiting, handed over, or whose purchase was cancelled.
    waiting: dict[str, Owner] = field(default_factory=dict)
    handed_over: dict[str, Owner] = field(default_factory=dict)
    cancelled: dict[str, Owner] = field(default_factory=dict)


def estate(
    platform: Platform,
    code: str,
    name: str,
    *,
    waiting: int = 2,
    handed_over: int = 1,
    cancelled: int = 0,
    buildings: int = 1,
    phone_base: int = 0,
) -> Estate:
    """A project whose first building's units are sold: `waiting` signed and not handed over, `handed_over`
    handed over, `cancelled` cancelled; each unit its own owner with a mobile and an email."""
    records = platform.records
    project = records.save_project(None, code=code, name=name)
    blocks = [records.save_building(None, project=project, name=f"{i + 1}栋") for i in range(buildings)]
    site = Estate(project, blocks)
    plan = ["waiting"] * waiting + ["handed_over"] * handed_over + ["cancelled"] * cancelled
    for i, what in enumerate(plan):
        number = f"{(i // 2) + 1:02d}0{(i % 2) + 1}"
        unit = records.save_unit(None, building=blocks[0], number=number, floor=number[:2])
        site.units[number] = unit
        contract = records.record_contract(
            None, unit=unit, number=f"{code}-{number}", signed_on=date(2025, 3, 1)
        )
        owner = records.save_owner(
            None,
            name=f"{name}业主{i}",
            phone=f"139{phone_base + i:08d}",
            email=f"{code.lower()}{i}@example.com",
        )
        records.add_owner_to_unit(owner, unit)
        if what == "handed_over":
            contract.status = "handed_over"
            contract.handed_over_on = date(2026, 6, 1)
        elif what == "cancelled":
            contract.status = "cancelled"
            contract.cancelled_on = date(2026, 6, 1)
        getattr(site, what)[number] = owner
    platform.session.flush()
    return site


def actor(platform: Platform, username: str) -> Actor:
    user = platform.directory.user(username)
    assert user is not None
    return actor_for(user)


def open_task(platform: Platform, bulletin: Bulletin, step: str) -> HumanTask:
    assert bulletin.instance_id is not None
    [task] = [t for t in platform.tasks.open_tasks_of(bulletin.instance_id) if t.element_id == step]
    return task


def report(platform: Platform, bulletin: Bulletin, building: Building, milestone: str, percent: int) -> None:
    """Engineering's progress for one building, as the progress page records it."""
    now = platform.clock.now()
    platform.session.add(
        BuildingProgress(
            bulletin_id=bulletin.id,
            building_id=building.id,
            milestone=milestone,
            percent=percent,
            note="",
            updated_by="eng",
            updated_at=now,
        )
    )
    platform.session.flush()
