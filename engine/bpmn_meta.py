"""What deploy-time validation hands back: problems, and the parts of a diagram the runtime needs.

`ParsedDefinition` is stored with each deployed version as JSON (`to_json`/`from_json` round-trip exactly),
so the runtime never re-reads the XML to route a human task or schedule a timer start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

TimerKind = Literal["timeDate", "timeDuration", "timeCycle"]
TIMER_KINDS: tuple[TimerKind, ...] = ("timeDate", "timeDuration", "timeCycle")

_FORMAT = 1


@dataclass(frozen=True)
class Problem:
    """One reason a BPMN file may not be deployed, pointing at the element and line it is about."""

    file: str
    line: int | None
    element_id: str | None
    message: str

    def format(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.element_id or '-'}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "element_id": self.element_id, "message": self.message}

    @classmethod
    def from_dict(cls, dct: Mapping[str, Any]) -> Problem:
        line = dct.get("line")
        return cls(
            str(dct.get("file", "")),
            int(line) if line else None,
            _opt_str(dct.get("element_id")),
            str(dct["message"]),
        )


@dataclass(frozen=True)
class HumanTaskMeta:
    """Routing and form data of a userTask or manualTask (see `engine.validation` for the rules)."""

    element_id: str
    name: str
    lane: str | None
    department: str | None
    candidate_groups: str | None
    candidate_groups_is_expression: bool
    assignee: str | None
    assignee_is_expression: bool
    form_key: str | None
    priority: str | None
    due_date: str | None
    # A literal comma list of candidateGroups: every department whose queue shows the task, the first being
    # its own (deadlines and escalations follow it). Empty for one department or an expression.
    candidate_departments: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        dct = asdict(self)
        dct["candidate_departments"] = list(self.candidate_departments)
        return dct

    @classmethod
    def from_json(cls, dct: Mapping[str, Any]) -> HumanTaskMeta:
        return cls(
            element_id=str(dct["element_id"]),
            name=str(dct["name"]),
            lane=_opt_str(dct.get("lane")),
            department=_opt_str(dct.get("department")),
            candidate_groups=_opt_str(dct.get("candidate_groups")),
            candidate_groups_is_expression=bool(dct.get("candidate_groups_is_expression", False)),
            assignee=_opt_str(dct.get("assignee")),
            assignee_is_expression=bool(dct.get("assignee_is_expression", False)),
            form_key=_opt_str(dct.get("form_key")),
            priority=_opt_str(dct.get("priority")),
            due_date=_opt_str(dct.get("due_date")),
            candidate_departments=tuple(str(code) for code in dct.get("candidate_departments") or ()),
        )


@dataclass(frozen=True)
class TimerStart:
    """A timer start event of the executable process; `expression` is Python source giving the ISO text."""

    element_id: str
    kind: TimerKind
    expression: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, dct: Mapping[str, Any]) -> TimerStart:
        kind = str(dct["kind"])
        if kind not in TIMER_KINDS:
            raise ValueError(f"unknown timer kind {kind!r}")
        return cls(
            element_id=str(dct["element_id"]), kind=cast(TimerKind, kind), expression=str(dct["expression"])
        )


TimerRole = Literal["deadline", "reminder", "escalation"]
TIMER_ROLES: tuple[TimerRole, ...] = ("deadline", "reminder", "escalation")


@dataclass(frozen=True)
class BoundaryTimerMeta:
    """A timer boundary event and what Lintel does when it fires (properties role, level, clock, ...).

    role: deadline (the task's due time), reminder (the department is reminded, the timeline notes it) or
    escalation (an inbox task for the level's department, the overdue task marked with the level).
    clock: business or calendar — how time left is shown and how a pause (waiting for the owner) is made up.
    """

    element_id: str
    name: str
    attached_to: str
    role: TimerRole
    level: int
    clock: Literal["business", "calendar"]
    candidate_groups: str | None
    candidate_groups_is_expression: bool
    assignee: str | None
    assignee_is_expression: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, dct: Mapping[str, Any]) -> BoundaryTimerMeta:
        return cls(
            element_id=str(dct["element_id"]),
            name=str(dct.get("name") or dct["element_id"]),
            attached_to=str(dct["attached_to"]),
            role=cast(TimerRole, dct.get("role", "deadline")),
            level=int(dct.get("level", 0)),
            clock=cast(Literal["business", "calendar"], dct.get("clock", "calendar")),
            candidate_groups=_opt_str(dct.get("candidate_groups")),
            candidate_groups_is_expression=bool(dct.get("candidate_groups_is_expression", False)),
            assignee=_opt_str(dct.get("assignee")),
            assignee_is_expression=bool(dct.get("assignee_is_expression", False)),
        )


@dataclass(frozen=True)
class DeployOptions:
    """What the person deploying says about routing a diagram drawn elsewhere, stored with the version.

    default_department: the department of a human task with no candidateGroups whose lane is no department
    (or that has no lane).
    lanes: lane name -> department code or name (names match case-insensitively), for lanes whose name is not
    a department; a candidateGroups group name is mapped the same way. See `engine.routing`.
    """

    default_department: str | None = None
    lanes: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"default_department": self.default_department, "lanes": dict(self.lanes)}

    @classmethod
    def from_json(cls, dct: Mapping[str, Any] | None) -> DeployOptions:
        dct = dct or {}
        lanes = dct.get("lanes") or {}
        return cls(
            default_department=_opt_str(dct.get("default_department")),
            lanes={str(lane): str(code) for lane, code in lanes.items()},
        )


@dataclass(frozen=True)
class ProcessProperties:
    """Process-level properties (engine.bpmn_process): the request's title expression, number prefix,
    the departments that may start it (empty: every staff member) and the start event's form."""

    title: str | None = None
    number_prefix: str = "REQ"
    startable_by: tuple[str, ...] = ()
    start_form: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "startable_by": list(self.startable_by)}

    @classmethod
    def from_json(cls, dct: Mapping[str, Any], key: str) -> ProcessProperties:
        """Rows stored before these properties existed get the defaults (the prefix derived from the key)."""
        return cls(
            title=_opt_str(dct.get("title")),
            number_prefix=str(dct.get("number_prefix") or default_prefix(key)),
            startable_by=tuple(str(code) for code in dct.get("startable_by", ())),
            start_form=_opt_str(dct.get("start_form")),
        )


@dataclass(frozen=True)
class ParsedDefinition:
    """The executable process of a deployable file: its key, name, human tasks and timer start events."""

    key: str
    name: str
    tasks: Mapping[str, HumanTaskMeta] = field(default_factory=dict)
    timer_starts: tuple[TimerStart, ...] = ()
    boundary_timers: Mapping[str, BoundaryTimerMeta] = field(default_factory=dict)
    options: DeployOptions = field(default_factory=DeployOptions)
    # What deploy noticed but accepted (a user task without a form, an unconnected element...).
    notices: tuple[Problem, ...] = ()
    properties: ProcessProperties = field(default_factory=ProcessProperties)
    # The Python that replaces a text of the file before SpiffWorkflow parses it (a JUEL condition, a cron
    # timer cycle), by "<id of the nearest element with an id>/<tag>" (`engine.bpmn_xml.text_key`).
    expressions: Mapping[str, str] = field(default_factory=dict)
    # Forms the diagram itself describes, by the form key its tasks carry: camunda:formData fields
    # ({"format": "camunda-formdata", "title", "fields"}) and SpiffArena JSON-schema files ({"format":
    # "json-schema", "schema", "ui"}); the forms layer builds them (engine code never reads a form).
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "key": self.key,
            "name": self.name,
            "tasks": {element_id: meta.to_json() for element_id, meta in self.tasks.items()},
            "timer_starts": [timer.to_json() for timer in self.timer_starts],
            "boundary_timers": {key: meta.to_json() for key, meta in self.boundary_timers.items()},
            "options": self.options.to_json(),
            "notices": [notice.as_dict() for notice in self.notices],
            "properties": self.properties.to_json(),
            "expressions": dict(self.expressions),
            "forms": {key: dict(spec) for key, spec in self.forms.items()},
        }

    @classmethod
    def from_json(cls, dct: Mapping[str, Any]) -> ParsedDefinition:
        found = dct.get("format", _FORMAT)
        if found != _FORMAT:
            raise ValueError(f"unknown ParsedDefinition format {found!r}")
        tasks = {
            str(element_id): HumanTaskMeta.from_json(meta)
            for element_id, meta in dct.get("tasks", {}).items()
        }
        return cls(
            key=str(dct["key"]),
            name=str(dct["name"]),
            tasks=tasks,
            timer_starts=tuple(TimerStart.from_json(timer) for timer in dct.get("timer_starts", ())),
            boundary_timers={
                str(element_id): BoundaryTimerMeta.from_json(meta)
                for element_id, meta in dct.get("boundary_timers", {}).items()
            },
            options=DeployOptions.from_json(dct.get("options")),
            notices=tuple(Problem.from_dict(notice) for notice in dct.get("notices", ())),
            properties=ProcessProperties.from_json(dct.get("properties") or {}, str(dct["key"])),
            expressions={str(key): str(python) for key, python in (dct.get("expressions") or {}).items()},
            forms={str(key): dict(spec) for key, spec in dct.get("forms", {}).items()},
        )


def default_prefix(key: str) -> str:
    """A process's number prefix when its diagram gives none: the first letter of each word of its key
    (split at `_`, `-`, `.` and camelCase), capitalised, at most 6 (`repair_request` → `RR`); `REQ` when the
    key has no letters."""
    words = re.findall(r"[A-Za-z][a-z0-9]*", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key))
    return "".join(word[0] for word in words).upper()[:6] or "REQ"


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
