"""Set-based reads and writes for imports, at the speed of the database rather than of the ORM: thousands of
keys looked up in one query, thousands of rows written in one statement (PostgreSQL: COPY), the values
converted by the columns' own types so that what is stored is what the ORM would store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Table, any_, bindparam, func, literal, select, text
from sqlalchemy.orm import Session


def among(session: Session, column: Any, values: Any) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(array)`, one parameter however many values (a few
    thousand separate parameters cost more to send than the query takes)."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def read(session: Session, statement: Any) -> Any:
    """Plain rows of a select (the ORM's row processing costs more than the query for thousands)."""
    return session.connection().execute(statement)


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for `count` rows about to be inserted into `table`. PostgreSQL: taken from the table's
    sequence. SQLite: after the largest one — the import's transaction holds SQLite's write lock from its
    first write (every transaction begins IMMEDIATE), so no one else takes them meanwhile."""
    if count == 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        found = connection.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table.name, "count": count},
        )
        return [row[0] for row in found]
    top = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(top + 1, top + 1 + count))


def insert_all(session: Session, table: Table, rows: Sequence[dict[str, Any]], *, into: str = "") -> None:
    """INSERT `rows` (dicts with the same keys) into `table` in one go: COPY on PostgreSQL, executemany
    on SQLite, each value converted by its column's type as the ORM would."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    converted = [
        tuple(row[n] if p is None else p(row[n]) for n, p in zip(names, processors, strict=True))
        for row in rows
    ]
    columns = ", ".join(names)
    target = into or table.name
    if dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for row in converted:
                    copy.write_row(row)
        return
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f"INSERT INTO {target} ({columns}) VALUES ({marks})", converted)


def update_all(session: Session, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE the rows of `table` that `keys` name in each dict of `rows` with the dict's other values.
    PostgreSQL: the values are copied into a temporary table and applied by one UPDATE … FROM (a statement
    per row costs a round trip each: minutes for a large file); SQLite: one executemany."""
    if not rows:
        return
    names = list(rows[0])
    changed = [n for n in names if n not in keys]
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = table.update().where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        statement = statement.values({n: bindparam(f"v_{n}") for n in changed})
        values = [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{n}": r[n] for n in changed}} for r in rows]
        connection.execute(statement, values)
        return
    columns = ", ".join(names)
    temporary = f"import_{table.name}"
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS "
        f"SELECT {columns} FROM {table.name} WITH NO DATA"
    )
    insert_all(session, table, rows, into=temporary)
    assignments = ", ".join(f"{n} = v.{n}" for n in changed)
    matches = " AND ".join(f"t.{k} = v.{k}" for k in keys)
    connection.exec_driver_sql(
        f"UPDATE {table.name} AS t SET {assignments} FROM {temporary} AS v WHERE {matches}"
    )
    connection.exec_driver_sql(f"DROP TABLE {temporary}")
