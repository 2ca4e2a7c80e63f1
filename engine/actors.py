"""Who is acting: the engine needs a name and the departments a person belongs to, nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    username: str
    departments: frozenset[str] = field(default_factory=frozenset)
    # Sees every department's tasks (centre supervisors, the group centre, administrators); acting on a
    # task still needs membership of its department.
    sees_all: bool = False

    def member_of(self, department: str) -> bool:
        return department in self.departments

    def can_see(self, department: str) -> bool:
        return self.sees_all or department in self.departments


SYSTEM = Actor("system", sees_all=True)
