"""Shared by the return-visit tests: a campaign with its visits started as the launcher starts them (one
small `return_visit` instance per owner), and a visit's open call step."""

from __future__ import annotations

from sqlalchemy import select

from crm.directory import actor_for
from crm.estate.models import Owner
from crm.platform import Platform
from crm.visits.models import Campaign, CampaignVisitor, Questionnaire, Visit
from engine.actors import Actor
from engine.models import HumanTask

# The demo owners (crm/demo.py), each with one unit.
DEMO_PHONES = ("13800000001", "13800000002", "13800000003")


def actor(platform: Platform, username: str) -> Actor:
    user = platform.directory.user(username)
    assert user is not None, username
    return actor_for(user)


def campaign(
    platform: Platform,
    *,
    name: str = "交付回访2026",
    method: str = "phone",
    questionnaire: str = "post_handover",
    visitors: tuple[str, ...] = ("crc",),
    script: str = "您好，我是客户关系中心的回访专员，想占用您几分钟了解交付后的居住体验。",
    visit_days: int = 5,
) -> Campaign:
    form = platform.session.scalars(
        select(Questionnaire).where(Questionnaire.key == questionnaire).order_by(Questionnaire.version.desc())
    ).first()
    assert form is not None, questionnaire
    now = platform.clock.now()
    found = Campaign(
        name=name,
        kind="thematic",
        method=method,
        questionnaire_id=form.id,
        audience={},
        script=script,
        status="running",
        visit_days=visit_days,
        created_by="crc",
        created_at=now,
        launched_by="crc",
        launched_at=now,
        visitors=[CampaignVisitor(username=v) for v in visitors],
    )
    platform.session.add(found)
    platform.session.flush()
    return found


def visit(
    platform: Platform, of: Campaign, phone: str = DEMO_PHONES[0], visitor: str | None = "crc"
) -> Visit:
    """One owner's visit, its instance started as the launcher starts it."""
    owner = platform.session.scalars(select(Owner).where(Owner.phone == phone)).one()
    unit = owner.units[0]
    made = Visit(
        campaign_id=of.id,
        owner_id=owner.id,
        unit_id=unit.id,
        visitor=None if of.method == "online" else visitor,
        status="open",
        created_at=platform.clock.now(),
    )
    platform.session.add(made)
    platform.session.flush()
    data = {
        "visit_id": made.id,
        "method": of.method,
        "visit_days": of.visit_days,
        "visitor": made.visitor,
        "attempts": 0,
        "title": f"{of.name}：{owner.name} {unit.building.name}{unit.number}",
        "owner_id": owner.id,
        "unit_id": unit.id,
    }
    instance = platform.runtime.start("return_visit", data, actor(platform, "crc"))
    made.instance_id = instance.id
    platform.session.flush()
    return made


def call_step(platform: Platform, made: Visit) -> HumanTask:
    step = platform.visits.call_step(made)
    assert step is not None, f"visit {made.id} has no open call step"
    return step


# Answers to the post-handover questionnaire: all fine, or one rating of 2.
CONTENT = {
    "q_handover": 5,
    "q_quality": 4,
    "q_rectification": 4,
    "q_property": 5,
    "overall": "satisfied",
    "nps": 9,
    "comment": "",
}


def visits_at_once(
    platform: Platform, of: Campaign, phones: tuple[str, ...], visitor: str | None = "crc"
) -> list[Visit]:
    """Several owners' visits started in one call, as a campaign's launch starts them (Runtime.start_many)."""
    made = []
    items = []
    for phone in phones:
        owner = platform.session.scalars(select(Owner).where(Owner.phone == phone)).one()
        unit = owner.units[0]
        row = Visit(
            campaign_id=of.id,
            owner_id=owner.id,
            unit_id=unit.id,
            visitor=None if of.method == "online" else visitor,
            status="open",
            created_at=platform.clock.now(),
        )
        platform.session.add(row)
        made.append(row)
    platform.session.flush()
    for row in made:
        items.append(
            {
                "visit_id": row.id,
                "visitor": row.visitor,
                "title": f"{of.name}：{row.owner.name}",
                "owner_id": row.owner_id,
                "unit_id": row.unit_id,
            }
        )
    shared = {"method": of.method, "visit_days": of.visit_days, "attempts": 0}
    ids = platform.runtime.start_many("return_visit", shared, items, actor(platform, "crc"))
    for row, instance_id in zip(made, ids, strict=True):
        row.instance_id = instance_id
    platform.session.flush()
    return made
