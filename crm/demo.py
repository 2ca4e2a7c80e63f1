"""Demo organisation and customers: enough to walk every workflow on a fresh install."""

from __future__ import annotations

import csv
import io
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.directory import hash_password
from crm.estate.import_files import read_table
from crm.estate.imports import Importer
from crm.estate.models import Contractor, Project
from crm.handover.catalogue import install_default
from crm.handover.contractors import ensure_all, ensure_department
from crm.models import Department, User
from crm.visits import questionnaires
from lintel.clock import Clock, SystemClock

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
    # A contractor company's site manager: sees and closes only the company's defects (its department).
    ("builder", "蒋工（江南建工）", "contractor", ["contractor:江南建工集团有限公司"]),
]
# The demo contractor companies: the first is the one the demo contractor account works for.
CONTRACTORS = [
    ("江南建工集团有限公司", "蒋工", "13700000001", ["土建", "防水"]),
    ("恒安门窗工程有限公司", "韩经理", "13700000002", ["门窗"]),
]

# Where the demo staff hear about their work besides the bell: every account an example address, the
# managers a mobile too (an escalation reaches them by SMS).
DEMO_EMAIL_DOMAIN = "example.com"
DEMO_MOBILES = {"crc_sup": "13900000102", "eng_mgr": "13900000104", "group_crc": "13900000106"}
# A department whose group robot is chosen but its webhook not yet pasted in (posted nowhere until it is).
DEMO_ROBOTS = {"engineering": "wecom"}

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
    """The centre's standard departments (a fresh install's routing needs them), existing ones kept, and the
    default defect catalogue and return-visit questionnaires when there are none yet."""
    existing = set(session.scalars(select(Department.code)))
    for code, name, manager in DEPARTMENTS:
        if code not in existing:
            session.add(Department(code=code, name=name, manager_username=manager))
    session.flush()
    install_default(session)
    questionnaires.install_default(session, SystemClock())
    ensure_all(session)  # contractors recorded before their companies had departments


def load_contractors(session: Session) -> None:
    """The demo contractor companies (with their departments), those not recorded yet."""
    known = set(session.scalars(select(Contractor.name)))
    for name, contact_name, phone, trades in CONTRACTORS:
        if name in known:
            continue
        contractor = Contractor(name=name, contact_name=contact_name, phone=phone, trades=trades)
        session.add(contractor)
        session.flush()
        ensure_department(session, contractor)


def load_staff(session: Session) -> None:
    """Demo staff accounts, password 'demo' — for trying Lintel, never for production; and the demo
    contractor companies, whose account joins its company's department ("contractor:NAME")."""
    load_contractors(session)
    departments = {d.code: d for d in session.scalars(select(Department))}
    for department in list(departments.values()):
        if department.contractor_id is not None:
            contractor = session.get(Contractor, department.contractor_id)
            if contractor is not None:
                departments[f"contractor:{contractor.name}"] = department
    for code, robot in DEMO_ROBOTS.items():
        if code in departments and departments[code].robot_kind is None:
            departments[code].robot_kind = robot
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
                departments=[departments[c] for c in codes if c in departments],
                email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                phone=DEMO_MOBILES.get(username),
            )
        )
    session.flush()


def load_organisation(session: Session) -> None:
    """Departments and the demo staff accounts."""
    load_departments(session)
    load_staff(session)


def _rows(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def load_customers(session: Session, clock: Clock | None = None) -> None:
    """One project under construction with three buildings, units and the five demo owners, through the
    import as any centre's records come in; nothing when the project is there already."""
    if session.scalars(select(Project).where(Project.code == "JNF")).first() is not None:
        return
    clock = clock or SystemClock()
    units = [["project_code", "building", "unit_number", "floor"]]
    for building in ("1栋", "2栋", "3栋"):
        for floor in (8, 12, 15):
            units.extend(["JNF", building, f"{floor:02d}{door:02d}", floor] for door in (1, 2))
    owners: list[list[object]] = [
        ["project_code", "building", "unit_number", "owner_name", "phone", "is_contact", "tier"]
    ]
    owners.extend(["JNF", b, u, name, phone, 1, tier] for name, phone, tier, (b, u) in OWNERS)
    for kind, rows in (
        ("projects", [["project_code", "project_name", "city"], ["JNF", "江南府", "杭州"]]),
        ("units", units),
        ("owners", owners),
    ):
        Importer(session, clock).run(kind, read_table(f"{kind}.csv", _rows(rows)))
    session.flush()


def load_demo(session: Session, *, centre: bool = False, clock: Clock | None = None) -> None:
    """The demo organisation and customers; with `centre`, the whole believable centre (crm.demo_centre):
    `lintel init --demo` loads it, the test suite keeps to the five owners it knows."""
    load_organisation(session)
    load_customers(session, clock)
    if centre:
        from crm.demo_centre import load_centre

        load_centre(session, clock or SystemClock(), OWNERS)
