"""Record updates staged during a transition and written as one UPDATE per record when the session flushes.

A transition raises several engine events (a task completed, the next one created, the instance closed), and
each may change the same complaint or index row. Written at once, that is an UPDATE per event per record;
staged, the values merge (later events win) and each record is written once, in the transition's flush.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import InstrumentedAttribute, Session

_STAGED = "lintel.staged_updates"


def stage_update(session: Session, column: InstrumentedAttribute[Any], key: Any, **values: Any) -> None:
    """UPDATE the row of `column`'s table whose `column` equals `key` with `values`, at the next flush."""
    if values:
        staged: dict[tuple[Any, Any], dict[str, Any]] = session.info.setdefault(_STAGED, {})
        staged.setdefault((column, key), {}).update(values)


def _write(session: Session) -> None:
    staged = session.info.pop(_STAGED, None)
    for (column, key), values in (staged or {}).items():
        model = column.class_
        # A plain table UPDATE (the ORM's evaluate-and-synchronise costs more than the statement); any copy
        # of the record this session holds forgets the written columns and reloads them when next read.
        session.execute(update(model.__table__).where(column.expression == key).values(**values))
        for obj in list(session.identity_map.values()):
            if isinstance(obj, model) and getattr(obj, column.key) == key:
                session.expire(obj, list(values))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _write(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # A flush with nothing else to write does not run before_flush: commit writes what is left.
    _write(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_STAGED, None)
