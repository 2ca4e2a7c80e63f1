"""Imports run from the administrator's page: one row per uploaded file (`import_jobs`), with its progress,
counts and skipped rows, so that the page shows them after a reload and from any web process. The file is
kept in the row until it has been imported, so any process can run it; the import itself is
crm.estate.imports, committed batch by batch together with the job's progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.estate.import_files import FileRefused, read_table
from crm.estate.import_layouts import KINDS
from crm.estate.import_models import ImportJob
from crm.estate.imports import Importer, ImportReport
from engine.errors import InvalidData, NotFound
from lintel.clock import Clock

RECENT = 20


class ImportJobs:
    """Import jobs in one session (the caller commits), and running one (`run`, its own transactions)."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def submit(self, kind: str, filename: str, content: bytes, by: str) -> ImportJob:
        if kind not in KINDS:
            raise InvalidData("unknown kind", {"kind": "must be one of: " + ", ".join(KINDS)})
        job = ImportJob(
            kind=kind,
            filename=filename[-255:] or "file",
            status="queued",
            content=content,
            size=len(content),
            created_by=by,
            created_at=self.clock.now(),
            total=0,
            done=0,
            created=0,
            updated=0,
            unchanged=0,
            skipped=0,
            problems_dropped=0,
        )
        self.session.add(job)
        self.session.flush()
        return job

    def get(self, job_id: int) -> ImportJob:
        job = self.session.get(ImportJob, job_id)
        if job is None:
            raise NotFound("the import does not exist")
        return job

    def recent(self, limit: int = RECENT) -> list[ImportJob]:
        return list(self.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)))


def run_job(
    sessions: Callable[[], Session],
    clock: Clock,
    job_id: int,
    *,
    max_bytes: int,
    unpacked_max_bytes: int,
) -> None:
    """Run a queued import: claim it (one process only), read the file, import it batch by batch, each
    batch committed with the job's progress. A refused file or a failure is recorded on the job."""
    with sessions() as session:
        claimed = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == "queued")
            .values(status="running", started_at=clock.now(), progress_at=clock.now())
        )
        session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return
        job = session.get(ImportJob, job_id)
        assert job is not None
        kind, filename, content = job.kind, job.filename, job.content or b""
        try:
            table = read_table(filename, content, max_bytes=max_bytes, unpacked_max_bytes=unpacked_max_bytes)
            Importer.check(kind, table)
            job.total = table.total or 0
            session.commit()

            def after_batch(report: ImportReport) -> None:
                _record(job, report, clock)
                session.commit()

            report = Importer(session, clock).run(kind, table, after_batch=after_batch)
        except FileRefused as refused:
            session.rollback()
            _finish(session, job_id, clock, "refused", refusal(refused))
            return
        except Exception as exc:  # recorded for the administrator; the committed batches stay
            session.rollback()
            _finish(
                session, job_id, clock, "failed", {"code": "failed", "message": str(exc)[:500], "params": {}}
            )
            raise
        _record(job, report, clock)
        job.status = "done"
        job.finished_at = clock.now()
        job.content = None
        session.commit()


def refusal(refused: FileRefused) -> dict[str, Any]:
    return {"code": refused.code, "message": str(refused), "params": refused.params}


def _record(job: ImportJob, report: ImportReport, clock: Clock) -> None:
    counts = report.summary()
    job.done = report.done
    job.total = max(job.total or 0, report.done)
    job.created, job.updated = counts["created"], counts["updated"]
    job.unchanged, job.skipped = counts["unchanged"], counts["skipped"]
    job.problems = [p.as_dict() for p in report.problems]
    job.problems_dropped = report.problems_dropped
    job.ignored_columns = report.ignored_columns
    job.progress_at = clock.now()


def _finish(session: Session, job_id: int, clock: Clock, status: str, why: dict[str, Any]) -> None:
    job = session.get(ImportJob, job_id)
    assert job is not None
    job.status = status
    job.refusal = why
    job.finished_at = clock.now()
    job.content = None
    session.commit()
