"""An owner's view of their unit's defects on the portal (the QR code on the printed defect list opens it):
who may see a unit's defects — a current owner of the unit, proved by the phone the records hold — and the
throttled check of that phone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Owner, Ownership
from crm.portal import SCOPE, normalise_phone
from crm.throttle import Throttle


def unit_owner(session: Session, unit_id: int, phone: str) -> int | None:
    """The id of a current owner of the unit whose phone this is, else None."""
    if not phone or not 0 < unit_id < 2**31:
        return None
    return session.scalars(
        select(Owner.id)
        .join(Ownership, Ownership.owner_id == Owner.id)
        .where(Ownership.unit_id == unit_id, Ownership.ended_on.is_(None), Owner.phone == phone)
        .order_by(Owner.id)
    ).first()


def verify_owner(
    session: Session, throttle: Throttle, unit_id: int, phone: object, client: str
) -> int | None:
    """The owner when the phone is a current owner's of the unit, counted like the portal's look-ups: a
    client guessing phones waits longer after each miss (raises crm.throttle.Throttled meanwhile)."""
    subject = f"unit:{unit_id}"
    throttle.check(SCOPE, subject, client)
    found = unit_owner(session, unit_id, normalise_phone(phone))
    if found is None:
        throttle.fail(SCOPE, subject, client)
    else:
        throttle.succeed(SCOPE, subject, client)
    return found
