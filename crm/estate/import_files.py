"""Reading an import file: CSV (UTF-8 with or without a BOM, or GBK/GB18030 as Excel saves CSV on a Chinese
Windows) or XLSX (openpyxl, read-only). A file that cannot be read as a table with the kind's headers is
refused as a whole (`FileRefused`); reading never half-succeeds.

Rows come with the line number a person sees: the spreadsheet's row number, or the CSV line the record
starts on in a text editor; the header is line 1 (or the line it is on, when blank lines come first).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crm.attachments import UploadRefused, check_package, megabytes

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary Excel (.xls), and other Office 97 files
ZIP = b"PK\x03\x04"
EXTENSIONS = (".csv", ".xlsx")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_UNPACKED_MAX_BYTES = 200 * 1024 * 1024

Cell = str | int | float | date | datetime | bool | None


class FileRefused(Exception):
    """The whole file is refused: `code` says why (for translation), `params` the details, the message in
    English for the command line."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass
class Table:
    """A file's header row and, lazily, its data rows as (line, cells)."""

    headers: list[str]
    header_line: int
    rows: Iterator[tuple[int, Sequence[Cell]]]
    # How many data rows there are, counted before reading (for the progress bar); None when unknown.
    total: int | None = None
    notes: list[str] = field(default_factory=list)


def header_key(text: object) -> str:
    """A header as matched: no BOM, spaces, underscores or `*`, lower case (`Unit Number*` = unit_number)."""
    raw = "" if text is None else str(text)
    return re.sub(r"[\s_\-\ufeff\u3000*＊]+", "", raw).lower()


def read_table(
    filename: str,
    content: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    unpacked_max_bytes: int = DEFAULT_UNPACKED_MAX_BYTES,
) -> Table:
    """The table in `content`, by the extension of `filename`; FileRefused for anything else."""
    name = os.path.basename(filename.replace("\\", "/")) or "file"
    extension = os.path.splitext(name)[1].lower()
    if extension == ".xls" or content.startswith(OLE2):
        raise FileRefused(
            "old_excel",
            f"{name}: an old Excel file (.xls) cannot be read; save it as .xlsx or CSV",
            name=name,
        )
    if extension not in EXTENSIONS:
        raise FileRefused("extension", f"{name}: only .csv and .xlsx files can be imported", name=name)
    if len(content) > max_bytes:
        raise FileRefused(
            "too_large",
            f"{name}: the file is larger than {megabytes(max_bytes)}",
            name=name,
            size=megabytes(max_bytes),
        )
    if not content.strip(b"\xef\xbb\xbf \t\r\n"):
        raise FileRefused("empty", f"{name}: the file is empty", name=name)
    if extension == ".xlsx":
        return _read_xlsx(name, content, unpacked_max_bytes)
    return _read_csv(name, content)


# -- CSV -----------------------------------------------------------------------------------------------


def _decode(name: str, content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")  # a superset of GBK and GB2312
    except UnicodeDecodeError:
        raise FileRefused(
            "encoding", f"{name}: the text is neither UTF-8 nor GBK; save the CSV as UTF-8", name=name
        ) from None


def _read_csv(name: str, content: bytes) -> Table:
    if content.startswith(ZIP):
        raise FileRefused("not_csv", f"{name}: the content is not a CSV file (an .xlsx?)", name=name)
    text = _decode(name, content)
    if "\x00" in text:
        raise FileRefused("not_csv", f"{name}: the content is not a CSV file", name=name)
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter)
    records = _csv_records(reader, name)
    for line, cells in records:
        if any(c.strip() for c in cells):
            headers = list(cells)
            header_line = line
            break
    else:
        raise FileRefused("empty", f"{name}: the file is empty", name=name)
    # Data records are counted without parsing them twice: rows end with a line break outside quotes,
    # which for the progress bar the physical line count approximates well enough.
    lines_in_file = text.count("\n") + (0 if text.endswith("\n") else 1)
    return Table(headers, header_line, records, total=max(lines_in_file - header_line, 0))


def _csv_records(reader: Any, name: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may span lines)."""
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileRefused(
            "bad_csv", f"{name}: line {start} cannot be read as CSV: {exc}", name=name, line=start
        ) from None


# -- XLSX ----------------------------------------------------------------------------------------------


def _read_xlsx(name: str, content: bytes, unpacked_max_bytes: int) -> Table:
    from openpyxl import load_workbook

    not_xlsx = FileRefused("not_xlsx", f"{name}: the content is not an .xlsx file", name=name)
    if not content.startswith(ZIP):
        raise not_xlsx
    try:
        check_package(io.BytesIO(content), name, ".xlsx", unpacked_max_bytes)
    except UploadRefused as refused:
        if "content" in str(refused):
            raise not_xlsx from None
        raise FileRefused("unpacked", str(refused), name=name) from None
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise not_xlsx from None
    except Exception:  # openpyxl raises whatever its XML parser meets in a broken part
        raise not_xlsx from None
    if not book.worksheets:
        raise FileRefused("empty", f"{name}: the file is empty", name=name)
    sheet = book.worksheets[0]
    rows = _xlsx_rows(sheet, name)
    for line, cells in rows:
        if any(_filled(c) for c in cells):
            headers = ["" if c is None else str(c) for c in cells]
            header_line = line
            break
    else:
        raise FileRefused("empty", f"{name}: the file is empty", name=name)
    max_row = getattr(sheet, "max_row", None)
    total = max_row - header_line if isinstance(max_row, int) and max_row >= header_line else None
    return Table(headers, header_line, rows, total=total)


def _xlsx_rows(sheet: Any, name: str) -> Iterator[tuple[int, Sequence[Cell]]]:
    try:
        # Read-only sheets pad the rows they skip, so the position is the row number.
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except Exception:
        raise FileRefused("not_xlsx", f"{name}: the content is not an .xlsx file", name=name) from None


def _filled(value: Cell) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))
