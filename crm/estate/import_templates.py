"""Template files per import kind: the headers (Chinese, which the import accepts as readily as the English
ones) and an example row; the XLSX adds a sheet explaining each column in Chinese and English."""

from __future__ import annotations

import csv
import io

from crm.estate.import_layouts import LAYOUTS

FORMATS = ("xlsx", "csv")


def template_csv(kind: str) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese headers as they are."""
    columns = LAYOUTS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.labels[0] for c in columns])
    writer.writerow([c.example for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = LAYOUTS[kind]
    book = Workbook()
    data = book.active
    assert data is not None
    data.title = "数据 data"
    data.append([c.labels[0] for c in columns])
    data.append([c.example for c in columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        data.cell(row=1, column=index).number_format = "@"
        letter = data.cell(row=1, column=index).column_letter
        data.column_dimensions[letter].width = max(12, len(column.key) + 4)
        for row in range(2, 1002):  # text cells keep 0801 and long ID numbers as written
            if column.key not in ("floor", "area_m2", "signed_on", "planned_handover_on", "handed_over_on"):
                data.cell(row=row, column=index).number_format = "@"
    notes = book.create_sheet("说明 help")
    notes.append(["列（中文表头）", "English header", "必填 required", "说明", "Description", "示例 example"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append(
            [
                " / ".join(column.labels),
                column.key,
                "是 yes" if column.required else "",
                column.help_zh,
                column.help_en,
                column.example,
            ]
        )
    notes.append([])
    notes.append(["第一张表的第一行是表头（中文或英文均可），从第二行起每行一条记录；示例行请替换或删除。"])
    notes.append(
        ["The first sheet's first row holds the headers (Chinese or English); one record per row below."]
    )
    for letter, width in zip("ABCDEF", (28, 22, 14, 36, 44, 22), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
