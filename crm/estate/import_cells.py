"""Reading the cells of an import row: text, dates (2026-03-01, 2026/3/1, 2026年3月1日, Excel date cells),
floors, areas, yes/no, phones, ID numbers, lists of names. A cell that cannot be read raises `RowProblem`
with a code the pages translate and an English message for the command line."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from crm.estate.import_files import Cell
from crm.estate.people import normalise_id_number, normalise_phone
from crm.estate.services import parse_area, parse_floor
from engine.errors import InvalidData

LIST_SEPARATORS = re.compile(r"[、,，;；/|]+")


class RowProblem(Exception):
    """Why a row (or one of its cells) cannot be imported."""

    def __init__(self, code: str, message: str, column: str = "", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.column = column
        self.params = params


def text(value: Cell) -> str:
    """A cell as text: numbers without a spurious `.0` (Excel stores 1201 and 13800000001 as numbers)."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def bounded(column: str, limit: int) -> Callable[[Cell], str | None]:
    def read(value: Cell) -> str | None:
        found = text(value)
        if len(found) > limit:
            raise RowProblem("too_long", f"{column} is longer than {limit} characters", column, limit=limit)
        return found or None

    return read


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+[\d:]+)?$")


def read_date(column: str) -> Callable[[Cell], date | None]:
    def read(value: Cell) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        found = text(value)
        if not found:
            return None
        if len(found) == 10 and found[4] == "-":
            try:
                return date.fromisoformat(found)
            except ValueError:
                pass
        match = _DATE.match(found)
        if match is None and re.fullmatch(r"\d{8}", found):
            match = re.match(r"(\d{4})(\d{2})(\d{2})", found)
        if match is not None:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        raise RowProblem(
            "invalid_date", f"{column} '{found}' is not a date such as 2026-03-01", column, value=found
        )

    return read


def read_floor(value: Cell) -> int | None:
    found = text(value)
    try:
        return parse_floor(re.sub(r"\s*(?:层|F|f)$", "", found))
    except InvalidData:
        raise RowProblem(
            "invalid_floor", f"floor '{found}' is not a floor number (-10 to 200)", "floor", value=found
        ) from None


def read_area(value: Cell) -> Decimal | None:
    found = text(value) if not isinstance(value, float) else repr(value)
    try:
        return parse_area(re.sub(r"\s*(?:m2|m²|㎡|平方米|平米)$", "", found))
    except InvalidData:
        raise RowProblem(
            "invalid_area", f"area_m2 '{found}' is not an area in m² such as 89.5", "area_m2", value=found
        ) from None


_YES = {"1", "是", "y", "yes", "true", "t", "√", "✓"}
_NO = {"0", "否", "n", "no", "false", "f"}


def read_yes_no(column: str) -> Callable[[Cell], bool | None]:
    def read(value: Cell) -> bool | None:
        found = text(value).lower()
        if not found:
            return None
        if found in _YES:
            return True
        if found in _NO:
            return False
        raise RowProblem(
            "invalid_yes_no", f"{column} '{found}' is not yes or no (1/0, 是/否, Y/N)", column, value=found
        )

    return read


# A mobile written the common ways (13800000001, 138 0000 0001, +86-138-0000-0001): which numbers are valid
# mobiles depends only on their first digits, so normalise_phone is asked once per 7-digit prefix
# (phonenumbers takes ~100 µs a number, the biggest part of a large owners file otherwise).
_MOBILE_SHAPE = re.compile(r"(?:\+?86[\s-]?)?(1\d\d)[\s-]?(\d{4})[\s-]?(\d{4})")


@lru_cache(maxsize=4096)
def _mobile_prefix(prefix: str) -> bool:
    try:
        return all(normalise_phone(prefix + end) == prefix + end for end in ("0000", "9999"))
    except InvalidData:
        return False


def read_phone(value: Cell) -> str | None:
    found = text(value)
    if not found:
        return None
    shape = _MOBILE_SHAPE.fullmatch(found)
    if shape is not None:
        digits = "".join(shape.groups())
        if _mobile_prefix(digits[:7]):
            return digits
    try:
        return normalise_phone(found)
    except InvalidData:
        raise RowProblem(
            "invalid_phone",
            f"phone '{found}' is not a Chinese mobile or landline number",
            "phone",
            value=found,
        ) from None


def read_id_number(value: Cell) -> str | None:
    found = text(value)
    try:
        return normalise_id_number(found)
    except InvalidData:
        raise RowProblem(
            "invalid_id_number", f"id_number '{found}' is not a valid ID number", "id_number", value=found
        ) from None


TIERS = {
    "regular": "regular",
    "普通": "regular",
    "普通客户": "regular",
    "major": "major",
    "重要": "major",
    "重要客户": "major",
    "group": "group",
    "集团": "group",
    "集团客户": "group",
    "集团员工": "group",
}


def read_tier(value: Cell) -> str | None:
    found = text(value)
    if not found:
        return None
    tier = TIERS.get(found.lower())
    if tier is None:
        raise RowProblem(
            "invalid_tier",
            f"tier '{found}' is not regular, major or group (普通/重要/集团)",
            "tier",
            value=found,
        )
    return tier


def read_list(column: str, most: int, each: int) -> Callable[[Cell], list[str] | None]:
    """Names separated by 、 or a comma (rooms, trades, phases): distinct, in the order given."""

    def read(value: Cell) -> list[str] | None:
        items = list(dict.fromkeys(i.strip() for i in LIST_SEPARATORS.split(text(value)) if i.strip()))
        if any(len(item) > each for item in items):
            raise RowProblem(
                "too_long", f"{column}: a name is longer than {each} characters", column, limit=each
            )
        if len(items) > most:
            raise RowProblem("too_many", f"{column}: more than {most} names", column, limit=most)
        return items or None

    return read


def read_email(value: Cell) -> str | None:
    found = text(value)
    if not found:
        return None
    if len(found) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", found):
        raise RowProblem("invalid_email", f"email '{found}' is not an email address", "email", value=found)
    return found
