"""Administering staff accounts and departments: what the administrator's pages call."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.credentials import revoke_all
from crm.directory import hash_password
from crm.estate.people import normalise_phone
from crm.models import Department, User, UserDepartment
from engine.errors import InvalidData, NotFound

ROLES = (
    "administrator",
    "coordinator",
    "supervisor",
    "handler",
    "manager",
    "inspector",
    "process_owner",
    "group",
    "contractor",
)
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,99}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROBOT_KINDS = ("wecom", "dingtalk")


def _company_account(roles: list[str], departments: list[Department], errors: dict[str, str]) -> None:
    """A contractor's person works for one company and is nothing else here: the role `contractor` alone,
    in exactly that company's department; the centre's own people join no contractor's department."""
    companies = [d for d in departments if d.contractor_id is not None]
    if "contractor" in roles:
        if len(roles) > 1:
            errors["roles"] = "a contractor's account has the contractor role only"
        if len(companies) != 1 or len(departments) != 1:
            errors["departments"] = "a contractor's account belongs to exactly one contractor company"
    elif companies:
        errors["departments"] = "only a contractor's account (role contractor) joins a contractor company"


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


class StaffAdmin:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- people -----------------------------------------------------------------------------------------

    def users(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.active.desc(), User.username)))

    def user(self, user_id: int) -> User:
        found = self.session.get(User, user_id)
        if found is None:
            raise NotFound(f"user {user_id} does not exist")
        return found

    def members_of(self, code: str) -> list[User]:
        """Active members of a department: whom a task of it can be given to."""
        return list(
            self.session.scalars(
                select(User)
                .join(UserDepartment, UserDepartment.user_id == User.id)
                .where(UserDepartment.department_code == code, User.active.is_(True))
                .order_by(User.username)
            )
        )

    def colleagues_of(self, departments: Iterable[str]) -> list[User]:
        """Active members of any of these departments, by name: whom work can be handed to."""
        codes = sorted(set(departments))
        if not codes:
            return []
        return list(
            self.session.scalars(
                select(User)
                .where(
                    User.active.is_(True),
                    User.id.in_(
                        select(UserDepartment.user_id).where(UserDepartment.department_code.in_(codes))
                    ),
                )
                .order_by(User.display_name)
            )
        )

    def display_names(self, usernames: Iterable[str]) -> dict[str, str]:
        names = sorted({u for u in usernames if u})
        if not names:
            return {}
        rows = self.session.execute(select(User.username, User.display_name).where(User.username.in_(names)))
        return {username: display for username, display in rows}

    def create_user(
        self,
        *,
        username: object,
        display_name: object,
        password: object,
        roles: Iterable[object],
        departments: Iterable[object],
        email: object = None,
        phone: object = None,
    ) -> User:
        errors: dict[str, str] = {}
        name = _text(username).lower()
        if not _USERNAME.match(name):
            errors["username"] = "2–100 lowercase letters, digits, '.', '_' or '-', starting with a letter"
        elif self.session.scalar(select(func.count()).select_from(User).where(User.username == name)):
            errors["username"] = "this username is taken"
        self._check_password(password, errors)
        display = self._display_name(display_name, errors)
        role_list = self._roles(roles, errors)
        found = self._departments(departments, errors)
        _company_account(role_list, found, errors)
        address, number = contact(email, phone, errors)
        if errors:
            raise InvalidData("the account has errors", errors)
        user = User(
            username=name,
            display_name=display or name,
            password_hash=hash_password(str(password)),
            roles=",".join(role_list),
            departments=found,
            email=address,
            phone=number,
        )
        self.session.add(user)
        self.session.flush()
        return user

    def update_user(
        self,
        user: User,
        *,
        display_name: object,
        roles: Iterable[object],
        departments: Iterable[object],
        acting: User,
        email: object = None,
        phone: object = None,
    ) -> None:
        """Email and phone empty: the person hears about their work by the bell only."""
        errors: dict[str, str] = {}
        display = self._display_name(display_name, errors)
        role_list = self._roles(roles, errors)
        found = self._departments(departments, errors)
        _company_account(role_list, found, errors)
        address, number = contact(email, phone, errors)
        if user.id == acting.id and "administrator" not in role_list:
            errors["roles"] = "you cannot take the administrator role away from yourself"
        if errors:
            raise InvalidData("the account has errors", errors)
        user.display_name = display or user.username
        user.roles = ",".join(role_list)
        user.departments = found
        user.email, user.phone = address, number
        self.session.flush()

    def set_password(self, user: User, password: object) -> None:
        errors: dict[str, str] = {}
        self._check_password(password, errors)
        if errors:
            raise InvalidData("the password is not accepted", errors)
        user.password_hash = hash_password(str(password))
        revoke_all(self.session, user)

    def set_active(self, user: User, active: bool, *, acting: User) -> None:
        if not active and user.id == acting.id:
            raise InvalidData("you cannot deactivate yourself", {"active": "you cannot deactivate yourself"})
        user.active = active
        if not active:
            revoke_all(self.session, user)
        self.session.flush()

    @staticmethod
    def _check_password(password: object, errors: dict[str, str]) -> None:
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            errors["password"] = f"must be at least {MIN_PASSWORD} characters"
        elif len(password) > 200:
            errors["password"] = "must be at most 200 characters"

    @staticmethod
    def _display_name(value: object, errors: dict[str, str]) -> str:
        display = _text(value)
        if len(display) > 100:
            errors["display_name"] = "must be at most 100 characters"
        return display

    @staticmethod
    def _roles(values: Iterable[object], errors: dict[str, str]) -> list[str]:
        chosen = [_text(v) for v in values if _text(v)]
        unknown = [r for r in chosen if r not in ROLES]
        if unknown:
            errors["roles"] = "unknown role(s): " + ", ".join(unknown)
        return [r for r in ROLES if r in chosen]

    def _departments(self, values: Iterable[object], errors: dict[str, str]) -> list[Department]:
        codes = sorted({_text(v) for v in values if _text(v)})
        found = list(self.session.scalars(select(Department).where(Department.code.in_(codes))))
        missing = sorted(set(codes) - {d.code for d in found})
        if missing:
            errors["departments"] = "unknown department(s): " + ", ".join(missing)
        return found

    # -- departments ------------------------------------------------------------------------------------

    def departments(self) -> list[Department]:
        return list(self.session.scalars(select(Department).order_by(Department.code)))

    def department(self, code: str) -> Department:
        found = self.session.get(Department, code)
        if found is None:
            raise NotFound(f"department '{code}' does not exist")
        return found

    def create_department(self, *, code: object, name: object, manager: object) -> Department:
        errors: dict[str, str] = {}
        code_text = _text(code).lower()
        if not _CODE.match(code_text):
            errors["code"] = "2–64 lowercase letters, digits or '_', starting with a letter"
        elif self.session.get(Department, code_text) is not None:
            errors["code"] = "this code is taken"
        department = Department(code=code_text)
        self._apply(department, name, manager, errors)
        if errors:
            raise InvalidData("the department has errors", errors)
        self.session.add(department)
        self.session.flush()
        return department

    def update_department(
        self,
        department: Department,
        *,
        name: object,
        manager: object,
        robot_kind: object = None,
        robot_url: object = None,
        robot_secret: object = None,
    ) -> None:
        """The robot: its kind and webhook URL (both empty: none); an empty secret keeps the one stored
        (it is never shown again), and goes with the robot when the robot is removed."""
        errors: dict[str, str] = {}
        self._apply(department, name, manager, errors)
        kind, url, secret = robot(robot_kind, robot_url, robot_secret, errors)
        if errors:
            raise InvalidData("the department has errors", errors)
        department.robot_kind, department.robot_url = kind, url
        if kind is None and url is None:
            department.robot_secret = None
        elif secret is not None:
            department.robot_secret = secret
        self.session.flush()

    def _apply(self, department: Department, name: object, manager: object, errors: dict[str, str]) -> None:
        title = _text(name)
        if not title:
            errors["name"] = "required"
        elif len(title) > 100:
            errors["name"] = "must be at most 100 characters"
        elif self.session.scalar(
            select(func.count())
            .select_from(Department)
            .where(Department.name == title, Department.code != (department.code or ""))
        ):
            errors["name"] = "another department has this name"
        manager_name = _text(manager) or None
        if manager_name is not None and not self.session.scalar(
            select(func.count()).select_from(User).where(User.username == manager_name, User.active.is_(True))
        ):
            errors["manager"] = "no active user with this username"
        if not errors:
            department.name = title
            department.manager_username = manager_name


