"""The record of an import run from the administrator's page (crm.estate.import_jobs runs it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import BigId
from lintel.db import Base

STATUSES = ("queued", "running", "done", "refused", "failed")
# A running import whose progress has not moved for this long was interrupted (its process ended).
STALE_AFTER = timedelta(minutes=10)


class ImportJob(Base):
    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # [{line, column, code, message, params}], the first MAX_PROBLEMS_KEPT; the rest only counted.
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    problems_dropped: Mapped[int] = mapped_column(Integer, default=0)
    ignored_columns: Mapped[list[str] | None] = mapped_column(JSON)
    # Why the file was refused or the import failed: {code, message, params}.
    refusal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def interrupted(self, now: datetime) -> bool:
        moved = self.progress_at or self.started_at or self.created_at
        return self.active and moved is not None and now - moved > STALE_AFTER

    @property
    def percent(self) -> int:
        if self.status in ("done", "refused", "failed"):
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0
