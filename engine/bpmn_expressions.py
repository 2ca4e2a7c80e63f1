"""Checks of the Python a diagram carries: scripts, conditions, task expressions and timer expressions.

Everything a diagram evaluates is Python, run in the sandbox (`engine.safety`). What Camunda and Flowable
write as JUEL (`${expr}`, `#{expr}`) is translated first (`engine.juel`) and the translation is checked like
any expression; the caller stores it so the runtime evaluates the Python. A timer cycle may also be a cron
text (`engine.cron`), kept as a Python string. One mistake is common enough to get its own message: an
unquoted ISO 8601 value where a timer or due date needs a Python string (`PT24H` instead of `"PT24H"`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import cron, juel
from engine.bpmn_meta import TIMER_KINDS, TimerKind
from engine.safety import Mode, problems_in

_SYNTAX = re.compile(r"^Python syntax error \(line (\d+)\): (.*)$", re.DOTALL)
# SpiffWorkflow's duration parser skips text it does not understand ("R3/PT1H" passes as one hour), so a
# duration must also have the ISO 8601 shape.
_DURATION = re.compile(
    r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?$", re.IGNORECASE
)
_CYCLE = re.compile(r"^R\d*/[^/]+(/[^/]+)?$", re.IGNORECASE)

TIMER_EXAMPLES: dict[TimerKind, str] = {
    "timeDate": 'a date-time such as "2026-01-01T09:00:00+08:00"',
    "timeDuration": 'a duration such as "PT24H"',
    "timeCycle": 'a cycle such as "R3/PT24H" or a cron text such as "0 0 9 * * ?"',
}


@dataclass(frozen=True)
class Finding:
    """A message about some source text; `offset` is the line within the text (0 = its first line)."""

    message: str
    offset: int = 0


def unwrap_juel(text: str) -> str | None:
    """The inside of a Camunda `${expr}` (or `#{expr}`), else None, untranslated (`python_of` translates)."""
    inner = juel.wrapped(text)
    return inner.strip() if inner is not None else None


def python_of(source: str, functions: Collection[str], what: str) -> tuple[str | None, list[Finding]]:
    """For a JUEL text: its Python translation, or the finding saying why it has none. (None, []) when the
    text is not JUEL (it is Python already)."""
    if juel.wrapped(source) is None and "${" not in source and "#{" not in source:
        return None, []
    try:
        return juel.translate(source, functions), []
    except juel.JuelError as exc:
        return None, [Finding(f"{what}: {exc}")]


def code_findings(source: str, mode: Mode, functions: Collection[str], what: str) -> list[Finding]:
    """Syntax and sandbox problems of `source`, each prefixed with `what` ("script", "condition", ...).
    An expression (mode "eval") written in JUEL is checked as its Python translation."""
    if mode == "eval":
        python, refused = python_of(source, functions, what)
        if refused:
            return refused
        if python is not None:
            source = python
    found = []
    for message in problems_in(source, mode, functions):
        match = _SYNTAX.match(message)
        if match:
            line = int(match.group(1))
            found.append(
                Finding(
                    f"{what}: Python syntax error (line {line} of the {what}): {match.group(2)}", line - 1
                )
            )
        else:
            found.append(Finding(f"{what}: {message}"))
    return found


def _valid_iso(kind: TimerKind, value: Any) -> bool:
    """Whether SpiffWorkflow's own parsers accept `value` for a timer of this kind."""
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        if kind == "timeDate":
            return isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime)
        if kind == "timeDuration":
            if not _DURATION.match(value.strip()):
                return False
            parsed = TimerEventDefinition.parse_iso_duration(value)
            TimerEventDefinition.get_timedelta_from_start(dict(parsed))
            return True
        if cron.looks_like_cron(value.strip()):
            cron.check(value.strip())
            return True
        parts = value.strip().split("/")
        if not _CYCLE.match(value.strip()) or any(
            p[:1] in "Pp" and not _DURATION.match(p) for p in parts[1:]
        ):
            return False
        TimerEventDefinition.parse_iso_recurring_interval(value)
        return True
    except Exception:
        return False


