"""The demo's owners' open day (业主开放日): a project's buildings not yet handed over, walked unit by unit
with their owners nine days ago, each defect registered as the tablet does (Defects.register, with its
photo) and then played through its rectification as engineering, the contractors, the inspector and the
centre would have — assigned, rectified with photos, re-verified (some failing, once or twice), confirmed
with the owner and closed — so that today the defects stand in every state: 待分派, 整改中 (on time and
overdue), 待复验 after a failed round, 待业主确认, 已销号; two units have all theirs closed (ready for
handover). The contractors, their departments and a demo account each come with it.

Like the demo complaints (crm.demo_cases), each step is a dated move played on a clock that the caller moves
from the open day to now, firing the timers that fall due in between.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crm.attachments import Attachments
from crm.demo import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from crm.directory import actor_for, hash_password
from crm.estate.models import Building, Contract, Contractor, Ownership, Project, Unit
from crm.handover import demo_photos
from crm.handover.demo_open_day_data import (
    ACCOUNTS,
    ASSIGNER,
    CONFIRMER,
    CONTRACTORS,
    DEFECTS,
    ENGINEER,
    FAILED,
    PLANS,
    RECTIFIED,
    TRADES,
    DemoDefect,
)
from crm.handover.models import CatalogueItem, InspectionSession, UnitWalk
from crm.models import Department, User, UserDepartment
from crm.platform import Platform
from engine.errors import EngineError
from lintel.clock import SHANGHAI

PROJECT_CODE = "JNF"
OPEN_DAY_AGO = timedelta(days=9)
PHOTO_BYTES = 5 * 1024 * 1024
UNITS_PER_BUILDING = 4


@dataclass(frozen=True)
class Move:
    at: datetime
    play: Callable[[Platform, Attachments], None]
    registers: bool = False  # records a defect


def session_title(project: Project) -> str:
    return f"{project.name}业主开放日"


def has_open_day(platform: Platform) -> bool:
    """The demo's open day is there already (or the demo project is not)."""
    project = _project(platform)
    if project is None:
        return True
    found = platform.session.scalar(
        select(func.count())
        .select_from(InspectionSession)
        .where(InspectionSession.project_id == project.id, InspectionSession.kind == "open_day")
    )
    return bool(found)


def moves(platform: Platform, now: datetime) -> list[Move]:
    """Every step of the open day, dated from now, oldest first; the clock stands at each when played."""
    project = _project(platform)
    if project is None:
        raise EngineError(f"the demo open day needs the demo project {PROJECT_CODE} (lintel init --demo)")
    buildings = _buildings(platform, project)
    units = [unit.id for building in buildings for unit in _units(platform, building)]
    day = (now - OPEN_DAY_AGO).astimezone(SHANGHAI).date()
    opens = datetime.combine(day, time(9, 30), SHANGHAI)
    state: dict[str, Any] = {"walks": {}, "defects": {}}
    result = [Move(opens - timedelta(days=10), _prepare(project, buildings, day, state))]
    for index, defect in enumerate(DEFECTS):
        unit_index = defect.unit
        order = unit_index if unit_index is not None else len(units)
        registered = opens + timedelta(minutes=40 * order + 7 * index)
        if unit_index is not None and unit_index >= len(units):
            continue  # a small install with fewer units: its defects are left out
        unit_id = units[unit_index] if unit_index is not None else None
        building_id = buildings[-1].id
        result.append(Move(registered, _register(index, defect, unit_id, building_id, state), True))
        steps, _days = PLANS[defect.plan]
        for hours, action in steps:
            result.append(Move(registered + timedelta(hours=hours), _act(index, defect, action, state)))
    return sorted((m for m in result if m.at <= now), key=lambda m: m.at)


def _project(platform: Platform) -> Project | None:
    return platform.session.scalars(select(Project).where(Project.code == PROJECT_CODE)).first()


