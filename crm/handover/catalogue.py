"""The defect catalogue (缺陷库) a new installation starts with: the typical items of a residential handover
inspection, grouped category → part → item, each with the severity and days to rectify it usually gets.
Administrators edit it from there."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.handover.models import CatalogueItem

# category, part, item, severity, days to rectify
DEFAULT_CATALOGUE: tuple[tuple[str, str, str, str, int], ...] = (
    ("土建", "墙面", "空鼓", "normal", 7),
    ("土建", "墙面", "开裂", "normal", 7),
    ("土建", "墙面", "渗水", "serious", 5),
    ("土建", "地面", "空鼓", "normal", 7),
    ("土建", "地面", "起砂", "minor", 10),
    ("土建", "地面", "不平整", "minor", 10),
    ("土建", "顶棚", "开裂", "normal", 7),
    ("土建", "顶棚", "渗漏", "serious", 5),
    ("门窗", "入户门", "变形、关闭不严", "normal", 7),
    ("门窗", "外窗", "渗漏", "serious", 5),
    ("门窗", "外窗", "玻璃划伤、破损", "normal", 7),
    ("门窗", "外窗", "五金件松动", "minor", 7),
    ("给排水", "下水管", "堵塞", "serious", 3),
    ("给排水", "给水管", "渗漏", "serious", 3),
    ("给排水", "地漏", "排水不畅", "normal", 5),
    ("给排水", "卫生间", "闭水试验渗漏", "serious", 5),
    ("电气", "插座", "不通电", "normal", 5),
    ("电气", "开关", "松动、失灵", "minor", 5),
    ("电气", "配电箱", "标识不清", "minor", 10),
    ("装饰装修", "墙面涂料", "污染、色差", "minor", 10),
    ("装饰装修", "瓷砖", "空鼓、破损", "normal", 7),
    ("装饰装修", "木地板", "起拱、异响", "normal", 7),
    ("装饰装修", "橱柜", "门板不平、损坏", "minor", 10),
    ("公共部位", "楼梯间", "扶手松动", "normal", 7),
    ("公共部位", "外立面", "渗水", "serious", 10),
)


def install_default(session: Session) -> int:
    """Load the default catalogue into an empty one; returns how many items were added."""
    if session.scalar(select(func.count()).select_from(CatalogueItem)):
        return 0
    for position, (category, part, item, severity, days) in enumerate(DEFAULT_CATALOGUE):
        session.add(
            CatalogueItem(
                category=category,
                part=part,
                item=item,
                severity=severity,
                rectify_days=days,
                position=position,
            )
        )
    session.flush()
    return len(DEFAULT_CATALOGUE)
