"""`lintel kpis refresh|rebuild|report` as an operator runs them on the embedded database."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.kpis.models import KpiCase, KpiReport
from notifications.models import OutboxMessage
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


def test_report_makes_a_months_workbook_and_sends_it_to_the_managers(tmp_path: Path) -> None:
    lintel = Lintel(tmp_path)
    assert lintel("init", "--demo").exit_code == 0
    out = tmp_path / "月报.xlsx"
    made = lintel("kpis", "report", "--month", "2026-11", "--out", str(out))
    assert made.exit_code == 0, made.output
    assert "the report of 2026-11 is made" in made.output and "queued" not in made.output
    assert load_workbook(out).sheetnames == ["概览", "按流程", "按部门", "按项目", "按类别", "满意度"]

    sent = lintel("kpis", "report", "--month", "2026-11", "--send")
    assert sent.exit_code == 0, sent.output
    assert "queued to 3 managers" in sent.output  # eng_mgr, crc_sup, group_crc
    engine = make_engine(lintel.url)
    with engine.connect() as connection:
        emails = connection.scalars(
            select(OutboxMessage.address).where(
                OutboxMessage.kind == "kpi.monthly", OutboxMessage.channel == "email"
            )
        ).all()
        reports = connection.execute(select(KpiReport.month, KpiReport.recipients)).all()
    engine.dispose()
    assert sorted(emails) == ["crc_sup@example.com", "eng_mgr@example.com", "group_crc@example.com"]
    assert [tuple(r) for r in reports] == [("2026-11", 3)]

    wrong = lintel("kpis", "report", "--month", "11/2026")
    assert wrong.exit_code == 2 and "2026-11" in wrong.output
