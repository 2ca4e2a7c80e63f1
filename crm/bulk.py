"""Working several inbox rows at once: claim them, or give them to a colleague, each on its own."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.errors import EngineError
from engine.tasks import TaskService


def claim_or_assign(
    session: Session, tasks: TaskService, task_ids: Iterable[int], actor: Actor, to: Actor | None = None
) -> tuple[list[int], dict[int, EngineError]]:
    """Claim every task (or assign it to `to`). Each runs in its own savepoint, so one a colleague took
    meanwhile, or of a department the actor is not in, is refused alone: (done ids, {refused id: why})."""
    done: list[int] = []
    refused: dict[int, EngineError] = {}
    for task_id in task_ids:
        savepoint = session.begin_nested()
        try:
            if to is None:
                tasks.claim(task_id, actor)
            else:
                tasks.assign(task_id, to, actor)
        except EngineError as exc:
            savepoint.rollback()
            refused[task_id] = exc
        else:
            savepoint.commit()
            done.append(task_id)
    return done, refused
