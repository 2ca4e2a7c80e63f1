"""Outbox rows waiting in the session for its commit, written then in one multi-row INSERT.

Queuing 100,000 notices through the ORM's unit of work costs more in object bookkeeping than the database
spends storing them; the rows are plain dicts kept in `session.info` and inserted together just before the
session commits (or every FLUSH_EVERY rows, outside a savepoint). They belong to the session's transaction
exactly as ORM objects would: a rollback drops them, and so does the rollback of a savepoint they were
queued in (rows queued before it stay).

An ORM query of the outbox in the same session writes them first, so it sees them (except rows queued
before a savepoint still open: they wait for it).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Select, Table, event, insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from notifications.models import OutboxMessage

OUTBOX = cast(Table, OutboxMessage.__table__)
FLUSH_EVERY = 1_000
_ROWS = "lintel.outbox.rows"
_MARKS = "lintel.outbox.savepoints"  # savepoint -> how many rows were queued before it began
_COMMITTING = "lintel.outbox.committing"  # savepoints that reached their commit


def rows_of(session: Session) -> list[dict[str, Any]]:
    """The session's waiting rows (the list itself: appending to it queues)."""
    if not session.in_transaction():
        # Begin the transaction now, so that its rollback — nothing else need touch the database before
        # it — drops what was queued in it.
        session.connection()
    rows: list[dict[str, Any]] | None = session.info.get(_ROWS)
    if rows is None:
        rows = session.info[_ROWS] = []
        session.info[_MARKS] = {}
        session.info[_COMMITTING] = set()
        event.listen(session, "after_transaction_create", _begun)
        event.listen(session, "before_commit", _before_commit)
        event.listen(session, "after_transaction_end", _ended)
        event.listen(session, "do_orm_execute", _reading)
        # A savepoint already open when the first row is queued: rows queued in it go with it.
        nested = session.get_nested_transaction()
        if nested is not None:
            session.info[_MARKS][nested] = 0
    return rows


def added(session: Session) -> None:
    """After rows were appended: write them once there are many."""
    if len(session.info[_ROWS]) >= FLUSH_EVERY:
        flush_rows(session)


def flush_rows(session: Session) -> None:
    """Write the waiting rows now — those queued since the innermost open savepoint began: written inside
    it, the rows from before it would be lost with it if it rolled back, so they wait for its end."""
    rows = session.info.get(_ROWS)
    if not rows:
        return
    start = max(session.info[_MARKS].values(), default=0)
    writing = rows[start:]
    if not writing:
        return
    del rows[start:]
    if session.get_bind().dialect.driver == "psycopg":
        _copy(session, writing)
    else:
        session.execute(insert(OUTBOX), writing)


def _copy(session: Session, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY on the session's own connection (so in its transaction) — several times faster
    than INSERTs, which psycopg sends one per row."""
    copy_rows(session, OUTBOX, rows, json_columns=("params",))


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows of one table in the session's transaction: COPY on PostgreSQL (psycopg), one executemany
    elsewhere."""
    if not rows:
        return
    if session.get_bind().dialect.driver == "psycopg":
        copy_rows(session, table, rows)
    else:
        session.execute(insert(table), rows)


def copy_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], json_columns: tuple[str, ...] = ()
) -> None:
    from psycopg.types.json import Jsonb

    columns = [name for name in rows[0] if name != "id"]
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([Jsonb(row[name]) if name in json_columns else row[name] for name in columns])


def _reading(state: ORMExecuteState) -> None:
    # A query of the outbox in the same transaction sees what was queued, as it would ORM objects.
    statement = state.statement
    if (
        state.session.info.get(_ROWS)
        and isinstance(statement, Select)
        and OUTBOX in statement.get_final_froms()
    ):
        flush_rows(state.session)


def _begun(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info[_MARKS][transaction] = len(session.info[_ROWS])


def _before_commit(session: Session) -> None:
    nested = session.get_nested_transaction()
    if nested is None:
        flush_rows(session)
    else:
        session.info[_COMMITTING].add(nested)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    rows = session.info[_ROWS]
    if transaction.nested:
        before = session.info[_MARKS].pop(transaction, None)
        committed = transaction in session.info[_COMMITTING]
        session.info[_COMMITTING].discard(transaction)
        if not committed and before is not None:
            del rows[before:]  # rolled back: what was queued in it goes too
    elif transaction.parent is None:
        rows.clear()  # committed (written already) or rolled back / closed (dropped)
        session.info[_MARKS].clear()
        session.info[_COMMITTING].clear()
