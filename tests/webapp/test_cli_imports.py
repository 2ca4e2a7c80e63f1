"""`lintel import KIND FILE`: a summary, every skipped row with its line and reason, the skipped rows as a
CSV on request, and an exit status a script can act on: 0 all imported, 1 the file refused, 2 rows skipped."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.crm.test_estate_imports import OWNERS, PROJECTS, UNITS, csv_bytes, xlsx
from tests.webapp.test_cli import Lintel


@pytest.fixture
def lintel(tmp_path: Path) -> Lintel:
    run = Lintel(tmp_path)
    assert run("init").exit_code == 0
    return run


def test_an_import_prints_a_summary_and_exits_0_when_every_row_was_imported(
    lintel: Lintel, tmp_path: Path
) -> None:
    projects = tmp_path / "projects.csv"
    projects.write_bytes(csv_bytes(PROJECTS[:2]))
    result = lintel("import", "projects", str(projects))
    assert result.exit_code == 0, result.output
    assert "projects: 1 rows — 1 created, 0 updated, 0 unchanged, 0 skipped" in result.output
    again = lintel("import", "projects", str(projects), "--quiet")
    assert again.exit_code == 0 and "0 created, 0 updated, 1 unchanged, 0 skipped" in again.output


def test_skipped_rows_are_listed_with_their_line_and_reason_and_exit_2(
    lintel: Lintel, tmp_path: Path
) -> None:
    (tmp_path / "p.csv").write_bytes(csv_bytes(PROJECTS[:2]))
    assert lintel("import", "projects", str(tmp_path / "p.csv")).exit_code == 0
    units = tmp_path / "units.xlsx"
    units.write_bytes(xlsx(UNITS))
    errors = tmp_path / "skipped.csv"
    result = lintel("import", "units", str(units), "--errors-out", str(errors))
    assert result.exit_code == 2
    assert "3 created, 0 updated, 0 unchanged, 3 skipped" in result.output
    assert "line 4: floor '二楼' is not a floor number (-10 to 200)" in result.output
    assert "line 5: project NOPE is not on file (import the projects first)" in result.output
    assert "line 6: the same unit as line 2" in result.output
    with errors.open(encoding="utf-8-sig") as written:
        rows = list(csv.reader(written))
    assert rows[0] == ["line", "column", "reason"] and [r[0] for r in rows[1:]] == ["4", "4", "5", "6"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "owners.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            "an old Excel file (.xls) cannot be read",
        ),
        ("owners.csv", b"", "the file is empty"),
        ("owners.pdf", b"%PDF-1.4", "only .csv and .xlsx files can be imported"),
        ("owners.xlsx", b"PK\x03\x04broken", "the content is not an .xlsx file"),
        (
            "owners.csv",
            "项目编码,楼栋,房号\n".encode(),
            "the required column(s) owner_name, phone are missing",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_exit_1(
    lintel: Lintel, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = lintel("import", "owners", str(path))
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_a_missing_file_or_an_unknown_kind_is_a_clean_refusal(lintel: Lintel, tmp_path: Path) -> None:
    missing = lintel("import", "owners", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 1 and "cannot read the file" in missing.output
    unknown = lintel("import", "people", str(tmp_path / "nowhere.csv"))
    assert unknown.exit_code == 2 and "'people' is not one of" in unknown.output


def test_owners_import_after_units_in_chinese_headers(lintel: Lintel, tmp_path: Path) -> None:
    for kind, rows in (("projects", PROJECTS[:2]), ("units", UNITS[:3])):
        (tmp_path / f"{kind}.csv").write_bytes(csv_bytes(rows))
        assert lintel("import", kind, str(tmp_path / f"{kind}.csv")).exit_code == 0
    (tmp_path / "owners.csv").write_bytes(csv_bytes(OWNERS[:4], encoding="gbk"))
    result = lintel("import", "owners", str(tmp_path / "owners.csv"))
    assert result.exit_code == 0 and "3 created" in result.output
