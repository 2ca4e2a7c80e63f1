"""Which department a human task goes to: names and codes matched case-insensitively, lanes mapped at deploy.

The same rules serve deploy (which stores each task's department with the version) and the runtime (which
resolves candidateGroups expressions, and routes tasks a version's stored data does not list):

1. a department code or name, in any case ("Engineering", "ENGINEERING", "工程部");
2. a lane or group name the person deploying mapped with `--lane NAME=DEPARTMENT` (`DeployOptions.lanes`,
   names matched in any case), the department itself given by code or name;
3. for a task whose lane gives none of these (or that has no lane), the default department
   (`--default-department`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.bpmn_meta import DeployOptions, HumanTaskMeta


class RoutingError(Exception):
    """A human task whose department cannot be determined: the instance fails rather than losing it."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id


def _fold(text: str) -> str:
    return text.strip().casefold()


class Departments:
    """Department codes and names (each mapped to its code), looked up in any case."""

    def __init__(self, lookup: Mapping[str, str]) -> None:
        self.lookup = lookup
        self._folded = {_fold(name): code for name, code in lookup.items()}

    def code(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.lookup.get(name) or self._folded.get(_fold(name))

    def mapped(self, name: str | None, options: DeployOptions) -> str | None:
        """The department a lane or group name stands for: through the deploy's mapping first, then by
        itself being a department's code or name."""
        if name is None:
            return None
        target = _mapping(options).get(_fold(name))
        if target is not None:
            return self.code(target)
        return self.code(name)

    def lane(self, lane: str | None, options: DeployOptions) -> str | None:
        """A task's department from its lane, else the default department (None when neither gives one)."""
        return self.mapped(lane, options) or self.code(options.default_department)

    def unknown_in(self, options: DeployOptions) -> list[str]:
        """What the options name that is no department, as messages."""
        found = []
        if options.default_department and self.code(options.default_department) is None:
            found.append(
                f"the default department '{options.default_department}' is not a department's code or name"
            )
        for lane, target in options.lanes.items():
            if self.code(target) is None:
                found.append(
                    f"the lane mapping '{lane}={target}': '{target}' is not a department's code or name"
                )
        return found

    def of_task(self, meta: HumanTaskMeta) -> list[str]:
        """The departments deploy stored for a task (its own first); raises RoutingError when none."""
        if meta.candidate_departments:
            return list(meta.candidate_departments)
        if meta.candidate_groups:
            return [meta.candidate_groups]
        if meta.department:
            return [meta.department]
        raise RoutingError(
            f"task '{meta.element_id}' has no department (lane '{meta.lane}')", meta.element_id
        )

    def candidates(self, value: Any, meta: HumanTaskMeta) -> list[str]:
        """The departments a candidateGroups expression gave: a department, a comma list or a list of them
        (its first is the task's own); raises RoutingError for anything that is not."""
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list | tuple) or not names:
            names = [value]
        codes: list[str] = []
        for name in names:
            code = self.code(str(name)) if isinstance(name, str) else None
            if code is None:
                raise RoutingError(
                    f"task '{meta.element_id}': candidateGroups '{meta.candidate_groups}' gave {name!r}, "
                    "which is not a department",
                    meta.element_id,
                )
            if code not in codes:
                codes.append(code)
        return codes


def _mapping(options: DeployOptions) -> dict[str, str]:
    return {_fold(lane): target for lane, target in options.lanes.items()}
