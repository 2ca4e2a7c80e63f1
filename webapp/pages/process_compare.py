"""Two versions of a process compared in plain words: the human steps added and removed, and for each
step in both the properties that changed (名称、部门、表单、时限/提醒/升级、指派人、优先级) with old and
new value, and the gateway conditions that changed.
Built from the same step outline the version page shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from engine.bpmn_outline import Flow
from webapp.pages.process_outline import Step, Timer, condition_words


@dataclass(frozen=True)
class Change:
    what: str  # 部门 / 表单 / 时限 …
    old: str
    new: str
    old_code: str = ""  # the expression behind the words, when there is one
    new_code: str = ""


@dataclass(frozen=True)
class StepChange:
    element_id: str
    name: str
    changes: list[Change]


@dataclass(frozen=True)
class Comparison:
    added: list[Step] = field(default_factory=list)
    removed: list[Step] = field(default_factory=list)
    changed: list[StepChange] = field(default_factory=list)
    conditions: list[tuple[Flow | None, Flow | None]] = field(default_factory=list)  # (old, new)
    # Each condition in words (by the condition's text) when it tests a form's answers; the old version's
    # forms word the old flows, the new one's the new.
    old_words: dict[str, str] = field(default_factory=dict)
    new_words: dict[str, str] = field(default_factory=dict)
    starting: list[Change] = field(default_factory=list)  # 谁可以发起 / 发起表单

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed or self.conditions or self.starting)

    def marks(self) -> dict[str, str]:
        """The colour class of each element that differs, by element id: added / removed / changed."""
        marks = {s.element_id: "added" for s in self.added}
        marks.update({s.element_id: "removed" for s in self.removed})
        marks.update({c.element_id: "changed" for c in self.changed})
        for old, new in self.conditions:
            flow = new or old
            if flow is not None:
                marks[flow.flow_id] = "added" if old is None else "removed" if new is None else "changed"
        return marks


Value = tuple[str, str]  # (words, the expression behind them or "")


def _timers(step: Step) -> dict[str, Value]:
    by_role: dict[str, list[Timer]] = {}
    for timer in step.timers:
        by_role.setdefault(timer.role, []).append(timer)
    return {
        role: ("、".join(t.when for t in timers), "、".join(t.expression for t in timers if t.expression))
        for role, timers in by_role.items()
    }


def _changes(old: Step, new: Step) -> list[Change]:
    none = (_("无"), "")
    pairs: list[tuple[str, Value, Value]] = [
        (_("名称"), (old.name, ""), (new.name, "")),
        (_("部门"), (old.department, old.department_code or ""), (new.department, new.department_code or "")),
        (_("表单"), (old.form, ""), (new.form, "")),
        (
            _("指派人"),
            (old.assignee, old.assignee_code) if old.assignee else none,
            (new.assignee, new.assignee_code) if new.assignee else none,
        ),
        (
            _("优先级"),
            (_("按表达式计算"), old.priority) if old.priority else none,
            (_("按表达式计算"), new.priority) if new.priority else none,
        ),
    ]
    old_timers, new_timers = _timers(old), _timers(new)
    for role in list(old_timers) + [r for r in new_timers if r not in old_timers]:
        pairs.append((role, old_timers.get(role, none), new_timers.get(role, none)))
    return [Change(what, a[0], b[0], a[1], b[1]) for what, a, b in pairs if a != b]


def compare(
    old_steps: list[Step],
    new_steps: list[Step],
    old_flows: dict[str, Flow],
    new_flows: dict[str, Flow],
    old_fields: Mapping[str, Any] | None = None,
    new_fields: Mapping[str, Any] | None = None,
) -> Comparison:
    """What changed from the old version's steps and gateway flows to the new one's; `old_fields` and
    `new_fields`: the fields of each version's forms by name, to say the conditions on them in words."""
    old_by_id = {s.element_id: s for s in old_steps}
    new_by_id = {s.element_id: s for s in new_steps}
    changed = []
    for step in new_steps:
        if step.element_id in old_by_id:
            changes = _changes(old_by_id[step.element_id], step)
            if changes:
                changed.append(StepChange(step.element_id, step.name, changes))
    conditions: list[tuple[Flow | None, Flow | None]] = [
        (old_flows.get(flow_id), new_flows.get(flow_id))
        for flow_id in list(old_flows) + [f for f in new_flows if f not in old_flows]
        if old_flows.get(flow_id) != new_flows.get(flow_id)
    ]
    return Comparison(
        added=[s for s in new_steps if s.element_id not in old_by_id],
        removed=[s for s in old_steps if s.element_id not in new_by_id],
        changed=changed,
        conditions=conditions,
        old_words=_worded([old for old, _new in conditions], old_fields or {}),
        new_words=_worded([new for _old, new in conditions], new_fields or {}),
    )


def starting_changes(old: tuple[str, str], new: tuple[str, str]) -> list[Change]:
    """What changed in who may start the process and its start form: each side (谁可以发起 in words, 发起表单
    in words)."""
    pairs = [(_("谁可以发起"), old[0], new[0]), (_("发起表单"), old[1], new[1])]
    return [Change(what, a, b) for what, a, b in pairs if a != b]


def _worded(flows: list[Flow | None], fields: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for flow in flows:
        if flow is not None and flow.condition:
            words = condition_words(flow.condition, fields)
            if words is not None:
                found[flow.condition] = words
    return found
