"""Engine events: how other layers react to what happened without the engine importing them.

Subscribers run synchronously inside the transaction that produced the event, so a reaction
(update the complaint's status, queue a notice) commits or rolls back with the transition itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance


@dataclass(frozen=True)
class InstanceStarted:
    """`title`: what the process's title expression gave for the start data (None: it has none, or it
    failed); `number_prefix`: the process's prefix for request numbers."""

    instance: ProcessInstance
    data: dict[str, Any]
    title: str | None = None
    number_prefix: str | None = None


@dataclass
class BusinessKeysWanted:
    """`count` instances of `process_key` are about to start together (`Runtime.start_many`). A subscriber
    that gives instances their business keys (a request number) may set `keys`, one per instance in
    order: they are stored with the instances as they are written, rather than each written again after
    its InstanceStarted."""

    process_key: str
    number_prefix: str | None
    started_at: datetime
    count: int
    keys: list[str] | None = None


@dataclass(frozen=True)
class TaskCreated:
    instance: ProcessInstance
    task: HumanTask


@dataclass(frozen=True)
class TaskReminded:
    """A reminder timer of the task fired: its deadline is near."""

    instance: ProcessInstance
    task: HumanTask


@dataclass(frozen=True)
class TaskAssigned:
    """Someone now holds the task: they claimed it (`actor` is the assignee), or another person assigned
    or reassigned it to them. Published after the change is flushed, so `task.revision` names it."""

    instance: ProcessInstance
    task: HumanTask
    assignee: str
    actor: str


@dataclass(frozen=True)
class TaskCompleting:
    """A step is about to be completed with `data` (what the workflow holds for it with the submission on
    top). Published before anything changes: a subscriber refuses the completion by raising an EngineError
    (InvalidData names the fields, Conflict says why not now), whichever path completed it — a page, the
    API, a service. How a process guards one of its steps lives with the process, not in the engine."""

    instance: ProcessInstance
    task: HumanTask
    data: dict[str, Any]
    actor: str


@dataclass(frozen=True)
class TaskCompleted:
    instance: ProcessInstance
    task: HumanTask
    data: dict[str, Any]
    actor: str


@dataclass(frozen=True)
class InstanceCompleted:
    instance: ProcessInstance
    data: dict[str, Any]


@dataclass(frozen=True)
class InstanceFailed:
    instance: ProcessInstance
    error: str


@dataclass(frozen=True)
class InstanceCancelled:
    """An administrator or process owner cancelled a failed instance, with a reason."""

    instance: ProcessInstance
    reason: str
    actor: str


@dataclass(frozen=True)
class InstanceRetried:
    """A failed instance runs again (on its version or moved to another)."""

    instance: ProcessInstance
    actor: str


@dataclass(frozen=True)
class InstanceMigrated:
    """A running instance moved to another version of its process (engine.migration); `renamed`: its open
    inbox rows whose step has another name there."""

    instance: ProcessInstance
    from_version: int
    to_version: int
    actor: str
    renamed: list[HumanTask] = field(default_factory=list)


@dataclass
class TimerStartDue:
    """A timer start event of `process_key` is due for the cycle at `cycle_at`. By default one instance
    starts; a subscriber that knows better plans the starts itself — one per item it lists (a business key,
    or None, and the start data), possibly none — by setting `planned`. How a process fans out (one instance
    per item of something the process knows) lives with the process, not in the engine."""

    process_key: str
    element_id: str
    cycle_at: datetime
    planned: list[tuple[str | None, dict[str, Any]]] | None = None


Handler = Callable[[Session, Any], None]
# A batch handler gets every event of one publication as a list (one item for a plain `publish`).
BatchHandler = Callable[[Session, list[Any]], None]


@dataclass
class EventBus:
    """Plain handlers get each event; batch handlers (`subscribe_many`) the events of one publication at
    once, for a reaction that would otherwise cost a query per event (many instances started together).
    Handlers run in the order they subscribed, whichever kind they are."""

    _handlers: dict[type, list[tuple[Callable[..., None], bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def subscribe(self, event_type: type, handler: Handler) -> None:
        self._handlers[event_type].append((handler, False))

    def subscribe_many(self, event_type: type, handler: BatchHandler) -> None:
        self._handlers[event_type].append((handler, True))

    def publish(self, session: Session, event: object) -> None:
        # Handlers see the session as it is; flushing before each of them would flush once per event.
        with session.no_autoflush:
            for handler, batch in self._handlers.get(type(event), ()):
                if batch:
                    handler(session, [event])
                else:
                    handler(session, event)

    def publish_many(self, session: Session, events: Sequence[object]) -> None:
        """Publish events of one type together: each batch handler once with all of them, each plain handler
        with every event in turn."""
        if not events:
            return
        kinds = {type(event) for event in events}
        if len(kinds) > 1:
            raise ValueError("publish_many takes events of one type")
        with session.no_autoflush:
            for handler, batch in self._handlers.get(type(events[0]), ()):
                if batch:
                    handler(session, list(events))
                else:
                    for event in events:
                        handler(session, event)