def _buildings(platform: Platform, project: Project) -> list[Building]:
    """Two buildings whose keys are still to come (no unit handed over), else the project's first two."""
    session = platform.session
    buildings = list(
        session.scalars(select(Building).where(Building.project_id == project.id).order_by(Building.id))
    )
    handed = set(
        session.scalars(
            select(Unit.building_id)
            .join(Contract, Contract.unit_id == Unit.id)
            .where(Contract.status == "handed_over")
            .distinct()
        )
    )
    waiting = [b for b in buildings if b.id not in handed and _units(platform, b)]
    return (waiting or buildings)[:2]


def _units(platform: Platform, building: Building) -> list[Unit]:
    """The units walked in a building: those with an owner first (they came to the open day)."""
    session = platform.session
    owned = set(session.scalars(select(Ownership.unit_id).where(Ownership.ended_on.is_(None))))
    units = list(session.scalars(select(Unit).where(Unit.building_id == building.id).order_by(Unit.number)))
    units.sort(key=lambda u: (u.id not in owned, u.number))
    return units[:UNITS_PER_BUILDING]


def _trade(category: str, item: str) -> str:
    """Who rectifies what: leaks go to the waterproofing trade, a building's common parts to the builder."""
    if category == "土建" and "渗" in item:
        return "防水"
    return {"公共部位": "土建"}.get(category, category)


def _prepare(
    project: Project, buildings: list[Building], day: Any, state: dict[str, Any]
) -> Callable[[Platform, Attachments], None]:
    def play(platform: Platform, _files: Attachments) -> None:
        session = platform.session
        companies: dict[str, int] = {}  # trade -> contractor
        workers: dict[int, str] = {}  # contractor -> who closes its defects
        for trade in TRADES:
            company = _company(platform, trade)
            companies[trade] = company.id
            if company.id not in workers:
                workers[company.id] = _worker(platform, company, trade)
        inspection = InspectionSession(
            project_id=project.id,
            kind="open_day",
            title=session_title(project),
            starts_on=day,
            ends_on=day + timedelta(days=1),
            building_ids=[b.id for b in buildings],
            inspectors=[ENGINEER],
            created_at=platform.clock.now(),
            created_by=CONFIRMER,
        )
        session.add(inspection)
        session.flush()
        state["session"] = inspection.id
        state["companies"] = companies
        state["workers"] = workers

    return play


def _register(
    index: int, defect: DemoDefect, unit_id: int | None, building_id: int, state: dict[str, Any]
) -> Callable[[Platform, Attachments], None]:
    def play(platform: Platform, files: Attachments) -> None:
        session = platform.session
        walk_id = None
        if unit_id is not None:
            walk_id = state["walks"].get(unit_id)
            if walk_id is None:
                walk = UnitWalk(
                    session_id=state["session"],
                    unit_id=unit_id,
                    owner_id=_contact_owner(platform, unit_id),
                    inspector=ENGINEER,
                    started_at=platform.clock.now(),
                )
                session.add(walk)
                session.flush()
                walk_id = state["walks"][unit_id] = walk.id
        category, part, item = defect.what
        entry = session.scalars(
            select(CatalogueItem).where(
                CatalogueItem.category == category, CatalogueItem.part == part, CatalogueItem.item == item
            )
        ).first()
        _steps, days = PLANS[defect.plan]
        values: dict[str, Any] = {
            "unit_id": unit_id,
            "building_id": None if unit_id is not None else building_id,
            "session_id": state["session"],
            "walk_id": walk_id,
            "source": "open_day",
            "room": defect.room,
            "catalogue_id": entry.id if entry is not None else None,
            "category": category,
            "part": part,
            "item": item,
            "description": defect.description,
            "spot_x": defect.spot[0],
            "spot_y": defect.spot[1],
        }
        if days is not None:
            values["rectify_days"] = days
        if entry is None:
            values["severity"] = "normal"
        registered, _new = platform.defects.register(_actor(platform, ENGINEER), values)
        assert registered.instance_id is not None
        photo = io.BytesIO(demo_photos.before(index))
        files.store(registered.instance_id, ENGINEER, f"{part}{item}.png", photo, field="photos")
        state["defects"][index] = registered.instance_id

    return play


