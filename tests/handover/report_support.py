"""A small, known set of defects for the report tests: two projects, three buildings, contractors, and
defects in every state, their dates and rounds set as the rectification loop leaves them on the rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm.estate.models import Building, Contractor, Project
from crm.handover.models import Defect, UnitWalk
from crm.platform import Platform
from lintel.clock import SHANGHAI, FixedClock
from tests.webapp.pages_support import actor

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


@dataclass
class Known:
    project: Project
    other: Project
    b1: Building
    b2: Building
    jia: Contractor  # 甲建设: two defects in the project, one in the other project
    yi: Contractor  # 乙防水: one overdue defect
    defects: dict[str, Defect]


def known_defects(platform: Platform, clock: FixedClock) -> Known:
    records = platform.records
    project = records.save_project(None, code="RPT", name="报表花园", phases=["一期"])
    b1 = records.save_building(None, project=project, name="1栋", phase="一期")
    b2 = records.save_building(None, project=project, name="2栋", phase="一期")
    u0101 = records.save_unit(None, building=b1, number="0101", floor="1")
    u0102 = records.save_unit(None, building=b1, number="0102", floor="1")
    u0201 = records.save_unit(None, building=b1, number="0201", floor="2")
    u2101 = records.save_unit(None, building=b2, number="0101", floor="1")
    other = records.save_project(None, code="OTH", name="对照小区", phases=["一期"])
    o1 = records.save_building(None, project=other, name="1栋", phase="一期")
    o0101 = records.save_unit(None, building=o1, number="0101", floor="1")
    jia = records.save_contractor(None, name="甲建设工程有限公司", trades=["土建"])
    yi = records.save_contractor(None, name="乙防水工程有限公司", trades=["防水"])
    platform.session.flush()
    eng = actor(platform, "eng")

    def register(
        key: str, when: datetime, unit: Any, category: str, part: str, item: str, **state: Any
    ) -> None:
        clock.set(when)
        severity = state.pop("severity", "normal")
        defect, _ = platform.defects.register(
            eng,
            {
                "unit_id": unit.id,
                "category": category,
                "part": part,
                "item": item,
                "severity": severity,
                "room": "客厅",
                "description": f"{part}{item}",
                "source": "open_day",
            },
        )
        for name, value in state.items():
            setattr(defect, name, value)
        found[key] = defect

    found: dict[str, Defect] = {}
    register(
        "closed", at(11, 10), u0101, "土建", "墙面", "空鼓",
        status="closed", contractor_id=jia.id, due_at=at(11, 17), rectified_at=at(11, 15),
        verified_at=at(11, 16), closed_at=at(11, 18), confirmed_by="crc",
    )  # fmt: skip
    register(
        "overdue", at(11, 11), u0101, "门窗", "外窗", "渗漏", severity="serious",
        status="rectifying", contractor_id=yi.id, due_at=at(11, 18), rectified_at=at(11, 14), rounds=1,
    )  # fmt: skip
    register(
        "verifying", at(11, 12), u0102, "给排水", "下水管", "堵塞", severity="serious",
        status="verifying", contractor_id=jia.id, due_at=at(11, 20, 12), rectified_at=at(11, 19),
    )  # fmt: skip
    register(
        "confirming", at(11, 12), u0102, "土建", "墙面", "空鼓",
        status="confirming", assignee="eng", due_at=at(11, 15), rectified_at=at(11, 16),
        verified_at=at(11, 17), rounds=2,
    )  # fmt: skip
    register("assigning", at(11, 13), u2101, "土建", "墙面", "开裂")
    register("cancelled", at(11, 13), u2101, "土建", "墙面", "空鼓", status="cancelled")
    register(
        "elsewhere", at(10, 1), o0101, "电气", "插座", "不通电",
        status="closed", contractor_id=jia.id, due_at=at(10, 5), rectified_at=at(10, 4),
        verified_at=at(10, 4), closed_at=at(10, 6),
    )  # fmt: skip
    # A unit walked without a defect found still counts as inspected.
    platform.session.add(UnitWalk(unit_id=u0201.id, inspector="eng", started_at=at(11, 12)))
    platform.session.flush()
    clock.set(NOW)
    return Known(project, other, b1, b2, jia, yi, found)
