"""`lintel kpis refresh|rebuild` as an operator runs them on the embedded database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from crm.kpis.models import KpiCase
from tests.webapp.test_cli import Lintel
from webapp.database import make_engine


def cases(lintel: Lintel) -> int:
    engine = make_engine(lintel.url)
    with engine.connect() as connection:
        found = connection.scalar(select(func.count()).select_from(KpiCase)) or 0
    engine.dispose()
    return found


def test_refresh_reads_new_requests_then_nothing_and_rebuild_recomputes_them_all(tmp_path: Path) -> None:
    lintel = Lintel(tmp_path)
    assert lintel("init", "--demo").exit_code == 0
    started = lintel(
        "start",
        "complaint",
        "--as",
        "crc",
        "--data",
        '{"channel": "hotline", "description": "卫生间渗水", "owner_phone": "13800000001"}',
    )
    assert started.exit_code == 0, started.output

    first = lintel("kpis", "refresh")
    assert first.exit_code == 0, first.output
    assert first.output.startswith("1 requests recomputed")
    assert cases(lintel) == 1
    again = lintel("kpis", "refresh")
    assert again.output.startswith("0 requests recomputed")

    rebuilt = lintel("kpis", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "1 requests recomputed" in rebuilt.output
    assert cases(lintel) == 1
