"""The monthly report on the hand-built week of tests/kpis/test_figures.py (November: seven requests, four
closed; December: C5 closed on time): the workbook's figures and their month-on-month change as a reader
opens them; sent once, on the first working day at 08:30 — 2027-01-04, the first of January being a holiday
and the 2nd and 3rd a weekend — to the managers, whose mail server receives the workbook attached."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from crm.kpis.models import KpiReport
from crm.platform import Foundation, Platform
from engine.business_time import BusinessCalendar
from lintel.clock import SHANGHAI, FixedClock
from notifications.dispatch import Dispatcher
from notifications.email import SmtpChannel
from notifications.models import OutboxFile, OutboxMessage
from tests.kpis import test_figures as hand_built
from tests.kpis.test_figures import Week
from tests.notifications.loopback import Mailbox, smtp_server
from tests.webapp.pages_support import login
from webapp.scheduler import send_monthly_report

job, week = hand_built.job, hand_built.week  # the hand-built week's fixtures
MANAGERS = {"crc_sup@example.com", "eng_mgr@example.com", "group_crc@example.com"}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def foundation(clock: FixedClock) -> Foundation:
    # New Year's Day 2027 is a holiday (the State Council's notice, as an administrator's override).
    return Foundation(clock=clock, calendar=BusinessCalendar(overrides={date(2027, 1, 1): False}))


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def rows(sheet: Any) -> dict[str, tuple[Any, ...]]:
    """A sheet's rows by their first cell (under the title, the scope line and the header)."""
    return {r[0]: r[1:] for r in sheet.iter_rows(min_row=4, values_only=True) if r and r[0]}


def made(client: Any, platform: Platform, month: str) -> Any:
    """Made on the page ("generate now"), downloaded from its link in the list."""
    response = client.post("/kpis/reports", data={"month": month})
    assert response.status_code == 302
    report_id = platform.session.scalar(select(KpiReport.id).where(KpiReport.month == month))
    assert f'href="/kpis/reports/{report_id}.xlsx"' in client.get("/kpis/reports").get_data(as_text=True)
    download = client.get(f"/kpis/reports/{report_id}.xlsx")
    assert download.status_code == 200
    return load_workbook(io.BytesIO(download.data))


def test_the_workbook_gives_the_months_figures_beside_the_month_before(
    app: Any, client: Any, platform: Platform, week: Week
) -> None:
    login(client, "eng_mgr")
    book = made(client, platform, "2026-12")
    assert book.sheetnames == ["概览", "按流程", "按部门", "按项目", "按类别", "满意度"]
    summary = rows(book["概览"])
    # figure: December, November, change, change %, December's parts, November's
    assert summary["登记"][:4] == (0, 7, -7, -1)
    assert summary["办结"][:4] == (1, 4, -3, -0.75)  # C5 against C1–C4
    assert summary["工单及时率"] == ("100.0%", "50.0%", 50.0, None, "1/1", "2/4")
    assert summary["步骤及时率"] == ("100.0%", "76.5%", 23.5, None, "2/2", "13/17")
    assert summary["累计封闭率"][4:] == ("5/7", "5/7")
    assert summary["一级升级"][:3] == (0, 1, -1)
    assert summary["满意度平均分"][:3] == (5, 5, 0)  # C5's rating; C1–C4's in November

    book = made(client, platform, "2026-11")
    departments = rows(book["按部门"])
    # registered, closed since, still open, closure rate
    assert departments["工程部"][:4] == (4, 3, 1, 0.75)
    assert departments["物业服务中心"][:4] == (2, 2, 0, 1)
    assert departments["合计"][:4] == (7, 5, 2, 5 / 7)
    assert departments["合计"][23:26] == (1, 1, 0)  # escalations per level
    reports = client.get("/kpis/reports").get_data(as_text=True)
    assert "2026年11月" in reports and "2026年12月" in reports and "未发送" in reports


def test_only_this_month_or_the_last_is_made_by_hand(
    app: Any, client: Any, platform: Platform, clock: FixedClock
) -> None:
    login(client, "eng_mgr")
    client.post("/kpis/reports", data={"month": "2025-01"})
    assert "只能生成本月或上月的月报" in client.get("/kpis/reports").get_data(as_text=True)
    assert platform.session.scalar(select(func.count()).select_from(KpiReport)) == 0
    login(client, "eng")
    assert client.get("/kpis/reports").status_code == 403


def test_sent_once_on_the_first_working_day_with_the_workbook_attached(
    app: Any, platform: Platform, clock: FixedClock, week: Week, session_factory: sessionmaker[Session]
) -> None:
    platform.session.execute(update(OutboxMessage).values(status="sent"))  # the week's own notices
    platform.session.commit()
    clock.set(sh(2026, 12, 31, 9, 0))
    assert send_monthly_report(app) == "2026-11"  # not sent on December 1st (nothing ran): caught up
    for moment in ((2026, 12, 31, 9, 15), (2027, 1, 1, 9, 0), (2027, 1, 3, 9, 0), (2027, 1, 4, 8, 15)):
        clock.set(sh(*moment))
        assert send_monthly_report(app) is None, moment
    clock.set(sh(2027, 1, 4, 8, 30))
    assert send_monthly_report(app) == "2026-12"
    clock.set(sh(2027, 1, 4, 8, 45))
    assert send_monthly_report(app) is None
    clock.set(sh(2027, 1, 20, 10, 0))
    assert send_monthly_report(app) is None

    platform.session.expire_all()
    reports = platform.session.scalars(select(KpiReport).order_by(KpiReport.month)).all()
    assert [(r.month, r.sent_at, r.recipients) for r in reports] == [
        ("2026-11", sh(2026, 12, 31, 9, 0), 3),
        ("2026-12", sh(2027, 1, 4, 8, 30), 3),
    ]
    emails = platform.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "kpi.monthly", OutboxMessage.channel == "email")
    ).all()
    assert sorted(m.address for m in emails) == sorted([*MANAGERS, *MANAGERS])  # each month once

    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        channel = SmtpChannel("127.0.0.1", port, mail_from="客户关系中心 <crc@lintel.example.com>")
        Dispatcher(session_factory, {"email": channel}, clock).run_until_empty()
    received = [m for m in mailbox.received if m["Subject"] == "2026年12月指标月报"]
    assert {m["To"].addresses[0].addr_spec for m in received} == MANAGERS
    mail = received[0]
    assert "封闭率" in mail.get_body(("plain",)).get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "指标月报-2026-12.xlsx"
    book = load_workbook(io.BytesIO(attachment.get_content()))
    assert rows(book["概览"])["办结"][:2] == (1, 4)
    assert platform.session.scalar(select(func.count()).select_from(OutboxFile)) == 6  # one per email


def test_no_report_of_a_month_before_any_request_was_registered(
    app: Any, platform: Platform, clock: FixedClock
) -> None:
    clock.set(sh(2026, 12, 1, 9, 0))  # the first working day, past 08:30; nothing ever registered
    assert send_monthly_report(app) is None
    platform.session.expire_all()
    assert platform.session.scalar(select(func.count()).select_from(KpiReport)) == 0
    kinds = platform.session.scalars(select(OutboxMessage.kind)).all()
    assert "kpi.monthly" not in kinds
