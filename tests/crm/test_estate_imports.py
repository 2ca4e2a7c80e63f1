"""Importing records from files: good rows imported, bad rows reported with their line and reason and
skipped, the same file imported twice changing nothing, and files that cannot be read refused whole."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.estate.import_files import FileRefused, read_table
from crm.estate.imports import Importer, ImportReport
from crm.estate.models import Building, Contract, Layout, Owner, Ownership, Project, Unit
from lintel.clock import Clock

ID_ZHAO = "110101199003070011"  # a resident ID number with a right check digit


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def run(session: Session, clock: Clock, kind: str, name: str, content: bytes) -> ImportReport:
    report = Importer(session, clock, batch=3).run(kind, read_table(name, content))
    session.flush()
    return report


def reasons(report: ImportReport) -> list[tuple[int, str]]:
    return [(p.line, p.code) for p in report.problems]


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    c = report.summary()
    return c["created"], c["updated"], c["unchanged"], c["skipped"]


PROJECTS = [["project_code", "project_name", "city"], ["xhy", "星河苑", "苏州"], ["", "无编码", ""]]
UNITS = [
    ["project_code", "building", "unit_number", "floor", "layout", "area_m2", "phase", "rooms"],
    ["XHY", "1栋", "0101", 1, "A", 89.5, "一期", "客厅、主卧、卫生间"],
    ["XHY", "1栋", "0102", "1", "A", "90", "一期", ""],
    ["XHY", "1栋", "0201", "二楼", "B", "abc", "", ""],  # line 4: floor and area unreadable
    ["NOPE", "1栋", "0101", 1, "", "", "", ""],  # line 5: no such project
    ["XHY", "1栋", "0101", 1, "A", 89.5, "", ""],  # line 6: the same unit as line 2
    [None, None, None, None, None, None, None, None],  # a blank row: not a row at all
    ["XHY", "2栋", "0301", 3, "B", 120, "二期", "客厅、餐厅、主卧、次卧"],
]
OWNERS = [
    ["项目编码", "楼栋", "房号", "业主姓名", "手机", "身份证号", "联系业主"],
    ["XHY", "1栋", "0101", "赵敏", 13900000001, ID_ZHAO, "是"],
    ["XHY", "1栋", "0101", "钱进", "139-0000-0002", "", "否"],
    ["XHY", "1栋", "0102", "赵敏", "13900000001", "", ""],  # the same owner (phone and name)
    ["XHY", "1栋", "0109", "孙立", "13900000003", "", ""],  # line 5: no such unit
    ["XHY", "2栋", "0301", "李雷", "12345", "", ""],  # line 6: not a phone
    ["XHY", "2栋", "0301", "韩梅", "13900000004", "110101199003070012", "Y"],  # line 7: bad check digit
    ["XHY", "2栋", "0301", "周一", "13900000005", "", "也许"],  # line 8: not yes or no
]
CONTRACTS = [
    [
        "project_code",
        "building",
        "unit_number",
        "contract_number",
        "signed_on",
        "planned_handover_on",
        "handed_over_on",
        "cancelled_on",
    ],
    ["XHY", "1栋", "0101", "C-1", datetime(2025, 3, 1), "2026/12/31", "", ""],
    ["XHY", "1栋", "0102", "C-2", "2025-03-02", "", "2026年1月8日", ""],
    ["XHY", "2栋", "0301", "C-3", "2025-03-03", "", "", "2025-04-01"],
    ["XHY", "2栋", "0301", "C-4", "2025-13-40", "", "", ""],  # line 5: not a date
    ["XHY", "2栋", "0301", "C-5", "2025-05-01", "", "2025-01-01", ""],  # line 6: handed over before signing
]


def import_all(session: Session, clock: Clock) -> list[ImportReport]:
    return [
        run(session, clock, "projects", "projects.xlsx", xlsx(PROJECTS)),
        run(session, clock, "units", "units.xlsx", xlsx(UNITS)),
        run(session, clock, "owners", "owners.xlsx", xlsx(OWNERS)),
        run(session, clock, "contracts", "contracts.xlsx", xlsx(CONTRACTS)),
    ]


def test_an_xlsx_with_good_and_bad_rows_imports_the_good_ones_and_reports_the_bad(
    session: Session, clock: Clock
) -> None:
    projects, units, owners, contracts = import_all(session, clock)

    assert counts(projects) == (1, 0, 0, 1) and reasons(projects) == [(3, "required")]
    assert counts(units) == (3, 0, 0, 3)
    assert reasons(units) == [
        (4, "invalid_floor"),
        (4, "invalid_area"),
        (5, "unknown_project"),
        (6, "duplicate"),
    ]
    assert units.problems[3].message == "the same unit as line 2"
    assert counts(owners) == (3, 0, 0, 4)
    assert reasons(owners) == [
        (5, "unknown_unit"),
        (6, "invalid_phone"),
        (7, "invalid_id_number"),
        (8, "invalid_yes_no"),
    ]
    assert counts(contracts) == (3, 0, 0, 2)
    assert reasons(contracts) == [(5, "invalid_date"), (6, "before_signing")]

    project = session.scalars(select(Project).where(Project.code == "XHY")).one()
    assert (project.name, project.city) == ("星河苑", "苏州")
    unit = session.scalars(
        select(Unit).join(Building).where(Building.project_id == project.id, Unit.number == "0101")
    ).one()
    assert (unit.floor, str(unit.area_m2), unit.building.phase.name) == (1, "89.50", "一期")  # type: ignore[union-attr]
    assert unit.layout is not None and unit.layout.rooms == ["客厅", "主卧", "卫生间"]
    zhao = session.scalars(select(Owner).where(Owner.name == "赵敏")).one()
    assert (zhao.phone, zhao.id_number, zhao.name_initials) == ("13900000001", ID_ZHAO, "zm")
    shares = {
        (o.owner.name, o.unit.number): (o.is_contact, o.ended_on)
        for o in session.scalars(
            select(Ownership).join(Unit).join(Building).where(Building.project_id == project.id)
        )
    }
    assert shares == {
        ("赵敏", "0101"): (True, None),
        ("钱进", "0101"): (False, None),
        ("赵敏", "0102"): (True, None),
    }
    statuses = {
        c.number: c.status for c in session.scalars(select(Contract).where(Contract.number.like("C-%")))
    }
    assert statuses == {"C-1": "signed", "C-2": "handed_over", "C-3": "cancelled"}
    # Owners recorded before the contract come under it.
    c1 = session.scalars(select(Contract).where(Contract.number == "C-1")).one()
    assert c1.planned_handover_on == date(2026, 12, 31)
    assert {
        o.contract_id for o in session.scalars(select(Ownership).where(Ownership.unit_id == unit.id))
    } == {c1.id}


def test_importing_the_same_files_again_changes_nothing(session: Session, clock: Clock) -> None:
    import_all(session, clock)
    tables = (Project, Building, Layout, Unit, Owner, Ownership, Contract)
    before = [session.scalar(select(func.count()).select_from(t)) for t in tables]
    shares = session.execute(select(Ownership.owner_id, Ownership.unit_id, Ownership.is_contact)).all()

    again = import_all(session, clock)

    assert [counts(r)[:2] for r in again] == [(0, 0)] * 4
    assert [counts(r)[2] for r in again] == [1, 3, 3, 3]
    assert [session.scalar(select(func.count()).select_from(t)) for t in tables] == before
    assert (
        session.execute(select(Ownership.owner_id, Ownership.unit_id, Ownership.is_contact)).all() == shares
    )


def test_a_changed_row_updates_its_record_and_says_so(session: Session, clock: Clock) -> None:
    import_all(session, clock)
    units = [UNITS[0], ["XHY", "1栋", "0101", 1, "A", "95.00", "", ""]]
    report = run(session, clock, "units", "units.csv", csv_bytes(units))
    assert counts(report) == (0, 1, 0, 0)
    owners = [OWNERS[0], ["XHY", "1栋", "0101", "钱进", "13900000002", "", "1"]]
    report = run(session, clock, "owners", "owners.csv", csv_bytes(owners))
    assert counts(report) == (0, 1, 0, 0)
    contacts = session.execute(
        select(Owner.name).join(Ownership).join(Unit).where(Unit.number == "0101", Ownership.is_contact)
    ).scalars()
    assert list(contacts) == ["钱进"]  # one contact owner per unit


def test_a_new_contract_on_a_unit_with_owners_is_a_transfer_keeping_the_earlier_owners(
    session: Session, clock: Clock
) -> None:
    import_all(session, clock)
    transfer = [CONTRACTS[0], ["XHY", "1栋", "0101", "C-9", "2026-02-01", "", "2026-02-01", ""]]
    assert counts(run(session, clock, "contracts", "c.csv", csv_bytes(transfer))) == (1, 0, 0, 0)
    buyer = [OWNERS[0], ["XHY", "1栋", "0101", "吴双", "13900000009", "", ""]]
    assert counts(run(session, clock, "owners", "o.csv", csv_bytes(buyer))) == (1, 0, 0, 0)

    rows = session.execute(
        select(Owner.name, Ownership.ended_on, Ownership.is_contact, Contract.number)
        .join(Ownership, Ownership.owner_id == Owner.id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Contract, Contract.id == Ownership.contract_id)
        .where(Unit.number == "0101", Contract.number.like("C-%"))
        .order_by(Owner.name)
    ).all()
    assert sorted(rows) == sorted(
        [
            ("吴双", None, True, "C-9"),
            ("赵敏", date(2026, 2, 1), False, "C-1"),
            ("钱进", date(2026, 2, 1), False, "C-1"),
        ]
    )
    # The earlier owners' file again: their ownership ended, so the rows are skipped with the reason.
    old = run(session, clock, "owners", "owners.xlsx", xlsx(OWNERS[:3]))
    assert reasons(old) == [(2, "ownership_ended"), (3, "ownership_ended")]


def test_a_gbk_csv_with_chinese_headers_and_blank_lines_reports_lines_as_an_editor_shows_them(
    session: Session, clock: Clock
) -> None:
    text = '项目编码,项目名称,城市\r\n\r\nGBK,国标花园,北京\r\n"BAD\r\nX",坏,\r\n,缺编码,\r\n'
    report = run(session, clock, "projects", "gbk.csv", text.encode("gbk"))
    assert counts(report) == (2, 0, 0, 1)
    assert reasons(report) == [(6, "required")]  # the quoted code spans lines 4 and 5
    assert session.scalars(select(Project.name).where(Project.code == "GBK")).one() == "国标花园"


def test_headers_are_matched_ignoring_case_spaces_and_a_bom(session: Session, clock: Clock) -> None:
    content = "\ufeffProject Code, PROJECT_NAME ,city,remarks\nutf,带BOM,上海,随便\n".encode()
    report = run(session, clock, "projects", "bom.csv", content)
    assert counts(report) == (1, 0, 0, 0) and report.ignored_columns == ["remarks"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("units.txt", b"a,b\n1,2\n", "extension"),
        ("units.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old_excel"),
        ("units.xlsx", b"PK\x03\x04 this is not a zip", "not_xlsx"),
        ("units.xlsx", b"project_code,building\n", "not_xlsx"),
        ("units.csv", b"", "empty"),
        ("units.csv", b"\xef\xbb\xbf\r\n\r\n", "empty"),
        ("units.csv", "项目编码,楼栋\nA,1\n".encode(), "missing_headers"),
        ("units.csv", "项目编码,project_code,楼栋,房号\n".encode(), "duplicate_headers"),
        ("units.csv", b"\xff\xfe\x00\x00 binary \x81\x00", "encoding"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    session: Session, clock: Clock, name: str, content: bytes, code: str
) -> None:
    before = session.scalar(select(func.count()).select_from(Unit))
    with pytest.raises(FileRefused) as refused:
        run(session, clock, "units", name, content)
    assert refused.value.code == code
    assert session.scalar(select(func.count()).select_from(Unit)) == before


def test_a_zip_that_is_no_workbook_is_refused(session: Session, clock: Clock) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(FileRefused) as refused:
        run(session, clock, "units", "units.xlsx", out.getvalue())
    assert refused.value.code == "not_xlsx"


def test_contractors_are_imported_with_their_trades(session: Session, clock: Clock) -> None:
    rows = [["名称", "联系人", "电话", "专业"], ["杭州建工", "王工", "0571-88886666", "土建、防水,门窗"]]
    assert counts(run(session, clock, "contractors", "c.csv", csv_bytes(rows))) == (1, 0, 0, 0)
    assert counts(run(session, clock, "contractors", "c.csv", csv_bytes(rows))) == (0, 0, 1, 0)
