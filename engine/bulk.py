"""Starting many instances of one process at once (`Runtime.start_many`).

Each instance of a batch leaves behind what `Runtime.start` leaves: its stored state, its inbox rows (with
their candidate departments), `next_timer_at`, its audit rows, and the `InstanceStarted` and `TaskCreated`
events, published with `EventBus.publish_many` so that a subscriber can react to the batch at once.

The way to the first wait state is run once, with the shared data (the pilot). When the pilot reaches a
clean wait (no failure, no timer fired, no event left uncaught, not completed), every instance's state is
the pilot's with the item's data added to the start data and fresh task ids; what the inbox rows hold
(assignee, departments, priority, due time) is evaluated per item with the item's data, as a start would.
An item goes the way of a plain `start` instead when its data could have changed the way (it sets a value
the shared data or the pilot's scripts already set), when one of its rows cannot be worked out, or when its
state would be too large; so does every item when the pilot does not reach a clean wait.
"""

from __future__ import annotations

import gc
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import uuid4

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import manager_of_class

from engine.actors import SYSTEM, Actor
from engine.audit import _jsonable
from engine.definitions import CompiledDefinition
from engine.errors import InvalidData
from engine.events import BusinessKeysWanted, InstanceStarted, TaskCreated
from engine.models import AuditEvent, HumanTask, HumanTaskCandidate, ProcessDefinition, ProcessInstance
from engine.task_data import refuse_unstorable
from engine.timing import engine_clock, next_timer_due
from engine.validation import HumanTaskMeta

if TYPE_CHECKING:
    from engine.runtime import Runtime

_Model = TypeVar("_Model")

# A key added to the pilot's start data: where it lands in the saved state is where an item's data goes.
SENTINEL = "__lintel_item__"
_DATA_MARK = f'"{SENTINEL}":0'
_KEY_MARK = f'"{SENTINEL}"'
# Rows per bulk statement: well under the databases' bound-parameter limits.
CHUNK = 1000


class _StateTemplate:
    """The pilot's saved state cut at its task ids and at the sentinel, to be filled in per instance."""

    def __init__(self, text: str, task_ids: Sequence[str]) -> None:
        self.task_count = len(task_ids)
        index = {task_id: n for n, task_id in enumerate(task_ids)}
        pattern = re.compile(
            "|".join([re.escape(_DATA_MARK), re.escape(_KEY_MARK), *map(re.escape, task_ids)])
        )
        self.literals: list[str] = []
        # Per slot: ("id", n) | ("data", comma) | ("keys", comma), comma: "after", "before" or "".
        self.slots: list[tuple[str, Any]] = []
        self.data_slots = 0
        position = 0
        for match in pattern.finditer(text):
            start, end = match.span()
            found = match.group()
            if found in (_DATA_MARK, _KEY_MARK):
                kind = "data" if found == _DATA_MARK else "keys"
                self.data_slots += kind == "data"
                if text.startswith(",", end):
                    comma, end = "after", end + 1
                elif start - 1 >= position and text[start - 1] == ",":
                    comma, start = "before", start - 1
                else:
                    comma = ""
                slot: tuple[str, Any] = (kind, comma)
            else:
                slot = ("id", index[found])
            self.literals.append(text[position:start])
            self.slots.append(slot)
            position = end
        self.literals.append(text[position:])

        # The parts to join per instance: the literals, with the slots between them filled in.
        self._parts: list[str] = []
        self._id_slots: list[list[int]] = [[] for _ in range(self.task_count)]
        self._mark_slots: list[tuple[int, str, str]] = []  # (part, data | keys, comma)
        for (kind, arg), literal in zip(self.slots, self.literals[1:], strict=True):
            if not self._parts:
                self._parts.append(self.literals[0])
            if kind == "id":
                self._id_slots[arg].append(len(self._parts))
            else:
                self._mark_slots.append((len(self._parts), kind, arg))
            self._parts.extend(("", literal))
        if not self._parts:
            self._parts.append(self.literals[0])

    def render(self, ids: Sequence[str], members: str, keys: str) -> str:
        parts = self._parts[:]
        for value, slots in zip(ids, self._id_slots, strict=True):
            for slot in slots:
                parts[slot] = value
        for slot, kind, comma in self._mark_slots:
            text = members if kind == "data" else keys
            if text:
                parts[slot] = text + "," if comma == "after" else "," + text if comma == "before" else text
        return "".join(parts)


