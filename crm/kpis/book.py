"""The figures as XLSX workbooks (openpyxl, the defect reports' sheet writer): the figures table with every
numerator and denominator, the definitions, the heat table, and the whole list behind a number.

Every word comes in from the caller (`FigureLabels`, `ListLabels`): the pages pass theirs
(webapp/pages/kpi_labels.py), so this module knows no Flask and the monthly report can write the same
figures sheet into its own workbook with `figures_sheet(book, groups, total, labels, ...)`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import Workbook

from crm.handover.report_book import Column, Sheet, new_book, ratio, save
from crm.kpis.figures import Group
from crm.kpis.heat import Heat
from crm.kpis.listing import Listed

# The figures sheet's columns: key, width, kind. Rates are written as numbers with their parts beside.
FIGURE_COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("group", 22, "text"),
    ("registered", 9, "int"),
    ("registered_closed", 9, "int"),
    ("registered_open", 9, "int"),
    ("closure_rate", 9, "pct"),
    ("cumulative_registered", 11, "int"),
    ("cumulative_closed", 11, "int"),
    ("closure_rate_cumulative", 11, "pct"),
    ("steps_done", 11, "int"),
    ("steps_on_time", 11, "int"),
    ("on_time_steps", 10, "pct"),
    ("closed", 9, "int"),
    ("closed_on_time", 11, "int"),
    ("on_time_cases", 10, "pct"),
    ("response_median", 12, "days"),
    ("response_p90", 12, "days"),
    ("response_work_median", 12, "days"),
    ("response_work_p90", 12, "days"),
    ("resolution_median", 12, "days"),
    ("resolution_p90", 12, "days"),
    ("resolution_work_median", 12, "days"),
    ("resolution_work_p90", 12, "days"),
    ("closed_reworked", 9, "int"),
    ("rework_rate", 9, "pct"),
    ("escalations_1", 9, "int"),
    ("escalations_2", 9, "int"),
    ("escalations_3", 9, "int"),
)


@dataclass(frozen=True)
class FigureLabels:
    columns: Mapping[str, str]  # every key of FIGURE_COLUMNS: its header
    group: Callable[[Any], str]  # a group's key: how it is named
    total: str  # the total row's name


def _hours(seconds: int | None) -> float | None:
    return round(seconds / 3600, 1) if seconds is not None else None


def figure_row(group: Group, name: str) -> list[Any]:
    """One group's row of the figures sheet (durations in hours)."""
    c, k, t = group.counts, group.cumulative, group.times
    return [
        name,
        c["registered"],
        c["registered_closed"],
        c["registered"] - c["registered_closed"],
        ratio(c["registered_closed"], c["registered"]),
        k["registered"],
        k["registered_closed"],
        ratio(k["registered_closed"], k["registered"]),
        c["steps_done"],
        c["steps_on_time"],
        ratio(c["steps_on_time"], c["steps_done"]),
        c["closed"],
        c["closed_on_time"],
        ratio(c["closed_on_time"], c["closed"]),
        *(
            _hours(t.get(f"{time}_{p}"))
            for time in ("response", "response_work", "resolution", "resolution_work")
            for p in ("median", "p90")
        ),
        c["closed_reworked"],
        ratio(c["closed_reworked"], c["closed"]),
        c["escalations_1"],
        c["escalations_2"],
        c["escalations_3"],
    ]


def figures_sheet(
    book: Workbook,
    groups: Sequence[Group],
    total: Group,
    labels: FigureLabels,
    *,
    name: str,
    title: str,
    scope: str,
) -> Sheet:
    """The figures table: one row per group and the total, every rate beside its numerator and
    denominator."""
    columns = [Column(labels.columns[key], width, kind) for key, width, kind in FIGURE_COLUMNS]
    sheet = Sheet(book, name, title, scope, columns)
    for group in groups:
        sheet.row(figure_row(group, labels.group(group.key)))
    sheet.row(figure_row(total, labels.total), total=True)
    return sheet


def definitions_sheet(
    book: Workbook,
    definitions: Iterable[tuple[str, str]],
    *,
    name: str,
    title: str,
    scope: str,
    headers: Sequence[str],
) -> Sheet:
    sheet = Sheet(book, name, title, scope, [Column(headers[0], 16), Column(headers[1], 100)])
    sheet.rows_of(definitions)
    return sheet


@dataclass(frozen=True)
class HeatLabels:
    category: Callable[[str], str]
    project: Callable[[str], str]
    headers: Sequence[str]  # category, project, registered, closed, closed on time, on-time rate