def _cycle_too_short(value: str) -> bool:
    """Whether an ISO 8601 repeating interval repeats more often than once a minute."""
    try:
        _cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:
        return False
    return bool(duration < cron.MIN_CYCLE)


def _bare_iso(text: str) -> list[TimerKind]:
    """The timer kinds an unquoted text would be valid ISO 8601 for (a digit is required)."""
    if not any(ch.isdigit() for ch in text) or text[:1] in "\"'":
        return []
    return [kind for kind in TIMER_KINDS if _valid_iso(kind, text)]


def timer_findings(kind: TimerKind, text: str | None, functions: Collection[str]) -> list[Finding]:
    """The problems `timer_check` finds (for callers that do not store a translation)."""
    return timer_check(kind, text, functions)[0]


def timer_check(
    kind: TimerKind, text: str | None, functions: Collection[str], *, literal_iso: bool = False
) -> tuple[list[Finding], str | None]:
    """Problems of a timer's expression (Python giving an ISO 8601 text of the timer's kind, or a cron text
    for a cycle), and the Python to run instead of the text when it is JUEL, a bare cron text, or — with
    `literal_iso`, for a diagram drawn for Camunda or Flowable, where a timer's text is taken literally — a
    bare ISO 8601 value of the timer's kind."""
    if text is None or not text.strip():
        return [
            Finding(f"timer has an empty {kind}: write a Python expression giving {TIMER_EXAMPLES[kind]}")
        ], None
    source = text.strip()
    if kind == "timeCycle" and cron.looks_like_cron(source):
        try:
            cron.check(source)
        except cron.CronError as exc:
            return [Finding(f"timer: {exc}")], None
        return [], repr(source)
    python, refused = python_of(source, functions, "timer expression")
    if refused:
        return refused, None
    if python is not None:
        source = python
    bare = _bare_iso(source)
    if bare and literal_iso and python is None and kind in bare:
        if kind == "timeCycle" and _cycle_too_short(source):
            return [Finding(f"timer cycle {source}: {cron.CYCLE_TOO_SHORT}")], None
        return [], repr(source)
    if bare:
        message = f'timer expression {source} is Python: write "{source}" with quotes'
        if kind not in bare:
            message += f"; a {kind} timer needs {TIMER_EXAMPLES[kind]}"
        return [Finding(message)], python
    found = code_findings(source, "eval", functions, "timer expression")
    if found:
        return found, python
    tree = ast.parse(source, mode="eval")
    if isinstance(tree.body, ast.Constant):
        value = tree.body.value
        if not isinstance(value, str):
            return [Finding(f"timer expression {source} must give {TIMER_EXAMPLES[kind]}")], python
        if not _valid_iso(kind, value):
            return [
                Finding(
                    f"timer value {source} is not valid for a {kind} timer: it needs {TIMER_EXAMPLES[kind]}"
                )
            ], python
        if kind == "timeCycle" and not cron.looks_like_cron(value) and _cycle_too_short(value):
            return [Finding(f"timer cycle {value}: {cron.CYCLE_TOO_SHORT}")], python
    return [], python


def due_date_findings(source: str, functions: Collection[str]) -> list[Finding]:
    """A due date is Python giving a datetime, an ISO date-time or an ISO duration."""
    if any(ch.isdigit() for ch in source) and source[:1] not in "\"'":
        if _valid_iso("timeDate", source) or _valid_iso("timeDuration", source):
            return [Finding(f'dueDate {source} is Python: write "{source}" with quotes')]
    found = code_findings(source, "eval", functions, "dueDate")
    if found:
        return found
    tree = ast.parse(source, mode="eval")
    if isinstance(tree.body, ast.Constant):
        value = tree.body.value
        if not (_valid_iso("timeDate", value) or _valid_iso("timeDuration", value)):
            return [Finding(f'dueDate {source} must give an ISO 8601 date-time or duration such as "P3D"')]
    return []
