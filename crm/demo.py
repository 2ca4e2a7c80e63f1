"""Demo organisation and customers: enough to walk every workflow on a fresh install."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.directory import hash_password
from crm.estate.models import Building, Owner, Ownership, Project, Unit
from crm.estate.people import name_keys
from crm.models import Department, User

DEMO_PASSWORD = "demo"

DEPARTMENTS = [
    ("crc", "客户关系中心", "crc_sup"),
    ("engineering", "工程部", "eng_mgr"),
    ("design", "设计部", "design"),
    ("property", "物业服务中心", "property"),
    ("marketing", "营销部", "marketing"),
    ("group_crc", "集团客户关系中心", "group_crc"),
]

# username, display name, roles, departments
USERS = [
    ("admin", "系统管理员", "administrator,process_owner", ["crc"]),
    ("crc", "李娜（客服专员）", "coordinator", ["crc"]),
    ("crc_sup", "王强（客服中心主管）", "supervisor,coordinator", ["crc"]),
    ("eng", "赵工（工程部）", "handler,inspector", ["engineering"]),
    ("eng_mgr", "孙经理（工程部经理）", "manager,handler", ["engineering"]),
    ("group_crc", "周总（集团客户关系中心）", "group", ["group_crc"]),
    ("design", "吴工（设计部）", "handler", ["design"]),
    ("property", "郑主管（物业服务中心）", "handler", ["property"]),
    ("marketing", "钱经理（营销部）", "handler", ["marketing"]),
]

OWNERS = [
    ("张伟", "13800000001", "regular", ("1栋", "1201")),
    ("王芳", "13800000002", "regular", ("1栋", "1202")),
    ("刘洋", "13800000003", "major", ("2栋", "0801")),
    ("陈静", "13800000004", "regular", ("2栋", "0802")),
    ("杨磊", "13800000005", "group", ("3栋", "1501")),
]


@lru_cache(maxsize=1)
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def load_departments(session: Session) -> None:
    """The centre's standard departments (a fresh install's routing needs them); existing ones are kept."""
    existing = set(session.scalars(select(Department.code)))
    for code, name, manager in DEPARTMENTS:
        if code not in existing:
            session.add(Department(code=code, name=name, manager_username=manager))
    session.flush()


def load_staff(session: Session) -> None:
    """Demo staff accounts, password 'demo' — for trying Lintel, never for production."""
    departments = {d.code: d for d in session.scalars(select(Department))}
    known = set(session.scalars(select(User.username)))
    for username, display, roles, codes in USERS:
        if username in known:
            continue
        session.add(
            User(
                username=username,
                display_name=display,
                password_hash=_demo_hash(),
                roles=roles,
                departments=[departments[c] for c in codes],
            )
        )
    session.flush()


def load_organisation(session: Session) -> None:
    """Departments and the demo staff accounts."""
    load_departments(session)
    load_staff(session)


def load_customers(session: Session) -> None:
    """One project under construction with three buildings, units and their owners."""
    if session.scalars(select(Project).where(Project.code == "JNF")).first() is not None:
        return
    project = Project(code="JNF", name="江南府", city="杭州")
    session.add(project)
    buildings = {name: Building(project=project, name=name) for name in ("1栋", "2栋", "3栋")}
    session.add_all(buildings.values())
    units: dict[tuple[str, str], Unit] = {}
    for building_name, building in buildings.items():
        for floor in (8, 12, 15):
            for door in (1, 2):
                number = f"{floor:02d}{door:02d}"
                units[(building_name, number)] = Unit(building=building, number=number)
    session.add_all(units.values())
    for name, phone, tier, unit_key in OWNERS:
        initials, pinyin = name_keys(name)
        owner = Owner(name=name, phone=phone, tier=tier, name_initials=initials, name_pinyin=pinyin)
        session.add(owner)
        session.flush()
        session.add(Ownership(owner_id=owner.id, unit_id=units[unit_key].id, is_contact=True))
    session.flush()


def load_demo(session: Session) -> None:
    load_organisation(session)
    load_customers(session)
