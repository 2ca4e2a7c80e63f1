"""The workbook every defect report is written into: openpyxl in write-only mode (rows streamed to the file,
so 100,000 defects never sit in memory as cells), each sheet with its title, the scope it covers, a frozen
Chinese header row with a filter, set widths, and times in Shanghai."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from lintel.clock import SHANGHAI

FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "pct": "0.0%",
    "days": "0.0",
}
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)
HEADER_ROW = 3  # title, scope, then the header


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text | int | date | datetime | pct | days


class Sheet:
    def __init__(self, book: Workbook, name: str, title: str, scope: str, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        sheet = book.create_sheet(name)
        assert isinstance(sheet, WriteOnlyWorksheet)
        self.sheet = sheet
        for index, column in enumerate(self.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        last = get_column_letter(len(self.columns))
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW}"
        heading = WriteOnlyCell(sheet, value=title)
        heading.font = Font(bold=True, size=14)
        sheet.append([heading])
        sheet.append([scope])
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            header.append(cell)
        sheet.append(header)
        self.rows = 0

    def row(self, values: Sequence[Any], *, total: bool = False) -> None:
        # A plain value costs openpyxl far less than a cell object: only what needs a format or a style
        # becomes one (the list writes 2 million values at 100,000 defects).
        cells: list[Any] = []
        for column, value in zip(self.columns, values, strict=True):
            plain = _plain(value)
            if not total and (plain is None or column.kind not in FORMATS):
                cells.append(plain)
                continue
            cell = WriteOnlyCell(self.sheet, value=plain)
            if column.kind in FORMATS and plain is not None:
                cell.number_format = FORMATS[column.kind]
            if total:
                cell.font = BOLD
                cell.fill = TOTAL_FILL
            cells.append(cell)
        self.sheet.append(cells)
        self.rows += 1

    def rows_of(self, rows: Iterable[Sequence[Any]]) -> None:
        for values in rows:
            self.row(values)

    def note(self, text: str) -> None:
        """A line under the table (how a figure is counted)."""
        self.sheet.append([])
        self.sheet.append([text])


def new_book() -> Workbook:
    return Workbook(write_only=True)


def save(book: Workbook, out: IO[bytes]) -> None:
    book.save(out)


def _plain(value: Any) -> Any:
    """Times as Shanghai wall time (a spreadsheet has no zones); dates and numbers as they are."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date | int | float | str) or value is None:
        return value
    return str(value)


def ratio(part: int | None, whole: int | None) -> float | None:
    """A rate for a percentage cell; none when there is nothing to divide by."""
    return (part or 0) / whole if whole else None


def generated_line(scope: str, now: datetime) -> str:
    return f"{scope}；导出时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
