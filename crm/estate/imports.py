"""Importing records from a file: projects, units, owners, contracts, contractors.

The file is read (crm.estate.import_files), its headers matched to the kind's layout
(crm.estate.import_layouts), and its rows taken in batches: every cell of a row is read and checked, the
records a batch names are looked up with one query per kind of record, and what changes is written with
one statement per table (crm.estate.import_writes). A row is all or nothing: it is written only once every
check passed, else it is reported — its line and the reason — and skipped, while the good rows are
imported. Records are found by their natural keys, so importing the same file again changes nothing.

The caller owns the transaction: `after_batch` is called after each batch has been flushed, and the
command line and the import page commit there, so a large file lands batch by batch and a crash leaves
whole rows (importing the file again completes it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from crm.estate.import_cells import RowProblem
from crm.estate.import_files import FileRefused, Table
from crm.estate.import_layouts import LAYOUTS, Column, match_headers
from lintel.clock import Clock

BATCH = 5000
MAX_PROBLEMS_KEPT = 10_000
OUTCOMES = ("created", "updated", "unchanged", "skipped")


@dataclass
class Row:
    """One data row: its line, its values by column key, and what became of it."""

    line: int
    values: dict[str, Any]
    outcome: str = ""
    problems: list[RowProblem] = field(default_factory=list)

    def fail(self, code: str, message: str, column: str = "", **params: Any) -> None:
        self.problems.append(RowProblem(code, message, column, **params))

    @property
    def ok(self) -> bool:
        return not self.problems

    def done(self, changed: bool, created: bool = False) -> None:
        """Record the row's outcome, the strongest one wins (created > updated > unchanged)."""
        outcome = "created" if created else "updated" if changed else "unchanged"
        rank = {"": 0, "unchanged": 1, "updated": 2, "created": 3}
        if rank[outcome] > rank[self.outcome]:
            self.outcome = outcome


@dataclass(frozen=True)
class Problem:
    """A reported row: the line a person sees, the column, a code (translated on the page) with its
    details, and the English message."""

    line: int
    column: str
    code: str
    message: str
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "params": self.params,
        }


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    # Problems past MAX_PROBLEMS_KEPT are counted, not kept.
    problems_dropped: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(self.counts[o] for o in OUTCOMES)

    def summary(self) -> dict[str, int]:
        return {o: self.counts[o] for o in OUTCOMES}


Progress = Callable[[ImportReport], None]


class Importer:
    """Imports one table of one kind into the session (flushes, never commits)."""

    def __init__(self, session: Session, clock: Clock, *, batch: int = BATCH) -> None:
        self.session = session
        self.clock = clock
        self.batch = batch

    def run(self, kind: str, table: Table, after_batch: Progress | None = None) -> ImportReport:
        """Import `table` as `kind`; FileRefused when its headers do not fit the kind's layout."""
        from crm.estate.import_writes import writer_for

        columns = self.check(kind, table)
        report = ImportReport(kind, total=table.total or 0)
        report.ignored_columns = [h for h, c in zip(table.headers, columns, strict=True) if c is None and h]
        writer = writer_for(kind, self.session, self.clock)
        seen: dict[Any, int] = {}
        batch: list[Row] = []
        plan = [(index, column) for index, column in enumerate(columns) if column is not None]
        layout = LAYOUTS[kind]
        for line, cells in table.rows:
            if line <= table.header_line or not any(_filled(c) for c in cells):
                continue
            row = _parse(line, cells, plan, layout)
            if row.ok:
                key = writer.key(row)
                if key in seen:
                    row.fail("duplicate", f"the same {writer.what} as line {seen[key]}", "", line=seen[key])
                else:
                    seen[key] = line
            batch.append(row)
            if len(batch) >= self.batch:
                self._write(writer, batch, report, after_batch)
                batch = []
        if batch:
            self._write(writer, batch, report, after_batch)
        report.total = report.done
        return report

    @staticmethod
    def check(kind: str, table: Table) -> list[Column | None]:
        """Each header's column (None: ignored); FileRefused when the headers do not fit the kind."""
        if kind not in LAYOUTS:
            raise FileRefused("kind", f"unknown kind '{kind}'", kind=kind)
        columns, missing, twice = match_headers(kind, table.headers)
        if twice:
            raise FileRefused(
                "duplicate_headers",
                f"the column(s) {', '.join(twice)} are given twice",
                columns=", ".join(twice),
            )
        if missing:
            raise FileRefused(
                "missing_headers",
                f"the required column(s) {', '.join(missing)} are missing",
                columns=", ".join(missing),
            )
        return columns

    def _write(self, writer: Any, rows: list[Row], report: ImportReport, after: Progress | None) -> None:
        good = [row for row in rows if row.ok]
        if good:
            writer.write(good)
            self.session.flush()
        for row in rows:
            if row.ok and row.outcome:
                report.counts[row.outcome] += 1
                continue
            report.counts["skipped"] += 1
            for problem in row.problems:
                if len(report.problems) >= MAX_PROBLEMS_KEPT:
                    report.problems_dropped += 1
                    continue
                report.problems.append(
                    Problem(row.line, problem.column, problem.code, str(problem), problem.params)
                )
        report.total = max(report.total, report.done)
        if after is not None:
            after(report)


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _parse(line: int, cells: Any, plan: list[tuple[int, Column]], layout: tuple[Column, ...]) -> Row:
    """The row's values by column key (blank cells None), with a problem for each cell that cannot be
    read and each required cell left blank."""
    values: dict[str, Any] = dict.fromkeys(c.key for c in layout)
    row = Row(line, values)
    size = len(cells)
    for index, column in plan:
        cell = cells[index] if index < size else None
        if cell is None or cell == "":
            continue
        try:
            values[column.key] = column.read(cell)
        except RowProblem as problem:
            row.problems.append(problem)
    for _index, column in plan:
        if column.required and values[column.key] in (None, "", []):
            if not any(p.column == column.key for p in row.problems):
                row.fail("required", f"{column.key} is required", column.key)
    return row