def contact(email: object, phone: object, errors: dict[str, str]) -> tuple[str | None, str | None]:
    """A staff member's email and phone (each optional): the email's shape checked, the phone normalised
    as the records keep phones (a landline is accepted, but only a mobile receives SMS)."""
    address = _text(email) or None
    if address is not None and (len(address) > 200 or not _EMAIL.match(address)):
        errors["email"] = "not an email address"
    number = None
    if _text(phone):
        try:
            number = normalise_phone(phone)
        except InvalidData as invalid:
            errors["phone"] = next(iter(invalid.fields.values()))
    return address, number


def robot(
    kind: object, url: object, secret: object, errors: dict[str, str]
) -> tuple[str | None, str | None, str | None]:
    """A department's group robot: WeCom or DingTalk, its webhook over https; the kind may be chosen
    before the URL is pasted in (nothing is posted until it is)."""
    kind_text, url_text, secret_text = _text(kind) or None, _text(url) or None, _text(secret) or None
    if kind_text is not None and kind_text not in ROBOT_KINDS:
        errors["robot_kind"] = "must be wecom or dingtalk"
    if url_text is not None:
        if kind_text is None:
            errors["robot_kind"] = "choose the robot's kind"
        if len(url_text) > 500:
            errors["robot_url"] = "must be at most 500 characters"
        elif not re.match(r"^https://[^\s/]+\.[^\s]+$", url_text):
            errors["robot_url"] = "must be an https:// address"
    if secret_text is not None and len(secret_text) > 200:
        errors["robot_secret"] = "must be at most 200 characters"
    return kind_text, url_text, secret_text