def heat_sheet(
    book: Workbook, found: Heat, labels: HeatLabels, *, name: str, title: str, scope: str
) -> Sheet:
    """The heat table as a list: one row per category × project that has requests."""
    kinds = ("text", "text", "int", "int", "int", "pct")
    widths = (18, 22, 9, 9, 11, 10)
    sheet = Sheet(
        book,
        name,
        title,
        scope,
        [Column(h, w, k) for h, w, k in zip(labels.headers, widths, kinds, strict=True)],
    )
    for category in found.categories:
        for project in found.projects:
            cell = found.cell(category, project)
            if cell is None:
                continue
            sheet.row(
                [
                    labels.category(category),
                    labels.project(project),
                    cell.registered,
                    cell.closed,
                    cell.closed_on_time,
                    ratio(cell.closed_on_time, cell.closed),
                ]
            )
    return sheet


def figures_workbook(
    out: IO[bytes],
    groups: Sequence[Group],
    total: Group,
    found: Heat,
    figure_labels: FigureLabels,
    heat_labels: HeatLabels,
    definitions: Iterable[tuple[str, str]],
    texts: Mapping[str, str],
) -> None:
    """`texts`: the sheets' names and titles (figures, heat, definitions, with `_title`), the scope line,
    and the definitions' two headers (`definition_name`, `definition_text`)."""
    book = new_book()
    scope = texts["scope"]
    figures_sheet(
        book, groups, total, figure_labels, name=texts["figures"], title=texts["figures_title"], scope=scope
    )
    heat_sheet(book, found, heat_labels, name=texts["heat"], title=texts["heat_title"], scope=scope)
    definitions_sheet(
        book,
        definitions,
        name=texts["definitions"],
        title=texts["definitions_title"],
        scope=scope,
        headers=(texts["definition_name"], texts["definition_text"]),
    )
    save(book, out)


# The list sheet's columns per kind: key, width, kind.
LIST_COLUMNS: dict[str, tuple[tuple[str, float, str], ...]] = {
    "cases": (
        ("number", 18, "text"),
        ("title", 36, "text"),
        ("process", 14, "text"),
        ("project", 18, "text"),
        ("department", 14, "text"),
        ("registered_at", 17, "datetime"),
        ("closed_at", 17, "datetime"),
        ("status", 9, "text"),
        ("on_time", 7, "text"),
        ("reworked", 7, "int"),
    ),
    "steps": (
        ("step", 24, "text"),
        ("department", 14, "text"),
        ("number", 18, "text"),
        ("title", 30, "text"),
        ("due_at", 17, "datetime"),
        ("completed_at", 17, "datetime"),
        ("late", 7, "text"),
    ),
    "escalations": (
        ("level", 12, "text"),
        ("step", 24, "text"),
        ("department", 14, "text"),
        ("number", 18, "text"),
        ("title", 30, "text"),
        ("at", 17, "datetime"),
    ),
}


@dataclass(frozen=True)
class ListLabels:
    columns: Mapping[str, str]  # every key of LIST_COLUMNS: its header
    value: Callable[[str, Any], str]  # (slice or "process"/"status"/"level"/"yes_no", value): its label


def list_row(listed: Listed, row: Any, labels: ListLabels) -> list[Any]:
    value = labels.value
    number, title = listed.number(row.instance_id), listed.title(row.instance_id)
    if listed.kind == "cases":
        return [
            number,
            title,
            value("process", row.process_key),
            value("project", row.project),
            value("department", row.department),
            row.registered_at,
            row.closed_at,
            value("status", row.status),
            value("yes_no", not row.late),
            row.reworked,
        ]
    if listed.kind == "steps":
        return [
            row.name,
            value("department", row.department),
            number,
            title,
            row.due_at,
            row.completed_at,
            value("yes_no", row.late),
        ]
    step = listed.steps.get(row.task_id, "") if row.task_id is not None else ""
    return [value("level", row.level), step, value("department", row.department), number, title, row.at]


def list_workbook(
    out: IO[bytes],
    kind: str,
    chunks: Iterable[Listed],
    labels: ListLabels,
    *,
    name: str,
    title: str,
    scope: str,
) -> int:
    """The whole list behind a number; returns how many rows were written."""
    book = new_book()
    columns = [Column(labels.columns[key], width, k) for key, width, k in LIST_COLUMNS[kind]]
    sheet = Sheet(book, name, title, scope, columns)
    for listed in chunks:
        for row in listed.rows:
            sheet.row(list_row(listed, row, labels))
    save(book, out)
    return sheet.rows
