"""The monthly report: last month's figures as an XLSX workbook, kept in `kpi_reports` and sent to the
managers through the notification outbox on the first working day of the month at 08:30 (Shanghai).

The workbook (every word from the caller's `ReportWords`, so this module knows no Flask):

- 概览: each figure of the month (every process) beside the month before, the change and the change in %
  (rates in percentage points), with numerators and denominators; escalations per level; satisfaction.
- one figures sheet per slice — process, department, project, category — as the page's export writes it
  (`crm.kpis.book.figures_sheet`: every rate beside its parts, times, rework, escalations per level);
- 满意度: satisfaction by department and by project (average, % satisfied, NPS with their parts).

Recipients: every active user holding a managing role — `manager` (a department's manager), `supervisor`
(the centre's supervisor) or `group` (the group's customer-relations centre) — by email with the workbook
attached, and in the bell. The report of a month is sent once: its row is locked while it is sent and
carries `sent_at`, so several workers running the job (or a restart) never send it twice; a month whose
sending time passed while everything was down is sent when the scheduler next runs, never earlier. A month
by whose end no request had been registered (Lintel was not in use yet) is not sent.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.handover.report_book import Column, Sheet, new_book, ratio, save
from crm.kpis.book import FigureLabels, figures_sheet
from crm.kpis.figures import Group, Kpis, Scope
from crm.kpis.models import KpiCase, KpiReport
from crm.messaging.recipients import Person, staff_addresses
from crm.models import User
from crm.visits.satisfaction import Figure, Satisfaction
from engine.business_time import BusinessCalendar
from lintel.clock import SHANGHAI, Clock
from notifications.channels import Attachment
from notifications.outbox import Outbox

KIND = "kpi.monthly"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEND_AT = time(8, 30)  # Shanghai, on the month's first working day
MANAGING_ROLES = ("manager", "supervisor", "group")
SHEETS = ("process", "department", "project", "category")
SUMMARY = (
    # figure, kind: rate (numerator/denominator of Group.figures()) or count (a counter)
    ("registered", "count"),
    ("closed", "count"),
    ("closure_rate", "rate"),
    ("closure_rate_cumulative", "rate"),
    ("on_time_steps", "rate"),
    ("on_time_cases", "rate"),
    ("rework_rate", "rate"),
    ("escalations_1", "count"),
    ("escalations_2", "count"),
    ("escalations_3", "count"),
)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> tuple[date, date]:
    """ "2026-11" → its first and last day. Raises ValueError."""
    year, _, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError(f"{text!r} is not a month such as 2026-11")
    first = date(int(year), int(month), 1)
    return first, _next_month(first) - timedelta(days=1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def first_working_day(calendar: BusinessCalendar, first: date) -> date:
    day = first
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class ReportWords:
    """Every word of the workbook and the message, in the reader's language (webapp/pages/kpi_reports.py)."""

    columns: Mapping[str, str]  # crm.kpis.book.FIGURE_COLUMNS keys: headers
    group: Callable[[str, Any], str]  # (slice, key): the group's name
    figure: Callable[[str], str]  # a figure or counter: its name
    texts: Mapping[str, str]  # sheet names, titles, headers (see `build`), the attachment's file name
    month: Callable[[str], str]  # "2026-11": 2026年11月


@dataclass(frozen=True)
class Change:
    name: str
    kind: str
    now: float | None
    before: float | None
    now_parts: tuple[float, int] | None
    before_parts: tuple[float, int] | None

    @property
    def change(self) -> float | None:
        return None if self.now is None or self.before is None else self.now - self.before

    @property
    def change_pct(self) -> float | None:
        """Counts: the change ÷ the month before; rates are compared in points (`change`), not here."""
        if self.kind != "count" or self.now is None or not self.before:
            return None
        return (self.now - self.before) / self.before


def changes(now: Group, before: Group) -> list[Change]:
    """The month against the month before, figure by figure."""
    found = []
    rates_now, rates_before = now.figures(), before.figures()
    for name, kind in SUMMARY:
        if kind == "count":
            found.append(Change(name, kind, now.counts[name], before.counts[name], None, None))
        else:
            a, b = rates_now[name], rates_before[name]
            found.append(
                Change(
                    name, kind, a.value, b.value, (a.numerator, a.denominator), (b.numerator, b.denominator)
                )
            )
    return found


