"""The demo's monthly progress notices (楼盘进度通报), so that 业主通报 shows them at work: this month's
notice of each project under construction, started by the platform on the 1st (or a little before now,
early on the 1st), and engineering's reports played after it — a small project (at most SMALL buildings
with buyers waiting, the demo's 湖光里) reported in full and submitted, so the centre now drafts it from
the prefilled text; a larger one (江南府) reported for half of those buildings and still open, the rest
to be reported on its progress page.

Site photos are not made up: a demo has no real ones, and a drawn placeholder is no photo.
Like the demo complaints, each step is a dated move played on a clock the caller moves to now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from crm.bulletins import audience
from crm.bulletins.bulletins import bulletin_of, period_of
from crm.bulletins.models import Bulletin, natural_order
from crm.directory import actor_for
from crm.estate.models import Building
from crm.platform import Platform
from engine.actors import SYSTEM, Actor
from lintel.clock import SHANGHAI

ENGINEER = "eng"
SMALL = 3
# What engineering writes, building after building.
REPORTS = (
    ("主体封顶", 62, "主体结构于本月中旬全部封顶，外架开始分段拆除。"),
    ("砌体工程", 55, "12层以下砌体完成，水电预埋同步进行。"),
    ("外立面施工", 78, "外墙真石漆施工至8层，预计下月完成。"),
    ("外立面施工", 74, "外墙保温完成，涂料施工中。"),
    ("室内安装", 70, "公共区域消防管线安装中。"),
    ("精装修", 83, "户内精装修进入收口阶段。"),
)


@dataclass(frozen=True)
class Move:
    at: datetime
    play: Callable[[Platform], None]
    starts: bool = False  # starts a notice


def has_progress_notices(platform: Platform) -> bool:
    found = platform.session.scalar(
        select(func.count()).select_from(Bulletin).where(Bulletin.kind == "progress")
    )
    return bool(found)


def _started_at(now: datetime) -> datetime:
    """The platform starts the month's notices on the 1st at 9:00; early on the 1st, an hour ago."""
    local = now.astimezone(SHANGHAI)
    first = datetime.combine(local.date().replace(day=1), time(9, 0), SHANGHAI)
    return first if first <= now - timedelta(hours=2) else now - timedelta(hours=1)


def moves(platform: Platform, now: datetime) -> list[Move]:
    """Each project's notice and reports, dated between the start of the month and now."""
    session = platform.session
    started = _started_at(now)
    step = (now - started) / 20
    result = []
    for project_id in session.scalars(audience.under_construction()):
        waiting = session.scalars(
            select(Building).where(Building.id.in_(audience.waiting_buildings(project_id)))
        )
        names = sorted((b.name for b in waiting), key=natural_order)
        submitted = len(names) <= SMALL
        reported = names if submitted else names[: len(names) // 2]
        found: dict[str, int] = {}
        result.append(Move(started, _start(project_id, found), starts=True))
        for index, name in enumerate(reported):
            report = REPORTS[index % len(REPORTS)]
            result.append(Move(started + step * (index + 1), _report(name, report, found)))
        if submitted:
            result.append(Move(started + step * (len(reported) + 2), _submit(found)))
    return sorted(result, key=lambda move: move.at)


def _engineer(platform: Platform) -> Actor:
    user = platform.directory.user(ENGINEER)
    assert user is not None, "the demo staff (lintel init --demo)"
    return actor_for(user)


def _bulletin(platform: Platform, found: dict[str, int]) -> Bulletin:
    bulletin = bulletin_of(platform.session, found["instance"])
    assert bulletin is not None
    return bulletin


def _start(project_id: int, found: dict[str, int]) -> Callable[[Platform], None]:
    def play(platform: Platform) -> None:
        # The platform's monthly timer may have started it already, as it would in production.
        started = platform.session.scalar(
            select(Bulletin.instance_id).where(
                Bulletin.kind == "progress",
                Bulletin.project_id == project_id,
                Bulletin.period == period_of(platform.clock.now()),
            )
        )
        found["instance"] = started or platform.bulletins.start_progress({"project_id": project_id}, SYSTEM)

    return play


def _report(name: str, report: tuple[str, int, str], found: dict[str, int]) -> Callable[[Platform], None]:
    def play(platform: Platform) -> None:
        bulletin = _bulletin(platform, found)
        building = platform.session.scalars(
            select(Building).where(Building.project_id == bulletin.project_id, Building.name == name)
        ).one()
        milestone, percent, note = report
        values = {"milestone": milestone, "percent": percent, "note": note}
        platform.progress_reports.save(bulletin, building.id, values, _engineer(platform))

    return play


def _submit(found: dict[str, int]) -> Callable[[Platform], None]:
    def play(platform: Platform) -> None:
        platform.progress_reports.submit(_bulletin(platform, found), "", _engineer(platform))

    return play