_SUFFIXES = [f"{n:03x}" for n in range(0x1000)]


def _fresh_ids(count: int) -> list[str]:
    """`count` task ids for one instance: 116 random bits shared by the instance's tasks, then the task's
    number (globally unique as random UUIDs are, and cheaper to make by the tens of thousands)."""
    if count > len(_SUFFIXES):
        return [str(uuid4()) for _ in range(count)]
    h = os.urandom(16).hex()
    head = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:29]}"
    return [head + suffix for suffix in _SUFFIXES[:count]]


@dataclass
class _Pilot:
    workflow: BpmnWorkflow
    template: _StateTemplate
    task_ids: list[str]
    # Keys the pilot's scripts set (or changed): an item setting one of them could have changed the way.
    produced: frozenset[str]
    # The READY manual tasks (the inbox rows each instance gets), with their stored routing.
    ready: list[tuple[Task, HumanTaskMeta, tuple[datetime | None, str | None] | None]]
    next_timer_at: datetime | None


@dataclass
class _Planned:
    position: int
    data: dict[str, Any]
    state: str
    ids: list[str]
    title: str | None
    rows: list[dict[str, Any]]
    candidates: list[list[str]]
    ignored: list[dict[str, Any]]


class BulkStarter:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.session: Session = runtime.session
        # Seconds spent per phase of the last call (what a benchmark shows).
        self.timings: dict[str, float] = {}
        self._mark = 0.0

    def _lap(self, phase: str | None) -> None:
        now = time.perf_counter()
        if phase is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self._mark
        self._mark = now

    def start_many(
        self, key: str, shared: Mapping[str, Any], items: Sequence[Mapping[str, Any]], actor: Actor
    ) -> list[int]:
        # Tens of thousands of new objects with little garbage among them: the cyclic collector would
        # walk the whole heap again and again for nothing (it runs once, at the end).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._start_many(key, shared, items, actor)
        finally:
            if collecting:
                gc.enable()

    def _start_many(
        self, key: str, shared: Mapping[str, Any], items: Sequence[Mapping[str, Any]], actor: Actor
    ) -> list[int]:
        runtime = self.runtime
        refuse_unstorable(shared)
        for position, item in enumerate(items):
            try:
                refuse_unstorable(item)
            except InvalidData as exc:
                raise InvalidData(f"item {position + 1}: {exc}", exc.fields) from None
        if not items:
            return []
        definition = runtime.definitions.latest(key)
        compiled = runtime.specs.get(definition)
        self._lap(None)
        pilot = self._pilot(compiled, shared)
        ids: list[int | None] = [None] * len(items)
        # Whether a username is an active account: asked once per name for the whole batch.
        user_active = runtime.user_active
        if user_active is not None:
            runtime.user_active = _remembered(user_active)
        try:
            self._lap("pilot")
            planned, single = self._plans(pilot, compiled, shared, items)
        finally:
            runtime.user_active = user_active
        self._lap("plan")
        if planned:
            assert pilot is not None
            for position, instance_id in self._write(definition, compiled, pilot, planned, actor):
                ids[position] = instance_id
        self._lap("write")
        for position in sorted(single):
            ids[position] = runtime.start(key, {**shared, **items[position]}, actor).id
        self._lap("single")
        return [i for i in ids if i is not None]

    def _plans(
        self,
        pilot: _Pilot | None,
        compiled: CompiledDefinition,
        shared: Mapping[str, Any],
        items: Sequence[Mapping[str, Any]],
    ) -> tuple[list[_Planned], list[int]]:
        """The instances written together, and the positions of the items that start on their own."""
        single: list[int] = list(range(len(items))) if pilot is None else []
        planned: list[_Planned] = []
        if pilot is not None:
            for position, item in enumerate(items):
                plan = self._plan(pilot, compiled, shared, item, position)
                if plan is None:
                    single.append(position)
                else:
                    planned.append(plan)
        return planned, single

    # -- the pilot -----------------------------------------------------------------------------------------

    def _pilot(self, compiled: CompiledDefinition, shared: Mapping[str, Any]) -> _Pilot | None:
        runtime = self.runtime
        from engine.runtime import deadline_of, run_engine

        workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=runtime.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update({SENTINEL: 0, **shared})
        fired: list[Task] = []
        try:
            with engine_clock(runtime.clock):
                run_engine(workflow, fired)
            if (
                fired
                or workflow.is_completed()
                or workflow.get_events()
                or workflow.get_tasks(state=TaskState.ERROR)
            ):
                return None
            text = runtime.serializer.dumps(workflow)
        except Exception:
            return None  # each item then starts (and fails) as a start does
        # Every task the pilot reached holds the start data, the sentinel with it; one that lost it (a
        # script that rebuilt its data) would lose an item's data too.
        reached = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED
        if any(SENTINEL not in task.data for task in workflow.get_tasks(state=reached)):
            return None
        task_ids = [str(i) for i in workflow.tasks]
        for sub in workflow.subprocesses.values():
            task_ids.extend(str(i) for i in sub.tasks)
        template = _StateTemplate(text, task_ids)
        if template.data_slots != 1:
            return None
        produced: set[str] = set()
        for task in workflow.get_tasks():
            for name, value in task.data.items():
                if name != SENTINEL and (name not in shared or _differs(value, shared[name])):
                    produced.add(name)
        produced.update(workflow.data)
        ready = []
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            meta = runtime.task_meta(task, compiled)
            # A deadline from the boundary timers is the pilot's (they waited with the shared data alone).
            due = deadline_of(task, compiled.meta) if not meta.due_date else None
            ready.append((task, meta, due))
        return _Pilot(
            workflow=workflow,
            template=template,
            task_ids=task_ids,
            produced=frozenset(produced),
            ready=ready,
            next_timer_at=next_timer_due(workflow),
        )

    def _plan(
        self,
        pilot: _Pilot,
        compiled: CompiledDefinition,
        shared: Mapping[str, Any],
        item: Mapping[str, Any],
        position: int,
    ) -> _Planned | None:
        """One instance's state and inbox rows; None when the item must start on its own."""
        runtime = self.runtime
        extra: dict[str, Any] = {}
        for name, value in item.items():
            if name in shared:
                if _differs(value, shared[name]):
                    return None
            elif name in pilot.produced or name == SENTINEL:
                return None
            else:
                extra[name] = value
        data = {**shared, **item}
        serializer = runtime.serializer
        registry = serializer.registry
        registry._encoder_mode = True
        try:
            members = json.dumps(
                registry.convert(extra), cls=serializer._serializer._encoder_cls, separators=(",", ":")
            )
        finally:
            registry._encoder_mode = False
        keys = json.dumps(list(extra), separators=(",", ":"))
        task_ids = _fresh_ids(pilot.template.task_count)
        state = pilot.template.render(task_ids, members[1:-1], keys[1:-1])
        if len(state) > runtime.max_state_bytes:
            return None
        rows: list[dict[str, Any]] = []
        candidates: list[list[str]] = []
        ignored: list[dict[str, Any]] = []
        try:
            with engine_clock(runtime.clock):
                for task, meta, due in pilot.ready:
                    saved = task.data
                    task.data = {**{k: v for k, v in saved.items() if k != SENTINEL}, **extra}
                    try:
                        due_at, clock = due or runtime._due(task, meta, compiled)
                        department, *others = runtime._departments(task, meta)
                        assignee, note = runtime.assignee_of(task, meta)
                        priority = runtime._priority(task, meta)
                    finally:
                        task.data = saved
                    rows.append(
                        {
                            "task_guid": task_ids[pilot.task_ids.index(str(task.id))],
                            "element_id": _element(task),
                            "name": meta.name,
                            "department": department,
                            "assignee": assignee,
                            "form_key": meta.form_key,
                            "priority": priority,
                            "due_at": due_at,
                            "deadline_clock": clock,
                        }
                    )
                    candidates.append(others)
                    if note is not None:
                        ignored.append(note)
            title = runtime._title(compiled.meta.properties.title, data)
        except Exception:
            return None  # the start fails it as it would any instance
        return _Planned(position, data, state, task_ids, title, rows, candidates, ignored)

    # -- writing -------------------------------------------------------------------------------------------

    def _write(
        self,
        definition: ProcessDefinition,
        compiled: CompiledDefinition,
        pilot: _Pilot,
        planned: list[_Planned],
        actor: Actor,
    ) -> list[tuple[int, int]]:
        runtime = self.runtime
        session = self.session
        now = runtime.clock.now()
        instances_table: Table = ProcessInstance.__table__  # type: ignore[assignment]
        tasks_table: Table = HumanTask.__table__  # type: ignore[assignment]
        audit_table: Table = AuditEvent.__table__  # type: ignore[assignment]
        session.flush()
        self._lap(None)
        properties = compiled.meta.properties
        wanted = BusinessKeysWanted(definition.key, properties.number_prefix, now, len(planned))
        runtime.events.publish(session, wanted)
        keys: list[str | None] = [None] * len(planned)
        if wanted.keys is not None and len(wanted.keys) == len(planned):
            keys = [key[:100] if isinstance(key, str) and key else None for key in wanted.keys]
        instance_ids = insert_rows(
            session,
            instances_table,
            [
                {
                    "definition_id": definition.id,
                    "process_key": definition.key,
                    "business_key": key,
                    "status": "running",
                    "state": plan.state,
                    "revision": 1,
                    "started_at": now,
                    "updated_at": now,
                    "started_by": actor.username,
                    "next_timer_at": pilot.next_timer_at,
                }
                for plan, key in zip(planned, keys, strict=True)
            ],
            ids=True,
        )
        row_values: list[dict[str, Any]] = []
        row_owner: list[tuple[int, int]] = []  # (plan index, row index within the plan)
        for n, (plan, instance_id) in enumerate(zip(planned, instance_ids, strict=True)):
            for r, row in enumerate(plan.rows):
                row_values.append(
                    {
                        **row,
                        "instance_id": instance_id,
                        "process_key": definition.key,
                        "state": "open",
                        "kind": "task",
                        "escalation_level": 0,
                        "created_at": now,
                        "revision": 1,
                    }
                )
                row_owner.append((n, r))
        self._lap("instances")
        task_ids = insert_rows(session, tasks_table, row_values, ids=True)
        candidate_values = [
            {"task_id": task_id, "department": code, "open": True}
            for task_id, (n, r) in zip(task_ids, row_owner, strict=True)
            for code in planned[n].candidates[r]
        ]
        for chunk in _chunks(candidate_values):
            session.execute(insert(HumanTaskCandidate.__table__), chunk)  # type: ignore[arg-type]

        # The timeline, in the order a start writes it: started, then each step opened.
        def audit(**values: Any) -> dict[str, Any]:
            return {
                "instance_id": None,
                "task_id": None,
                "element_id": None,
                "at": now,
                "actor": actor.username,
                "from_state": None,
                "to_state": None,
                "data": None,
                **values,
            }

        audits = [
            audit(
                instance_id=i,
                kind="instance.started",
                to_state="running",
                data=_json_ready(plan.data) if plan.data else None,
            )
            for plan, i in zip(planned, instance_ids, strict=True)
        ]
        audits += [
            audit(instance_id=i, kind="task.assignee_ignored", actor=SYSTEM.username, data=_jsonable(note))
            for plan, i in zip(planned, instance_ids, strict=True)
            for note in plan.ignored
        ]
        audits += [
            audit(
                instance_id=row["instance_id"],
                task_id=task_id,
                element_id=row["element_id"],
                kind="task.created",
                to_state="open",
                data={"department": row["department"], "assignee": row["assignee"]},
            )
            for row, task_id in zip(row_values, task_ids, strict=True)
        ]
        self._lap("inbox")
        insert_rows(session, audit_table, audits)

        # The events, with the instances and rows as subscribers know them (not in the session: a batch of
        # tens of thousands would weigh on every later flush).
        instances: list[ProcessInstance] = []
        started: list[InstanceStarted] = []
        for plan, instance_id, key in zip(planned, instance_ids, keys, strict=True):
            instance = _transient(
                ProcessInstance,
                {
                    "id": instance_id,
                    "definition_id": definition.id,
                    "process_key": definition.key,
                    "business_key": key,
                    "status": "running",
                    "revision": 1,
                    "started_at": now,
                    "updated_at": now,
                    "completed_at": None,
                    "started_by": actor.username,
                    "error": None,
                    "error_element": None,
                    "failed_at": None,
                    "next_timer_at": pilot.next_timer_at,
                    "definition": definition,
                },
            )
            instances.append(instance)
            started.append(
                InstanceStarted(instance, plan.data, title=plan.title, number_prefix=properties.number_prefix)
            )
        self._lap("events.prepare")
        runtime.events.publish_many(session, started)
        # Business keys the subscribers gave the instances (a request number) are stored with them.
        self._lap("events.instance_started")
        # Business keys a subscriber gave (or changed) on InstanceStarted are stored too.
        changed = [
            (i.business_key, i.id)
            for i, key in zip(instances, keys, strict=True)
            if i.business_key and i.business_key != key
        ]
        _set_business_keys(session, changed)
        created = [
            TaskCreated(
                instances[n],
                _transient(HumanTask, {**_TASK_DEFAULTS, **row, "id": task_id}),
            )
            for task_id, row, (n, _) in zip(task_ids, row_values, row_owner, strict=True)
        ]
        runtime.events.publish_many(session, created)
        self._lap("events.task_created")
        return [(plan.position, instance_id) for plan, instance_id in zip(planned, instance_ids, strict=True)]


