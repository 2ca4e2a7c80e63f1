"""Settings reach the parts they configure."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lintel.clock import SHANGHAI
from webapp import create_app


def test_working_hours_holidays_and_script_limit_come_from_the_settings(tmp_path: Path) -> None:
    holidays = tmp_path / "holidays.json"
    holidays.write_text('{"holidays": ["2026-11-23"]}')
    app = create_app(
        {
            "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "LINTEL_WORKING_HOURS": "08:00-12:00",
            "LINTEL_HOLIDAYS_FILE": str(holidays),
            "LINTEL_SCRIPT_TIME_LIMIT": "0.5",
            "LINTEL_SCRIPT_MEMORY_MB": "64",
            "LINTEL_STATE_MAX_BYTES": "100000",
        }
    )
    foundation = app.extensions["lintel.foundation"]
    limits = foundation.script_limits
    assert (limits.seconds, limits.memory_bytes, limits.max_data_bytes) == (0.5, 64 * 1024 * 1024, 100000)
    calendar = foundation.calendar
    assert not calendar.is_working_day(datetime(2026, 11, 23).date())
    friday_eleven = datetime(2026, 11, 20, 11, 0, tzinfo=SHANGHAI)
    assert calendar.add_business_hours(friday_eleven, 2) == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
