"""The audit trail: one row per transition. Timelines and KPIs are computed from these rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, HumanTask, ProcessInstance
from lintel.clock import Clock


class AuditLog:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def record(
        self,
        instance: ProcessInstance,
        kind: str,
        actor: str | None,
        from_state: str | None = None,
        to_state: str | None = None,
        data: Mapping[str, Any] | None = None,
        *,
        task: HumanTask | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            instance_id=instance.id,
            task=task,
            element_id=task.element_id if task is not None else None,
            at=self.clock.now(),
            actor=actor,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            data=_jsonable(data) if data else None,
        )
        self.session.add(event)
        return event

    def timeline(self, instance_id: int) -> list[AuditEvent]:
        return list(
            self.session.scalars(
                select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
            )
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
