"""Contractor companies as Lintel sees them: each has its own department (code `contractor_<id>`, named after
the company), whose members are the company's accounts (role `contractor`) and whose queue holds the
rectifications engineering gives the company."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Contractor
from crm.models import Department

PREFIX = "contractor_"
NAME_LIMIT = 100  # departments.name


def department_code(contractor_id: int) -> str:
    return f"{PREFIX}{contractor_id}"


def contractor_of_department(code: str) -> int | None:
    """The contractor whose department this code is, else None."""
    rest = code[len(PREFIX) :] if code.startswith(PREFIX) else ""
    return int(rest) if rest.isdigit() else None


def ensure_department(session: Session, contractor: Contractor) -> Department:
    """The company's department, created when missing and renamed after the company when it changed. A
    name another department already has gets the company's number appended (names are unique)."""
    found = session.scalars(select(Department).where(Department.contractor_id == contractor.id)).first()
    wanted = _free_name(session, contractor, found)
    if found is None:
        found = Department(code=department_code(contractor.id), name=wanted, contractor_id=contractor.id)
        session.add(found)
    elif found.name != wanted:
        found.name = wanted
    session.flush()
    return found


def ensure_all(session: Session) -> int:
    """A department for every contractor that has none yet (companies recorded before departments were
    theirs); returns how many were created."""
    have = set(session.scalars(select(Department.contractor_id).where(Department.contractor_id.is_not(None))))
    created = 0
    for contractor in session.scalars(select(Contractor).order_by(Contractor.id)):
        if contractor.id not in have:
            ensure_department(session, contractor)
            created += 1
    return created


def _free_name(session: Session, contractor: Contractor, own: Department | None) -> str:
    name = contractor.name[:NAME_LIMIT]
    clash = session.scalars(select(Department).where(Department.name == name)).first()
    if clash is None or clash is own:
        return name
    suffix = f"（承建商{contractor.id}）"
    return contractor.name[: NAME_LIMIT - len(suffix)] + suffix
