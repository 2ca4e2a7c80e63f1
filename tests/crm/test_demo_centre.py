"""The demo centre of `lintel init --demo`: generated in memory and loaded through the import, with
contracts in every state, co-owners, a unit that changed hands, and the five owners the demo complaints
know, unchanged."""

from __future__ import annotations

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from crm.demo import OWNERS
from crm.demo_centre import load_centre
from crm.estate.models import Contract, Owner, Ownership, Unit
from lintel.clock import Clock


def test_the_demo_centre_is_believable_and_keeps_the_five_demo_owners(session: Session, clock: Clock) -> None:
    reports = load_centre(session, clock, OWNERS)
    assert all(r.summary()["skipped"] == 0 for r in reports), [r.problems[:3] for r in reports]

    assert session.scalar(select(func.count()).select_from(Unit)) >= 360
    statuses = dict(session.execute(select(Contract.status, func.count()).group_by(Contract.status)).all())
    assert statuses["signed"] > 50 and statuses["handed_over"] > 50 and statuses["cancelled"] >= 1
    # Every unit with owners has exactly one contact owner; some units are co-owned.
    per_unit = session.execute(
        select(Ownership.unit_id, func.count(), func.sum(func.cast(Ownership.is_contact, Integer)))
        .where(Ownership.ended_on.is_(None))
        .group_by(Ownership.unit_id)
    ).all()
    assert all(contacts == 1 for _unit, _owners, contacts in per_unit)
    assert any(owners > 1 for _unit, owners, _contacts in per_unit)
    # A unit changed hands: the earlier owner's ownership ended on the new contract's signing date.
    resold = session.scalars(select(Contract).where(Contract.number.like("%-Z%"))).first()
    assert resold is not None
    ended = session.scalars(
        select(Ownership).where(Ownership.unit_id == resold.unit_id, Ownership.ended_on.is_not(None))
    ).all()
    assert ended and all(o.ended_on == resold.signed_on for o in ended)

    for name, phone, tier, (building, number) in OWNERS:
        owner = session.scalars(select(Owner).where(Owner.phone == phone)).one()
        assert (owner.name, owner.tier) == (name, tier)
        assert [(u.building.name, u.number) for u in owner.units] == [(building, number)]

    again = load_centre(session, clock, OWNERS)
    assert all(r.summary()["created"] == r.summary()["updated"] == 0 for r in again)
