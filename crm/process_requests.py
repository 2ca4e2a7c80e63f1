"""Any deployed process as a request: starting one (API, page, CLI alike) and reading what it holds now.

Who may start a process is the policy's (`crm.policy.may_start`, from the diagram's `startableBy`); the start
data is validated by the start event's form when the diagram names one, and stored as it is otherwise. The
request's number, title and index row come from `crm.requests_index` when the instance starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from crm.estate.models import Owner, Unit
from crm.models import RequestIndex
from crm.policy import may_start
from crm.requests_index import RequestDirectory, is_record_id
from crm.validation import FormValidator
from engine.actors import Actor
from engine.bpmn_meta import ProcessProperties
from engine.errors import Conflict, Forbidden, InvalidData
from engine.models import HumanTask, ProcessDefinition
from engine.runtime import Runtime


@dataclass(frozen=True)
class Startable:
    """A process a staff member may start: its key, name and start form."""

    key: str
    name: str
    version: int
    properties: ProcessProperties


# A process whose start makes a record of its own (the complaint): its service starts it from the start data
# and gives back the instance id.
Starter = Callable[[Mapping[str, Any], Actor], int]


class ProcessRequests:
    def __init__(
        self,
        session: Session,
        runtime: Runtime,
        validator: FormValidator,
        requests: RequestDirectory,
        starters: Mapping[str, Starter] | None = None,
    ) -> None:
        self.session = session
        self.runtime = runtime
        self.validator = validator
        self.requests = requests
        self.starters = dict(starters or {})

    def startable(self, actor: Actor) -> list[Startable]:
        """The latest version of each process this person may start by hand, by name."""
        found = []
        for definition in self._latest():
            compiled = self.runtime.specs.get(definition)
            if compiled.meta.timer_starts or not may_start(actor, compiled.meta.properties):
                continue
            found.append(
                Startable(definition.key, definition.name, definition.version, compiled.meta.properties)
            )
        return sorted(found, key=lambda s: (s.name, s.key))

    def process(self, key: str) -> Startable:
        """The latest version of `key` (NotFound when none is deployed)."""
        definition = self.runtime.definitions.latest(key)
        properties = self.runtime.specs.get(definition).meta.properties
        return Startable(definition.key, definition.name, definition.version, properties)

    def start(self, key: str, data: Any, actor: Actor, *, check_starter: bool = True) -> RequestIndex:
        """Start the latest version of `key` with `data` (validated by its start form, if it has one) and
        return the new request's index row. `check_starter`: False for the operator's command line, which
        startableBy does not restrict."""
        definition = self.runtime.definitions.latest(key)
        meta = self.runtime.specs.get(definition).meta
        if check_starter and not may_start(actor, meta.properties):
            names = ", ".join(meta.properties.startable_by)
            raise Forbidden(f"only members of {names} may start the process '{key}'")
        if meta.timer_starts:
            raise Conflict(f"the process '{key}' is started by its timer, not by hand")
        if not isinstance(data, Mapping):
            raise InvalidData("data must be an object of field values", {"data": "must be an object"})
        starter = self.starters.get(key)
        if starter is not None:
            instance_id = starter(data, actor)
            self.session.flush()
            return self.requests.get(instance_id)
        if meta.properties.start_form is not None:
            cleaned = self.validator.validate(meta.properties.start_form, data, definition)
        else:
            bad = {str(k): "field names must be text" for k in data if not isinstance(k, str)}
            if bad:
                raise InvalidData("the data has invalid fields", bad)
            cleaned = dict(data)
        self._refuse_unknown_records(cleaned)
        instance = self.runtime.start(key, cleaned, actor)
        self.session.flush()
        return self.requests.get(instance.id)

    def _refuse_unknown_records(self, data: Mapping[str, Any]) -> None:
        """Start data that names an owner or unit (`owner_id`, `unit_id`) names one on file: a request about
        nobody would silently lose who it is for."""
        problems = {}
        for field, model, what in (("owner_id", Owner, "owner"), ("unit_id", Unit, "unit")):
            value = data.get(field)
            if value is None or value == "":
                continue
            if not is_record_id(value) or self.session.get(model, value) is None:
                problems[field] = f"no {what} with this id"
        if problems:
            raise InvalidData("the start data names records that do not exist", problems)

    def current_data(self, instance_id: int, open_tasks: Iterable[HumanTask] = ()) -> dict[str, Any]:
        """What the request's workflow knows now: the data of a step waiting for someone, else of its last
        completed step ({} when its state cannot be read)."""
        instance = self.runtime.get(instance_id, with_state=True)
        try:
            workflow, _compiled = self.runtime.load(instance)
        except Exception:  # a request whose state cannot be read still shows everything else
            return {}
        for row in open_tasks:
            task = self.runtime.task_of(workflow, row)
            if task is not None:
                return dict(task.data)
        done = workflow.get_tasks(state=TaskState.COMPLETED)
        if not done:
            return {}
        return dict(max(done, key=lambda t: t.last_state_change).data)

    def _latest(self) -> list[ProcessDefinition]:
        latest = self.runtime.definitions.latest_versions()
        return [d for d in self.runtime.definitions.all() if latest.get(d.key) == d.version]


def jsonable(value: Any) -> Any:
    """Task data as JSON: dates and times in ISO 8601, durations in seconds, UUIDs as text."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
