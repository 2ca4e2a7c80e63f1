"""The figures' own tables, derived from the audit trail by `crm.kpis.refresh` and rebuilt from it at will.

- `kpi_cases`: one row per request (every process instance) — its slices, when it was registered, first
  answered and closed, how long that took (calendar and working time), whether any step missed its deadline,
  how often the owner sent it back, how far it was escalated.
- `kpi_steps`: one row per workflow step (an inbox task of kind `task`) — who owned it, when it was due and
  done, whether it missed its deadline, the time spent on it.
- `kpi_escalations`: one row per escalation (a `task.escalated` event).
- `kpi_days`: the additive counters per Shanghai day, process and one slice (`dim` = all, project,
  department, category, channel, severity; `value` '' where the slice is unknown): the dashboards' trend
  lines and tables add these up instead of counting a million cases.
- `kpi_pairs`: the same counters per day and process for every two slices at once (project × category, ...):
  the heat table, and the figures sliced by one slice and filtered by another (or filtered by two);
  `kpi_pair_months` the same added up per month.
- `kpi_times`: per month, process, slice and value, every time to first response and to closure of the
  requests counted there (crm.kpis.times), sorted, so a period of whole months finds its medians and 90th
  percentiles without sorting a million cases.
- `kpi_state`: how far the audit trail has been read, and when.
- `kpi_reports`: the monthly report of each month (its workbook), and when it was sent to the managers.

Nothing here is ever edited by hand: every row but the reports' is recomputed from the events of its
instance.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lintel.db import Base, BigId

DIMS = ("project", "department", "category", "channel", "severity")
PAIRS = tuple((a, b) for i, a in enumerate(DIMS) for b in DIMS[i + 1 :])  # kpi_pairs' (dim_a, dim_b)


class KpiCase(Base):
    __tablename__ = "kpi_cases"
    __table_args__ = (
        Index("ix_kpi_cases_registered", "registered_day", "process_key"),
        Index("ix_kpi_cases_closed", "closed_day", "process_key"),
    )

    instance_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(30))
    project: Mapped[str | None] = mapped_column(String(50))
    department: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # open | closed | cancelled | error
    registered_at: Mapped[datetime]
    registered_day: Mapped[date] = mapped_column(Date)
    first_response_at: Mapped[datetime | None]
    response_s: Mapped[int | None] = mapped_column(Integer)
    response_work_s: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None]
    closed_day: Mapped[date | None] = mapped_column(Date)
    resolution_s: Mapped[int | None] = mapped_column(Integer)
    resolution_work_s: Mapped[int | None] = mapped_column(Integer)
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    steps_late: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # a step (done or not) missed its deadline
    reworked: Mapped[int] = mapped_column(Integer, default=0)  # times the owner sent it back
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)


class KpiStep(Base):
    __tablename__ = "kpi_steps"
    __table_args__ = (
        Index("ix_kpi_steps_completed", "completed_day", "process_key"),
        Index("ix_kpi_steps_element", "process_key", "element_id", "completed_day"),
        Index("ix_kpi_steps_instance", "instance_id"),
        # The process heatmap: a process's steps completed in a period, read from the index alone.
        Index(
            "ix_kpi_steps_heat",
            "process_key",
            "completed_day",
            postgresql_include=["element_id", "state", "has_deadline", "late", "spent_s", "spent_work_s"],
        ),
        # The same for one deployed version of it.
        Index(
            "ix_kpi_steps_heat_version",
            "definition_id",
            "completed_day",
            postgresql_include=["element_id", "state", "has_deadline", "late", "spent_s", "spent_work_s"],
        ),
    )

    task_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(BigId)
    process_key: Mapped[str] = mapped_column(String(200))
    definition_id: Mapped[int | None] = mapped_column(BigId)  # the version its request runs on
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(64))  # the step's own department
    project: Mapped[str | None] = mapped_column(String(50))  # the rest: its request's slices
    category: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_day: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime | None]
    has_deadline: Mapped[bool] = mapped_column(Boolean, default=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    spent_s: Mapped[int | None] = mapped_column(Integer)
    spent_work_s: Mapped[int | None] = mapped_column(Integer)


class KpiEscalation(Base):
    __tablename__ = "kpi_escalations"
    __table_args__ = (
        Index("ix_kpi_escalations_day", "day", "process_key"),
        Index("ix_kpi_escalations_instance", "instance_id"),
    )

    event_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(BigId)
    task_id: Mapped[int | None] = mapped_column(BigId)
    process_key: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)
    department: Mapped[str | None] = mapped_column(String(64))  # the escalated step's department
    project: Mapped[str | None] = mapped_column(String(50))
    category: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(20))


class Counters:
    """The additive counters (crm.kpis.counters.COUNTERS) of kpi_days, kpi_pairs and kpi_pair_months."""

    registered: Mapped[int] = mapped_column(Integer, default=0)
    registered_closed: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    closed_reworked: Mapped[int] = mapped_column(Integer, default=0)
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    steps_on_time: Mapped[int] = mapped_column(Integer, default=0)
    escalations_1: Mapped[int] = mapped_column(Integer, default=0)
    escalations_2: Mapped[int] = mapped_column(Integer, default=0)
    escalations_3: Mapped[int] = mapped_column(Integer, default=0)


class KpiDay(Counters, Base):
    __tablename__ = "kpi_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    dim: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)


class KpiPair(Counters, Base):
    """The additive counters per Shanghai day and process for each two slices at once (`dim_a` before `dim_b`
    in DIMS' order; values '' where unknown): a table by one slice filtered by another, the bars by department
    under a filter and the heat table (project × category) add these up instead of counting the facts."""

    __tablename__ = "kpi_pairs"

    dim_a: Mapped[str] = mapped_column(String(20), primary_key=True)
    dim_b: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value_a: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_b: Mapped[str] = mapped_column(String(64), primary_key=True)


class KpiPairMonth(Counters, Base):
    """kpi_pairs added up per month: a period of many months reads a row per month, its cut months' days
    from kpi_pairs."""

    __tablename__ = "kpi_pair_months"

    dim_a: Mapped[str] = mapped_column(String(20), primary_key=True)
    dim_b: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value_a: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_b: Mapped[str] = mapped_column(String(64), primary_key=True)


class KpiTimes(Base):
    __tablename__ = "kpi_times"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    dim: Mapped[str] = mapped_column(String(20), primary_key=True)  # all, or one of DIMS
    value: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' where the slice is unknown
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)  # response, resolution_work, ...
    n: Mapped[int] = mapped_column(Integer)
    times: Mapped[bytes] = mapped_column(LargeBinary)  # n seconds, ascending, 32-bit little-endian


class KpiState(Base):
    __tablename__ = "kpi_state"

    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigId, default=0)
    refreshed_at: Mapped[datetime | None]
    # Recent (time, last event id) marks: the next run reads again from the mark five minutes old, so an
    # event whose transaction committed after a later one (ids are handed out before commit) is not missed.
    marks: Mapped[list[Any]] = mapped_column(JSON, default=list)


class KpiReport(Base):
    """One month's report: the workbook as it was made, and when it went to the managers (one row per month:
    the scheduler sends it once however many workers run it)."""

    __tablename__ = "kpi_reports"
    __table_args__ = (UniqueConstraint("month", name="uq_kpi_reports_month"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64))  # a username; None: the scheduler
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # managers it was sent to
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
