"""The organisation as the engine and the forms see it: departments, people, who may act."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.credentials import Credentials
from crm.estate.models import Contractor
from crm.models import Department, User, UserDepartment
from crm.policy import actor_of
from engine.actors import Actor
from lintel.clock import Clock

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_for(user: User) -> Actor:
    return actor_of(user)  # who oversees every department is the policy's to say


class Directory:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self._departments: list[Department] | None = None

    def departments(self) -> list[Department]:
        """All departments, read once per unit of work (routing and form choices both need them)."""
        if self._departments is None:
            self._departments = list(self.session.scalars(select(Department).order_by(Department.code)))
        return self._departments

    def forget_departments(self) -> None:
        self._departments = None

    def department_lookup(self) -> DepartmentLookup:
        """Code and name of every department, both mapping to the code: lanes may use either. A department
        created later in the unit of work (a contractor's, saved with its company) is found too."""
        lookup: dict[str, str] = {}
        for department in self.departments():
            lookup[department.name] = department.code
            lookup[department.code] = department.code
        return DepartmentLookup(self.session, lookup)

    def department_choices(self) -> list[tuple[str, str]]:
        return [(d.code, d.name) for d in self.departments()]

    def internal_department_choices(self) -> list[tuple[str, str]]:
        """The homebuilder's own departments, without the contractors' (a complaint is triaged to these)."""
        return [(d.code, d.name) for d in self.departments() if d.contractor_id is None]

    def contractor_choices(self) -> list[tuple[str, str]]:
        """Active contractors by name, their id as the value (whom engineering gives a defect to)."""
        return [
            (str(c.id), c.name)
            for c in self.session.scalars(
                select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
            )
        ]

    def member_choices(self, code: str) -> list[tuple[str, str]]:
        """Active members of a department by display name (a form's choice of person)."""
        return [
            (u.username, u.display_name)
            for u in self.session.scalars(
                select(User)
                .join(UserDepartment, UserDepartment.user_id == User.id)
                .where(UserDepartment.department_code == code, User.active.is_(True))
                .order_by(User.display_name)
            )
        ]

    def user(self, username: str) -> User | None:
        return self.session.scalars(select(User).where(User.username == username)).first()

    def user_exists(self, username: str) -> bool:
        """Whether an account has this username (a diagram's literal assignee must name one)."""
        return self.user(username) is not None

    def user_active(self, username: str) -> bool:
        """Whether the username is an active account (a task is only assigned to one)."""
        user = self.user(username)
        return user is not None and user.active

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this password, else None. An unknown username costs the same password
        check as a known one, so the answer's timing does not tell which usernames exist."""
        user = self.user(username)
        if user is None:
            check_password(_unknown_user_hash(), password)
            return None
        if not check_password(user.password_hash, password) or not user.active:
            return None
        return user

    def issue_token(self, user: User) -> str:
        """A new API token of the default lifetime (the pages and `lintel token` set the lifetime)."""
        return Credentials(self.session, self.clock).issue_token(user).value

    def user_for_token(self, token: str) -> User | None:
        return Credentials(self.session, self.clock).user_for_token(token)


class DepartmentLookup(Mapping[str, str]):
    """The departments read when the unit of work began, and any created since, read when first asked
    for by exact code or name (a step routed to a contractor's department saved moments before)."""

    def __init__(self, session: Session, known: dict[str, str]) -> None:
        self.session = session
        self.known = known

    def __getitem__(self, name: str) -> str:
        found = self.known.get(name)
        if found is None and isinstance(name, str) and 0 < len(name) <= 100:
            found = self.session.scalars(
                select(Department.code).where((Department.code == name) | (Department.name == name))
            ).first()
            if found is not None:
                self.known[name] = found
        if found is None:
            raise KeyError(name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


@cache
def _unknown_user_hash() -> str:
    return _hasher.hash("no such user")
