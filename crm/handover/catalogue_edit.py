"""The defect catalogue as administrators keep it: items added and changed (category → part → item, default
severity, days to rectify), put in the order inspectors find them on the tablet, and retired (deactivated:
the defects that name an item keep it, the capture page no longer offers it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.handover.models import SEVERITIES, CatalogueItem
from engine.errors import InvalidData, NotFound

LIMITS = {"category": 50, "part": 50, "item": 100}
MAX_DAYS = 365


class CatalogueEditor:
    def __init__(self, session: Session) -> None:
        self.session = session

    def items(self, *, active_only: bool = False) -> list[CatalogueItem]:
        query = select(CatalogueItem).order_by(CatalogueItem.position, CatalogueItem.id)
        if active_only:
            query = query.where(CatalogueItem.active.is_(True))
        return list(self.session.scalars(query))

    def get(self, item_id: int) -> CatalogueItem:
        found = self.session.get(CatalogueItem, item_id) if 0 < item_id < 2**31 else None
        if found is None:
            raise NotFound(f"catalogue item {item_id} does not exist")
        return found

    def tree(self) -> list[dict[str, Any]]:
        """The active items as the capture page offers them: categories, their parts, their items, in the
        administrators' order."""
        categories: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for row in self.items(active_only=True):
            categories.setdefault(row.category, {}).setdefault(row.part, []).append(
                {"id": row.id, "item": row.item, "severity": row.severity, "days": row.rectify_days}
            )
        return [
            {"category": category, "parts": [{"part": part, "items": items} for part, items in parts.items()]}
            for category, parts in categories.items()
        ]

    def save(self, values: Mapping[str, Any], existing: CatalogueItem | None = None) -> CatalogueItem:
        """Add an item (at the end of its part) or change one; every problem at once, a duplicate refused."""
        problems: dict[str, str] = {}
        text: dict[str, str] = {}
        for name, limit in LIMITS.items():
            raw = values.get(name)
            if not isinstance(raw, str) or not raw.strip():
                problems[name] = "required"
            elif len(raw.strip()) > limit:
                problems[name] = f"must be at most {limit} characters"
            else:
                text[name] = raw.strip()
        severity = values.get("severity")
        if severity not in SEVERITIES:
            problems["severity"] = "must be one of: " + ", ".join(SEVERITIES)
        days = _days(values.get("rectify_days"))
        if days is None:
            problems["rectify_days"] = f"must be a whole number of days from 1 to {MAX_DAYS}"
        if len(text) == len(LIMITS):
            same = self.session.scalars(
                select(CatalogueItem.id).where(
                    func.lower(CatalogueItem.category) == text["category"].lower(),
                    func.lower(CatalogueItem.part) == text["part"].lower(),
                    func.lower(CatalogueItem.item) == text["item"].lower(),
                )
            ).first()
            if same is not None and (existing is None or same != existing.id):
                problems["item"] = "the catalogue already has this item under this category and part"
        if problems:
            raise InvalidData("the catalogue item has errors", problems)
        item = existing
        if item is None:
            item = CatalogueItem(position=self._position_for(text["category"], text["part"]), active=True)
            self.session.add(item)
        item.category, item.part, item.item = text["category"], text["part"], text["item"]
        item.severity = str(severity)
        assert days is not None
        item.rectify_days = days
        self.session.flush()
        return item

    def set_active(self, item: CatalogueItem, active: bool) -> None:
        item.active = active
        self.session.flush()

    def move(self, item: CatalogueItem, direction: str) -> bool:
        """Swap the item with its neighbour above ("up") or below ("down"); False at either end."""
        if direction not in ("up", "down"):
            raise InvalidData("the move has errors", {"direction": "must be up or down"})
        self._renumber()
        rows = self.items()
        index = next(i for i, row in enumerate(rows) if row.id == item.id)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(rows):
            return False
        rows[index].position, rows[other].position = rows[other].position, rows[index].position
        self.session.flush()
        return True

    def _renumber(self) -> None:
        """Positions 0, 1, 2 … in the current order (items added by hand or by an old install may tie)."""
        for position, row in enumerate(self.items()):
            row.position = position
        self.session.flush()

    def _position_for(self, category: str, part: str) -> int:
        """Right after the last item of the same part (or category), else at the end; later ones move down."""
        rows = self.items()
        same_part = [r.position for r in rows if r.category == category and r.part == part]
        same_category = [r.position for r in rows if r.category == category]
        after = max(same_part or same_category or [r.position for r in rows] or [-1])
        for row in rows:
            if row.position > after:
                row.position += 1
        return after + 1


def _days(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, int) and 1 <= raw <= MAX_DAYS:
        return raw
    return None
