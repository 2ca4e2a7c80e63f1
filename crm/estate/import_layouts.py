"""The documented layout of each import file: its columns (English header, Chinese headers accepted too),
which are required, and how each cell is read (crm.estate.import_cells)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm.estate.import_cells import (
    Cell,
    bounded,
    read_area,
    read_date,
    read_email,
    read_floor,
    read_id_number,
    read_list,
    read_phone,
    read_tier,
    read_yes_no,
)
from crm.estate.import_files import header_key
from crm.estate.services import MAX_ROOMS, MAX_TRADES

KINDS = ("projects", "units", "owners", "contracts", "contractors")


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
    found = bounded("project_code", 50)(value)
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
            bounded("building", 50),
            True,
            "1栋",
            "楼栋名称",
            "building name",
        ),
        Column(
            "unit_number",
            ("房号", "房间号", "单元号"),
            bounded("unit_number", 50),
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
            bounded("project_name", 200),
            True,
            "江南府",
            "项目名称",
            "project name",
        ),
        Column("city", ("城市",), bounded("city", 100), False, "杭州", "所在城市", "city"),
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
            "layout", ("户型",), bounded("layout", 50), False, "A1", "户型名称", "layout (unit type) name"
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
            "phase", ("分期",), bounded("phase", 50), False, "一期", "楼栋所属分期", "the building's phase"
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
            bounded("owner_name", 100),
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
            bounded("contract_number", 50),
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
            bounded("name", 200),
            True,
            "杭州某某建设有限公司",
            "承建商或供方名称",
            "contractor or supplier name",
        ),
        Column(
            "contact_name",
            ("联系人",),
            bounded("contact_name", 100),
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
