"""`lintel report KIND --out FILE`: a defect report written as an XLSX workbook, with the page's filters —
a project by its code, a building by its name, a contractor by its name, a status, the period the defects
were found in. Exit status 0 when the file was written, 1 when it could not be written, 2 when a filter is
wrong (each problem said)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crm.handover.report_scope import STATUS_CHOICES, BadScope, Scopes
from crm.handover.reports import KINDS, DefectReports
from webapp import db_session, platform
from webapp.cli import main
from webapp.pages.defect_reports import NAMES

EXIT_UNWRITABLE = 1
EXIT_BAD_FILTER = 2
OPTIONS = {"project": "--project", "building": "--building", "contractor": "--contractor"}


@main.command("report")
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--out",
    "-o",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The XLSX file to write.",
)
@click.option("--project", default="", help="A project's code (or name).")
@click.option("--building", default="", help="A building's name, e.g. 6栋 (and --project).")
@click.option("--contractor", default="", help="A contractor's name (or id).")
@click.option("--status", default="", type=click.Choice(("", *STATUS_CHOICES)), help="Defects in this state.")
@click.option("--from", "found_from", default="", metavar="DATE", help="Found on or after this day.")
@click.option("--to", "found_to", default="", metavar="DATE", help="Found on or before this day.")
@click.option(
    "--month",
    default="",
    metavar="YYYY-MM",
    help="Found in this month (not with --from/--to); the feedback report compares it with the last.",
)
def report(
    kind: str,
    path: Path,
    project: str,
    building: str,
    contractor: str,
    status: str,
    found_from: str,
    found_to: str,
    month: str,
) -> None:
    """Write a defect report: `defects` (the defect list), `summary` (the housing bureau's rectification
    summary) or `feedback` (the defect-feedback report for design and engineering).

    Exit status: 0 written, 1 the file could not be written, 2 a filter is wrong."""
    values = {
        "project": project,
        "building": building,
        "contractor": contractor,
        "status": status,
        "found_from": found_from,
        "found_to": found_to,
        "month": month,
    }
    session = db_session()
    try:
        scope = Scopes(session).from_names(values)
    except BadScope as refused:
        for field, message in refused.fields.items():
            option = OPTIONS.get(field, "--" + field.removeprefix("found_"))
            click.echo(f"{option} {values[field]!r}: {message}", err=True)
        sys.exit(EXIT_BAD_FILTER)
    reports = DefectReports(session, platform().clock)
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as out:
            rows = reports.write(kind, scope, NAMES, out)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        click.echo(f"cannot write {path}: {exc.strerror}", err=True)
        sys.exit(EXIT_UNWRITABLE)
    click.echo(f"{kind}: {rows} rows written to {path} ({scope.describe()})")
