"""The documented layout of each import file: its columns (English header, Chinese headers accepted too),
which are required, and how each cell is read. A cell that cannot be read raises `RowProblem` with a code
the pages translate and an English message for the command line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from crm.estate.import_files import Cell, header_key
from crm.estate.people import normalise_id_number, normalise_phone
from crm.estate.services import MAX_ROOMS, MAX_TRADES, parse_area, parse_floor
from engine.errors import InvalidData

KINDS = ("projects", "units", "owners", "contracts", "contractors")
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


def _bounded(column: str, limit: int) -> Callable[[Cell], str | None]:
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


@dataclass(frozen=True)
class Column:
    key: str
    # The Chinese header first (the template's), then other headers that mean the same.
    labels: tuple[str, ...]
    read: Callable[[Cell], Any]
    required: bool = False
    example: str = ""
    help_zh: str = ""
    help_en: str = ""


def read_project_code(value: Cell) -> str | None:
    """Project codes are kept in capitals (crm.estate.services), so `jnf` names JNF."""
    found = _bounded("project_code", 50)(value)
    return found.upper() if found else None


def _project_columns() -> tuple[Column, ...]:
    return (
        Column(
            "project_code",
            ("项目编码", "项目代码", "楼盘编码"),
            read_project_code,
            True,
            "JNF",
            "项目的唯一编码",
            "the project's unique code",
        ),
    )


def _unit_key_columns() -> tuple[Column, ...]:
    return (
        *_project_columns(),
        Column(
            "building",
            ("楼栋", "楼号", "栋号"),
            _bounded("building", 50),
            True,
            "1栋",
            "楼栋名称",
            "building name",
        ),
        Column(
            "unit_number",
            ("房号", "房间号", "单元号"),
            _bounded("unit_number", 50),
            True,
            "1201",
            "房号",
            "unit number",
        ),
    )


LAYOUTS: dict[str, tuple[Column, ...]] = {
    "projects": (
        *_project_columns(),
        Column(
            "project_name",
            ("项目名称", "楼盘名称"),
            _bounded("project_name", 200),
            True,
            "江南府",
            "项目名称",
            "project name",
        ),
        Column("city", ("城市",), _bounded("city", 100), False, "杭州", "所在城市", "city"),
        Column(
            "phases",
            ("分期",),
            read_list("phases", 50, 50),
            False,
            "一期、二期",
            "分期，用顿号分隔",
            "phases, separated by 、 or ,",
        ),
    ),
    "units": (
        *_unit_key_columns(),
        Column("floor", ("楼层",), read_floor, False, "12", "楼层（整数）", "floor (a whole number)"),
        Column(
            "layout", ("户型",), _bounded("layout", 50), False, "A1", "户型名称", "layout (unit type) name"
        ),
        Column(
            "area_m2",
            ("面积", "建筑面积", "面积m2", "面积㎡", "面积（㎡）", "面积(㎡)"),
            read_area,
            False,
            "89.50",
            "建筑面积（平方米）",
            "floor area in m²",
        ),
        Column(
            "phase", ("分期",), _bounded("phase", 50), False, "一期", "楼栋所属分期", "the building's phase"
        ),
        Column(
            "rooms",
            ("房间",),
            read_list("rooms", MAX_ROOMS, 20),
            False,
            "客厅、主卧、次卧、厨房、卫生间",
            "户型的房间，用顿号分隔",
            "the layout's rooms, separated by 、 or ,",
        ),
    ),
    "owners": (
        *_unit_key_columns(),
        Column(
            "owner_name",
            ("业主姓名", "姓名", "业主"),
            _bounded("owner_name", 100),
            True,
            "张伟",
            "业主姓名",
            "owner's name",
        ),
        Column(
            "phone",
            ("手机", "电话", "手机号", "手机号码", "联系电话"),
            read_phone,
            True,
            "13800000001",
            "手机或座机号码",
            "mobile or landline number",
        ),
        Column(
            "id_number",
            ("证件号码", "身份证号", "身份证号码"),
            read_id_number,
            False,
            "110101199003070011",
            "身份证或其他证件号码",
            "resident ID or other document number",
        ),
        Column(
            "is_contact",
            ("联系业主", "是否联系人", "联系人"),
            read_yes_no("is_contact"),
            False,
            "是",
            "是否为该房号的联系业主（是/否）",
            "whether this owner is the unit's contact (1/0, 是/否)",
        ),
        Column("email", ("邮箱", "电子邮箱"), read_email, False, "", "电子邮箱", "email address"),
        Column(
            "tier",
            ("客户等级", "等级"),
            read_tier,
            False,
            "普通",
            "客户等级：普通、重要或集团（重要和集团客户的处理期限减半）",
            "tier: regular, major or group (halved deadlines for major and group)",
        ),
    ),
    "contracts": (
        *_unit_key_columns(),
        Column(
            "contract_number",
            ("合同编号", "合同号"),
            _bounded("contract_number", 50),
            True,
            "JNF-2025-0001",
            "购房合同编号",
            "purchase contract number",
        ),
        Column(
            "signed_on", ("签约日期",), read_date("signed_on"), True, "2025-03-01", "签约日期", "date signed"
        ),
        Column(
            "planned_handover_on",
            ("计划交付日期", "计划交房日期"),
            read_date("planned_handover_on"),
            False,
            "2026-12-31",
            "计划交付日期",
            "planned handover date",
        ),
        Column(
            "handed_over_on",
            ("交付日期", "交房日期", "实际交付日期"),
            read_date("handed_over_on"),
            False,
            "",
            "实际交付日期（已交付时填写）",
            "actual handover date (once handed over)",
        ),
        Column(
            "cancelled_on",
            ("解约日期", "退房日期"),
            read_date("cancelled_on"),
            False,
            "",
            "解约日期（已解约时填写）",
            "cancellation date (once cancelled)",
        ),
    ),
    "contractors": (
        Column(
            "name",
            ("名称", "承建商", "供方", "单位名称"),
            _bounded("name", 200),
            True,
            "杭州某某建设有限公司",
            "承建商或供方名称",
            "contractor or supplier name",
        ),
        Column(
            "contact_name",
            ("联系人",),
            _bounded("contact_name", 100),
            False,
            "王工",
            "联系人",
            "contact person",
        ),
        Column("phone", ("电话", "联系电话", "手机"), read_phone, False, "13900000001", "联系电话", "phone"),
        Column(
            "trades",
            ("专业", "工种"),
            read_list("trades", MAX_TRADES, 30),
            False,
            "土建、防水",
            "专业，用顿号分隔",
            "trades, separated by 、 or ,",
        ),
    ),
}


def match_headers(kind: str, headers: list[str]) -> tuple[list[Column | None], list[str], list[str]]:
    """Each header's column (None: ignored), the required columns missing, and headers given twice."""
    known: dict[str, Column] = {}
    for column in LAYOUTS[kind]:
        for name in (column.key, *column.labels):
            known.setdefault(header_key(name), column)
    matched: list[Column | None] = []
    seen: set[str] = set()
    twice: list[str] = []
    for header in headers:
        column = known.get(header_key(header))
        if column is not None and column.key in seen:
            twice.append(header.strip() or column.key)
        elif column is not None:
            seen.add(column.key)
        matched.append(column)
    missing = [c.key for c in LAYOUTS[kind] if c.required and c.key not in seen]
    return matched, missing, twice
