"""The import page in headless Chromium, as an administrator loads a sales system's export: a template
downloaded, projects uploaded, then a units workbook of twenty thousand rows whose progress the page shows
while it imports in the background (also after a reload), and the rows it skipped with their line and
reason, downloaded as a file. Screenshots under test-output/screenshots/."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook, load_workbook

from tests.browser.test_walkthrough import DESKTOP, shot, sign_in

ROWS = 20_000
BAD = {1_001: "二十楼", 7_777: "-99", 15_000: "x"}  # data row number -> an unreadable floor


def units_workbook(path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("房号")
    sheet.append(["项目编码", "楼栋", "房号", "楼层", "户型", "面积", "分期", "房间"])
    for n in range(1, ROWS + 1):
        floor = n % 100 // 2 + 1
        number = f"{floor:02d}{n % 2 + 1:02d}"
        shown_floor = BAD.get(n, floor)
        sheet.append(
            ["LKV", f"{n // 100 + 1}栋", number, shown_floor, "A1", 96.5, "一期", "客厅、主卧、卫生间"]
        )
    book.save(path)


def upload(page, base: str, kind: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/admin/import")
    page.select_option("#kind", kind)
    page.set_input_files("#file", str(path))
    page.click("form button:has-text('开始导入')")
    page.wait_for_url(f"{base}/admin/import/*")


def test_an_administrator_imports_a_large_units_file_and_sees_its_progress_and_skipped_rows(
    served, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=DESKTOP, accept_downloads=True)  # type: ignore[attr-defined]
    base = served.url
    sign_in(page, base, "admin")
    page.click("nav summary:has-text('业主与档案')")
    page.click("nav a:text-is('导入档案')")
    page.wait_for_url(f"{base}/admin/import")
    shot(page, "import")

    with page.expect_download() as template:
        page.click("li:has-text('房号') >> text=Excel 模板")
    book = load_workbook(io.BytesIO(Path(template.value.path()).read_bytes()), read_only=True)
    headers = next(book.worksheets[0].iter_rows(values_only=True))
    assert headers[:3] == ("项目编码", "楼栋", "房号")

    projects = tmp_path / "项目.csv"
    projects.write_text("项目编码,项目名称,城市\nLKV,澜岸花园,宁波\n", encoding="utf-8-sig")
    upload(page, base, "projects", projects)
    page.wait_for_selector("#import-progress:has-text('所有行都已导入')")

    units = tmp_path / "房号.xlsx"
    units_workbook(units)
    upload(page, base, "units", units)
    # The page shows the import going, and keeps showing it after a reload.
    page.wait_for_selector("#import-progress progress")
    page.wait_for_selector("#import-progress:has-text('导入中'), #import-progress:has-text('已完成')")
    shot(page, "import-progress")
    page.reload()
    page.wait_for_selector("#import-progress")
    page.wait_for_selector("#import-progress:has-text('已完成')", timeout=180_000)
    shot(page, "import-done")

    progress = page.locator("#import-progress")
    assert progress.locator("[data-count=created]").inner_text() == str(ROWS - len(BAD))
    assert progress.locator("[data-count=skipped]").inner_text() == str(len(BAD))
    table = page.locator("table.problems").inner_text()
    for row, floor in BAD.items():
        assert str(row + 1) in table and floor in table  # the header is line 1
    assert "楼层「二十楼」不是 -10 到 200 之间的整数" in table

    with page.expect_download() as problems:
        page.click("text=下载跳过的行（CSV）")
    rows = list(csv.reader(io.StringIO(Path(problems.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["行号", "列", "原因"] and [r[0] for r in rows[1:]] == [str(r + 1) for r in BAD]

    page.goto(f"{base}/admin/import")
    recent = page.locator("table.imports").inner_text()
    assert "房号.xlsx" in recent and f"跳过 {len(BAD)}" in recent
    shot(page, "import-recent")
