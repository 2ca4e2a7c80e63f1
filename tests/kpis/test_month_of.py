"""The month a figure is counted under: one expression for a stored day and for a stored time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, literal, select
from sqlalchemy.orm import Session

from lintel.db import UTCDateTime, month_of


def test_a_day_and_a_moment_fall_in_their_shanghai_month(session: Session) -> None:
    day = literal(date(2026, 11, 30), Date)
    assert session.scalar(select(month_of(session, day))) == "2026-11"
    # 16:30 UTC on 30 November is half past midnight on 1 December in Shanghai.
    late = literal(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), UTCDateTime)
    assert session.scalar(select(month_of(session, late, moment=True))) == "2026-12"
    early = literal(datetime(2026, 11, 30, 15, 59, tzinfo=UTC), UTCDateTime)
    assert session.scalar(select(month_of(session, early, moment=True))) == "2026-11"