def _act(
    index: int, defect: DemoDefect, action: str, state: dict[str, Any]
) -> Callable[[Platform, Attachments], None]:
    def play(platform: Platform, files: Attachments) -> None:
        instance_id = state["defects"][index]
        steps = [t for t in platform.tasks.open_tasks_of(instance_id) if (t.kind or "task") == "task"]
        if len(steps) != 1:
            raise EngineError(f"demo defect {index + 1}: expected one open step, found {len(steps)}")
        task = steps[0]
        category, part, item = defect.what
        data: dict[str, Any]
        if action == "assign":
            who = ASSIGNER
            _steps, days = PLANS[defect.plan]
            data = {"rectify_days": days or _catalogue_days(platform, defect) or 7}
            if defect.by_engineer:
                data["rectifier"] = ENGINEER
            else:
                data["contractor"] = str(state["companies"][_trade(category, item)])
        elif action == "rectify":
            company = state["companies"][_trade(category, item)]
            who = ENGINEER if defect.by_engineer else state["workers"][company]
            photo = io.BytesIO(demo_photos.after(index))
            stored = files.store(
                instance_id, who, f"整改后-{part}.png", photo, task_id=task.id, field="evidence"
            )
            data = {"rectification": RECTIFIED[category], "evidence": [stored.token]}
        elif action in ("pass", "fail"):
            who = ENGINEER
            data = {"verified": action}
            if action == "fail":
                data["verify_note"] = FAILED[index % len(FAILED)]
        else:
            who = CONFIRMER
            data = {"confirmed": "yes", "confirm_note": "业主现场查看后确认已整改。"}
        platform.tasks.complete(task.id, data, _actor(platform, who))

    return play


def _company(platform: Platform, trade: str) -> Contractor:
    """The first active company on file working in the trade, else the demo's own (recorded now)."""
    session = platform.session
    active = select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.id)
    for company in session.scalars(active):
        if trade in (company.trades or []):
            return company
    name, trades, contact, phone = next(c for c in CONTRACTORS if trade in c[1])
    return platform.records.save_contractor(None, name=name, contact_name=contact, phone=phone, trades=trades)


def _worker(platform: Platform, company: Contractor, trade: str) -> str:
    """Someone of the company's own department (contractor_<id>, made if it is missing): its first active
    member, else a demo account for it."""
    session = platform.session
    department = session.scalars(select(Department).where(Department.contractor_id == company.id)).first()
    if department is None:
        department = Department(code=f"contractor_{company.id}", name=company.name, contractor_id=company.id)
        session.add(department)
        session.flush()
    member = session.scalars(
        select(User)
        .join(UserDepartment, UserDepartment.user_id == User.id)
        .where(UserDepartment.department_code == department.code, User.active.is_(True))
        .order_by(User.id)
    ).first()
    if member is not None:
        return member.username
    username = ACCOUNTS[trade]
    session.add(
        User(
            username=username,
            display_name=f"{company.contact_name or username}（{company.name}）",
            password_hash=hash_password(DEMO_PASSWORD),
            roles="contractor",
            departments=[department],
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
        )
    )
    session.flush()
    return username


def _catalogue_days(platform: Platform, defect: DemoDefect) -> int | None:
    category, part, item = defect.what
    return platform.session.scalar(
        select(CatalogueItem.rectify_days).where(
            CatalogueItem.category == category, CatalogueItem.part == part, CatalogueItem.item == item
        )
    )


def _contact_owner(platform: Platform, unit_id: int) -> int | None:
    rows = platform.session.execute(
        select(Ownership.owner_id, Ownership.is_contact).where(
            Ownership.unit_id == unit_id, Ownership.ended_on.is_(None)
        )
    ).all()
    return next((r.owner_id for r in rows if r.is_contact), rows[0].owner_id if rows else None)


def _actor(platform: Platform, username: str) -> Any:
    user = platform.directory.user(username)
    if user is None:
        raise EngineError(f"the demo open day needs the demo account '{username}' (lintel init --demo)")
    return actor_for(user)


def uploads_attachments(platform: Platform, folder: Path) -> Attachments:
    return Attachments(platform.session, platform.clock, folder, PHOTO_BYTES)