class MonthlyReports:
    def __init__(self, session: Session, clock: Clock, calendar: BusinessCalendar) -> None:
        self.session = session
        self.clock = clock
        self.calendar = calendar
        self.kpis = Kpis(session)

    # -- the workbook ----------------------------------------------------------------------------------

    def build(self, month: str, words: ReportWords) -> bytes:
        start, end = parse_month(month)
        before_start = previous_month(start)
        scope = Scope(start, end)
        texts = words.texts
        line = texts["scope"]
        book = new_book()

        _groups, total = self.kpis.table(scope)
        _g, before = self.kpis.table(Scope(before_start, start - timedelta(days=1)))
        satisfaction = Satisfaction(self.session)
        by_department = satisfaction.figures(start, end, "department")
        overall = satisfaction.total(by_department)
        earlier = satisfaction.total(satisfaction.figures(before_start, start - timedelta(days=1), "month"))

        summary = Sheet(
            book,
            texts["summary"],
            texts["summary_title"],
            line,
            [
                Column(texts["figure"], 18),
                Column(words.month(month), 12),
                Column(words.month(month_key(before_start)), 12),
                Column(texts["change"], 12),
                Column(texts["change_pct"], 12, "pct"),
                Column(texts["parts_now"], 14),
                Column(texts["parts_before"], 14),
            ],
        )
        for change in changes(total, before):
            rate = change.kind == "rate"
            summary.row(
                [
                    words.figure(change.name),
                    _shown(change.now, rate),
                    _shown(change.before, rate),
                    _points(change.change) if rate else change.change,
                    change.change_pct,
                    _parts(change.now_parts),
                    _parts(change.before_parts),
                ]
            )
        for name, a, b in (
            ("satisfaction_average", overall.average, earlier.average),
            ("satisfaction_satisfied", overall.satisfied_share, earlier.satisfied_share),
            ("satisfaction_nps", overall.nps, earlier.nps),
        ):
            now_value = _satisfaction_value(name, a)
            before_value = _satisfaction_value(name, b)
            change = None if now_value is None or before_value is None else round(now_value - before_value, 2)
            summary.row(
                [
                    words.figure(name),
                    _shown(now_value, False),
                    _shown(before_value, False),
                    change,
                    None,
                    _parts((a.numerator, a.denominator)),
                    _parts((b.numerator, b.denominator)),
                ]
            )
        summary.note(texts["summary_note"])

        for by in SHEETS:
            groups, by_total = self.kpis.table(scope, by)
            labels = FigureLabels(words.columns, lambda key, by=by: words.group(by, key), texts["total"])
            figures_sheet(
                book,
                groups,
                by_total,
                labels,
                name=texts[f"sheet_{by}"],
                title=texts[f"title_{by}"],
                scope=line,
            )

        projects = satisfaction.figures(start, end, "project")
        self._satisfaction_sheet(book, words, line, by_department, projects)
        out = io.BytesIO()
        save(book, out)
        return out.getvalue()

    def _satisfaction_sheet(
        self, book: Any, words: ReportWords, line: str, departments: list[Figure], projects: list[Figure]
    ) -> None:
        t = words.texts
        sheet = Sheet(
            book,
            t["sheet_satisfaction"],
            t["title_satisfaction"],
            line,
            [
                Column(t["slice"], 10),
                Column(t["group"], 24),
                Column(t["answers"], 9, "int"),
                Column(t["average"], 9, "days"),
                Column(t["satisfied"], 9, "int"),
                Column(t["satisfied_pct"], 10, "pct"),
                Column(t["nps_answers"], 10, "int"),
                Column(t["nps"], 9, "days"),
            ],
        )
        for slice_name, figures in ((t["by_department"], departments), (t["by_project"], projects)):
            for f in figures:
                sheet.row(
                    [
                        slice_name,
                        f.label,
                        f.answers,
                        f.average_value,
                        f.satisfied,
                        ratio(f.satisfied, f.answers),
                        f.nps_answers,
                        f.nps_value,
                    ]
                )

    # -- kept and sent -------------------------------------------------------------------------------------

    def find(self, month: str) -> KpiReport | None:
        return self.session.scalars(select(KpiReport).where(KpiReport.month == month)).first()

    def listed(self) -> list[KpiReport]:
        return list(self.session.scalars(select(KpiReport).order_by(KpiReport.month.desc())))

    def generate(self, month: str, words: ReportWords, by: str | None = None) -> KpiReport:
        """The month's workbook made now (again, if it was made before: the figures may have been
        refreshed since); a report already sent keeps its sending time."""
        parse_month(month)
        data = self.build(month, words)
        report = self.find(month)
        now = self.clock.now()
        if report is None:
            report = KpiReport(month=month, created_at=now, sent_at=None, recipients=0)
            self.session.add(report)
        report.created_at = now
        report.created_by = by
        report.data = data
        report.filename = f"kpis-{month}.xlsx"
        self.session.flush()
        return report

    def recipients(self) -> list[User]:
        users = self.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
        return [u for u in users if set(u.role_set) & set(MANAGING_ROLES)]

    def send(self, report: KpiReport, outbox: Outbox, words: ReportWords, context: dict[str, Any]) -> int:
        """Queue the report to every manager (email with the workbook, and the bell); how many."""
        attachment = Attachment(words.texts["attachment"], XLSX, report.data)
        count = 0
        for user in self.recipients():
            person_context = {**context, "name": user.display_name, "month": words.month(report.month)}
            outbox.queue(
                KIND,
                staff_addresses(_person(user), ("email",)),
                person_context,
                link=context.get("path"),
                attachments=[attachment],
                ref=f"kpis:{report.month}",
            )
            count += 1
        report.sent_at = self.clock.now()
        report.recipients = count
        self.session.flush()
        return count

    def due(self) -> str | None:
        """The month whose report is due now: last month's, from 08:30 on this month's first working day."""
        now = self.clock.now().astimezone(SHANGHAI)
        first = now.date().replace(day=1)
        sending = datetime.combine(first_working_day(self.calendar, first), SEND_AT, tzinfo=SHANGHAI)
        return month_key(previous_month(first)) if now >= sending else None

    def run_due(self, outbox: Outbox, words: ReportWords, context: dict[str, Any]) -> KpiReport | None:
        """The scheduler's job: make and send the due month's report unless it was sent. The caller
        commits; two workers at once: one sends, the other finds it locked or sent and does nothing."""
        month = self.due()
        if month is None or not self._held_requests_by(month):
            return None
        report = self._claim(month)
        if report is None or report.sent_at is not None:
            return None
        self.generate(month, words)
        self.send(report, outbox, words, context)
        return report

    def _held_requests_by(self, month: str) -> bool:
        """Whether any request had been registered by the month's end: a centre that has just started
        using Lintel is not sent a report of a month from before it did."""
        _, last = parse_month(month)
        query = select(KpiCase.instance_id).where(KpiCase.registered_day <= last).limit(1)
        return self.session.scalar(query) is not None

    def _claim(self, month: str) -> KpiReport | None:
        """The month's row, locked (PostgreSQL; SQLite has one writer), created when missing."""
        query = select(KpiReport).where(KpiReport.month == month).with_for_update(skip_locked=True)
        report = self.session.scalars(query).first()
        if report is not None:
            return report
        if self.find(month) is not None:
            return None  # another worker holds it
        try:
            with self.session.begin_nested():
                report = KpiReport(
                    month=month,
                    created_at=self.clock.now(),
                    sent_at=None,
                    recipients=0,
                    filename=f"kpis-{month}.xlsx",
                    data=b"",
                )
                self.session.add(report)
        except IntegrityError:
            return None  # another worker made it first
        return report


def _person(user: User) -> Person:
    return Person(user.username, user.display_name, user.email, user.phone)


def _shown(value: float | None, rate: bool) -> Any:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if rate else value


def _points(change: float | None) -> Any:
    return None if change is None else round(change * 100, 1)


def _parts(parts: Sequence[float] | None) -> str:
    if parts is None:
        return ""
    numerator, denominator = parts
    shown = int(numerator) if float(numerator).is_integer() else numerator
    return f"{shown}/{denominator}"


def _satisfaction_value(name: str, r: Any) -> float | None:
    if r.value is None:
        return None
    if name == "satisfaction_average":
        return round(float(r.value), 2)
    return round(float(r.value) * 100, 1)
