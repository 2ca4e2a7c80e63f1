"""`lintel import KIND FILE`: records from a CSV or XLSX file, with a progress bar, a summary and every
skipped row (line and reason). Exit status 0 when every row was imported, 1 when the file is refused as a
whole (nothing imported), 2 when some rows were skipped (the others were imported)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from flask import current_app
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm.estate.import_files import FileRefused, read_table
from crm.estate.import_layouts import KINDS
from crm.estate.imports import Importer, ImportReport
from webapp import db_session, platform
from webapp.cli import main

EXIT_REFUSED = 1
EXIT_SKIPPED = 2


def import_file(kind: str, path: Path, *, show_progress: bool = True) -> ImportReport:
    """Import `path` as `kind`, committing batch by batch; FileRefused when it cannot be read."""
    config = current_app.config
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise FileRefused(
            "unreadable", f"{path}: cannot read the file: {exc.strerror}", name=str(path)
        ) from None
    table = read_table(
        path.name,
        content,
        max_bytes=int(config["LINTEL_IMPORT_MAX_BYTES"]),
        unpacked_max_bytes=int(config["LINTEL_UPLOAD_UNPACKED_MAX_BYTES"]),
    )
    Importer.check(kind, table)
    session = db_session()
    importer = Importer(session, platform().clock)
    progress = Progress(
        TextColumn(f"{kind}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show_progress,
        transient=False,
    )
    with progress:
        task = progress.add_task(kind, total=table.total or None)

        def after_batch(report: ImportReport) -> None:
            session.commit()
            progress.update(task, completed=report.done, total=max(report.done, table.total or 0))

        try:
            report = importer.run(kind, table, after_batch=after_batch)
        except BaseException:
            session.rollback()
            raise
        progress.update(task, completed=report.done, total=report.done)
    session.commit()
    return report


@main.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the skipped rows (line, column, reason) to this CSV file.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_records(kind: str, path: Path, errors_out: Path | None, quiet: bool) -> None:
    """Import projects, units, owners, contracts or contractors from a CSV or XLSX file.

    Rows are checked one by one: a bad row is listed with its line and reason and skipped, the good rows
    are imported, batch by batch. Importing the same file again changes nothing. Exit status: 0 every row
    imported, 1 the file was refused (nothing imported), 2 some rows were skipped."""
    try:
        report = import_file(kind, path, show_progress=not quiet)
    except FileRefused as refused:
        click.echo(f"refused: {refused}", err=True)
        sys.exit(EXIT_REFUSED)
    counts = report.summary()
    click.echo(
        f"{kind}: {report.done} rows — {counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['skipped']} skipped"
    )
    if report.ignored_columns:
        click.echo(f"ignored columns: {', '.join(report.ignored_columns)}")
    for problem in report.problems:
        click.echo(f"line {problem.line}: {problem.message}", err=True)
    if report.problems_dropped:
        click.echo(f"… and {report.problems_dropped} more problems", err=True)
    if errors_out is not None:
        with errors_out.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "column", "reason"])
            for problem in report.problems:
                writer.writerow([problem.line, problem.column, problem.message])
        click.echo(f"skipped rows written to {errors_out}")
    if counts["skipped"]:
        sys.exit(EXIT_SKIPPED)
