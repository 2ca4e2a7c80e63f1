"""Who a notice reaches and where: staff by their account (bell, email, mobile), a department by its
members and its group robot, an owner by the channels they chose and the details on file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Caller, Owner
from crm.estate.people import normalise_phone
from crm.messaging.preferences import NoticePreferences
from crm.models import Department, User, UserDepartment
from engine.errors import InvalidData
from lintel.clock import Clock
from notifications.outbox import Address

ROBOT_KINDS = ("wecom", "dingtalk")


def mobile(phone: str | None) -> str | None:
    """The number as an SMS can reach it: a mobile's 11 digits; None for a landline or nothing usable."""
    if not phone:
        return None
    try:
        digits = normalise_phone(phone)
    except InvalidData:
        return None
    return digits if len(digits) == 11 and digits.startswith("1") else None


def staff_recipient(username: str) -> str:
    return f"user:{username}"


def owner_recipient(owner_id: int) -> str:
    return f"owner:{owner_id}"


@dataclass(frozen=True)
class Person:
    """A staff member as a notice needs them: who, and where they can be reached."""

    username: str
    display_name: str
    email: str | None
    phone: str | None


# Columns, not User rows: a User loads its departments with it, which no notice needs.
_PERSON = select(User.username, User.display_name, User.email, User.phone).where(User.active.is_(True))


def active_user(session: Session, username: str | None) -> Person | None:
    if not username:
        return None
    found = session.execute(_PERSON.where(User.username == username)).first()
    return Person(*found) if found is not None else None


def department_members(session: Session, code: str) -> list[Person]:
    """The department's active members, by username (a stable order for the messages queued)."""
    rows = session.execute(
        _PERSON.join(UserDepartment, UserDepartment.user_id == User.id)
        .where(UserDepartment.department_code == code)
        .order_by(User.username)
    )
    return [Person(*row) for row in rows]


def staff_addresses(user: Person, channels: Iterable[str]) -> list[Address]:
    """The bell always; email and SMS among `channels` when the account has an address for them."""
    who = staff_recipient(user.username)
    wanted = set(channels)
    found = [Address("inapp", who, who)]
    if "email" in wanted and user.email:
        found.append(Address("email", user.email, who))
    number = mobile(user.phone) if "sms" in wanted else None
    if number:
        found.append(Address("sms", number, who))
    return found


def robot_address(department: Department | None) -> Address | None:
    if department is None or department.robot_kind not in ROBOT_KINDS or not department.robot_url:
        return None
    return Address(department.robot_kind, department.robot_url, f"department:{department.code}")


def owner_addresses(session: Session, clock: Clock, owner: Owner, kind: str) -> list[Address]:
    """The channels the owner chose for `kind` (or its defaults) that the owner's details allow: SMS needs
    a mobile (a landline cannot take one), email an address; in-app is the portal's list."""
    who = owner_recipient(owner.id)
    found = []
    for channel in NoticePreferences(session, clock).channels_for(owner.id, kind):
        if channel == "inapp":
            found.append(Address("inapp", who, who))
        elif channel == "email" and owner.email:
            found.append(Address("email", owner.email, who))
        elif channel == "sms":
            number = mobile(owner.phone)
            if number:
                found.append(Address("sms", number, who))
    return found


def caller_addresses(caller: Caller | None, besides: Iterable[Address] = ()) -> list[Address]:
    """A caller who is not an owner hears by SMS only (no preferences, no portal account of their own);
    nothing when their mobile already gets the owner's message."""
    number = mobile(caller.phone) if caller is not None else None
    if caller is None or number is None or any(a.channel == "sms" and a.address == number for a in besides):
        return []
    return [Address("sms", number, f"caller:{caller.id}")]
