"""Shared by the online-questionnaire, results and satisfaction tests: a campaign whose visits are created
and started by hand (the campaign launcher is not needed to test what follows a start)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from crm.estate.models import Owner, Unit
from crm.platform import Platform
from crm.visits.models import Campaign, Questionnaire, Visit
from engine.actors import SYSTEM


def questionnaire(platform: Platform, key: str = "post_handover") -> Questionnaire:
    found = platform.session.scalars(
        select(Questionnaire).where(Questionnaire.key == key).order_by(Questionnaire.version.desc())
    ).first()
    assert found is not None, key
    return found


def campaign(
    platform: Platform, *, method: str = "online", key: str = "post_handover", name: str = "临溪府交付回访"
) -> Campaign:
    made = Campaign(
        name=name,
        kind="thematic",
        method=method,
        questionnaire=questionnaire(platform, key),
        audience={},
        script="",
        status="running",
        visit_days=5,
        created_by="crc",
        created_at=platform.clock.now(),
    )
    platform.session.add(made)
    platform.session.flush()
    return made


def add_visits(
    platform: Platform, made: Campaign, people: Sequence[tuple[Owner, Unit]], *, start: bool = True
) -> list[Visit]:
    """One visit per (owner, unit), each started as its own instance of return_visit (online: no visitor)."""
    visits = []
    for owner, unit in people:
        visit = Visit(
            campaign_id=made.id,
            owner_id=owner.id,
            unit_id=unit.id,
            visitor=None if made.method == "online" else "crc",
            status="queued",
            created_at=platform.clock.now(),
        )
        platform.session.add(visit)
        visits.append(visit)
    platform.session.flush()
    made.total += len(visits)
    if start:
        for visit in visits:
            data = {
                "visit_id": visit.id,
                "method": made.method,
                "visit_days": made.visit_days,
                "visitor": visit.visitor,
                "attempts": 0,
                "title": f"{made.name}：{visit.owner.name}",
                "owner_id": visit.owner_id,
                "unit_id": visit.unit_id,
            }
            instance = platform.runtime.start("return_visit", data, SYSTEM)
            visit.instance_id = instance.id
            visit.status = "open"
        made.started += len(visits)
        platform.session.flush()
    return visits
