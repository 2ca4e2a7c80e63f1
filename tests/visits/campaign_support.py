"""Shared by the campaign tests: a project with owners signed, handed over and cancelled on known days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from crm.directory import actor_for
from crm.estate.models import Building, Owner, Project, Unit
from crm.platform import Platform
from crm.visits.models import Campaign, Questionnaire
from engine.actors import Actor


@dataclass
class Site:
    project: Project
    buildings: list[Building]
    units: list[Unit] = field(default_factory=list)
    owners: dict[str, Owner] = field(default_factory=dict)  # by unit number


def site(
    platform: Platform,
    code: str,
    *,
    plan: list[tuple[str, date, date | None]],
    buildings: int = 1,
    phone_base: int = 0,
) -> Site:
    """A project whose units are sold by `plan`: (status, signed_on, handed_over_on) per unit, one owner
    each, spread over `buildings` buildings in turn."""
    records = platform.records
    project = records.save_project(None, code=code, name=f"{code}花园")
    blocks = [records.save_building(None, project=project, name=f"{i + 1}栋") for i in range(buildings)]
    found = Site(project, blocks)
    for i, (status, signed_on, handed_over_on) in enumerate(plan):
        number = f"{i + 1:02d}01"
        unit = records.save_unit(None, building=blocks[i % buildings], number=number, floor=str(i + 1))
        contract = records.record_contract(None, unit=unit, number=f"{code}-{number}", signed_on=signed_on)
        owner = records.save_owner(None, name=f"{code}业主{i + 1}", phone=f"137{phone_base + i:08d}")
        records.add_owner_to_unit(owner, unit)
        contract.status = status
        if status == "handed_over":
            contract.handed_over_on = handed_over_on
        elif status == "cancelled":
            contract.cancelled_on = handed_over_on or signed_on
        found.units.append(unit)
        found.owners[number] = owner
    platform.session.flush()
    return found


def actor(platform: Platform, username: str) -> Actor:
    user = platform.directory.user(username)
    assert user is not None
    return actor_for(user)


def questionnaire(platform: Platform, key: str = "post_handover") -> Questionnaire:
    found = platform.session.scalars(select(Questionnaire).where(Questionnaire.key == key)).first()
    assert found is not None
    return found


def campaign(platform: Platform, **values: object) -> Campaign:
    defaults: dict[str, object] = {
        "name": "交付回访",
        "kind": "thematic",
        "method": "phone",
        "questionnaire_id": questionnaire(platform).id,
        "visitors": ["crc"],
        "visit_days": 5,
        "audience": {},
    }
    return platform.campaigns.create({**defaults, **values}, actor(platform, "crc_sup"))
