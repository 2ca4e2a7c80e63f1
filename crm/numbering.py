"""Request numbers: PREFIX-YEAR-NNNNNN, gap-free per prefix and year, safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm.models import NumberSequence


def next_number(session: Session, prefix: str, year: int) -> str:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = NumberSequence.__table__
    statement = (
        dialect.insert(table)
        .values(prefix=prefix, year=year, value=1)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"value": table.c.value + 1})
        .returning(table.c.value)
    )
    value = session.execute(statement).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


def reserve_numbers(session: Session, prefix: str, year: int, count: int) -> list[str]:
    """`count` consecutive numbers of a prefix and year in one statement (a batch of requests started at
    once), in order."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = NumberSequence.__table__
    statement = (
        dialect.insert(table)
        .values(prefix=prefix, year=year, value=count)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"value": table.c.value + count})
        .returning(table.c.value)
    )
    last = session.execute(statement).scalar_one()
    return [f"{prefix}-{year}-{value:06d}" for value in range(last - count + 1, last + 1)]