_TASK_DEFAULTS: dict[str, Any] = {
    "completed_at": None,
    "completed_by": None,
    "escalates_task_id": None,
    "waiting_since": None,
}


def _transient(cls: type[_Model], values: dict[str, Any]) -> _Model:
    """A mapped object holding `values` as if loaded, in no session: what a subscriber reads of a batch's
    instances and rows (the constructor's attribute events would cost more than the writing)."""
    obj: _Model = manager_of_class(cls).new_instance()
    obj.__dict__.update(values)
    return obj


_JSON_SCALARS = (str, int, float, bool, type(None))


def _json_ready(data: dict[str, Any]) -> Any:
    """What the audit stores of start data: as it is when it holds only plain values (the usual case)."""
    if all(type(value) in _JSON_SCALARS for value in data.values()):
        return data
    return _jsonable(data)


def _remembered(check: Callable[[str], bool]) -> Callable[[str], bool]:
    known: dict[str, bool] = {}

    def remembered(username: str) -> bool:
        if username not in known:
            known[username] = check(username)
        return known[username]

    return remembered


def _differs(a: Any, b: Any) -> bool:
    if a is b:
        return False
    try:
        return bool(a != b) or type(a) is not type(b)
    except Exception:
        return True


def _element(task: Task) -> str:
    return str(task.task_spec.name).split(" [", 1)[0]


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def insert_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, ids: bool = False
) -> list[int]:
    """INSERT many rows at once below the ORM, in the session's transaction: SQLite's executemany,
    PostgreSQL's COPY. Every row names the same columns; values are converted as the columns' types
    convert them for the ORM. With `ids`, the new rows' ids in the order given (PostgreSQL: drawn from the
    table's sequence first; SQLite: a writing transaction holds the database alone, and each row gets the
    next rowid in turn)."""
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    values: list[tuple[Any, ...]]
    if len(names) == 1:
        only = names[0]
        values = [(row[only],) for row in rows]
    else:
        getter = itemgetter(*names)
        values = [getter(row) for row in rows]
    converting = [
        (n, processor)
        for n, name in enumerate(names)
        if (processor := table.c[name].type._cached_bind_processor(dialect)) is not None
    ]
    if converting:
        columns: list[Sequence[Any]] = list(zip(*values, strict=True))
        for n, convert in converting:
            columns[n] = _converted(columns[n], convert)
        values = list(zip(*columns, strict=True))
    raw = connection.connection.driver_connection
    count = len(values)
    if dialect.name == "postgresql":
        new_ids: list[int] = []
        if ids:
            sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
            new_ids = [
                r[0]
                for r in connection.exec_driver_sql(
                    f"SELECT nextval({sequence}) FROM generate_series(1, {count})"  # noqa: S608
                )
            ]
            values = [(i, *v) for i, v in zip(new_ids, values, strict=True)]
            names = ["id", *names]
        statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        # LZ4 compresses the large values (an instance's state) several times faster than the default
        # pglz; each stored value records how it was compressed, so reading is the same.
        # (A server without LZ4, or older than 14, has no such choice: the default is kept.)
        found = connection.exec_driver_sql(
            "SELECT setting, 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).first()
        previous = found[0] if found is not None and found[1] else None
        if previous is not None:
            connection.exec_driver_sql("SELECT set_config('default_toast_compression', 'lz4', true)")
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for value in values:
                copy.write_row(value)
        if previous is not None:  # (after a failed COPY the transaction is lost anyway)
            connection.exec_driver_sql(
                "SELECT set_config('default_toast_compression', %(previous)s, true)", {"previous": previous}
            )
        return new_ids
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        first = 0
        if ids:
            first = (cursor.execute(f"SELECT max(id) FROM {table.name}").fetchone()[0] or 0) + 1  # noqa: S608
        marks = ", ".join("?" for _ in names)
        cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", values)  # noqa: S608
        if not ids:
            return []
        last = cursor.execute(f"SELECT max(id) FROM {table.name}").fetchone()[0]  # noqa: S608
    finally:
        cursor.close()
    if last != first + count - 1:
        raise RuntimeError(f"{table.name}: the new rows were not given consecutive ids")
    return list(range(first, first + count))


def _converted(column: Sequence[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """A column's values as its type converts them: once per distinct value where they can be told apart
    (a batch repeats its moment, names and codes), else one by one (a JSON column's dicts)."""
    try:
        distinct = set(column)
    except TypeError:
        return [convert(value) for value in column]
    done = {value: convert(value) for value in distinct}
    return [done[value] for value in column]


def _set_business_keys(session: Session, keys: Sequence[tuple[str, int]]) -> None:
    """Store the business keys given to new instances: one statement on PostgreSQL, executemany on
    SQLite."""
    if not keys:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "UPDATE process_instances AS p SET business_key = v.key FROM (SELECT unnest(%(keys)s::text[]) "
            "AS key, unnest(%(ids)s::bigint[]) AS id) AS v WHERE p.id = v.id",
            {"keys": [k for k, _ in keys], "ids": [i for _, i in keys]},
        )
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany("UPDATE process_instances SET business_key = ? WHERE id = ?", keys)
    finally:
        cursor.close()
