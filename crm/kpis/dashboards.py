"""The questions the dashboards ask, each answered by a few indexed queries (never a loop over cases):

- the centre manager's morning (中心晨会看板): requests registered since 18:00 the evening before (their
  registration time, from kpi_cases), each department's overdue steps, the steps escalated to the group
  centre, the steps due today (all from the inbox: one index range per department queue, counted by
  `Worklist.count`, the same query the inbox lists, so a number and its list always agree), and the requests
  still open (from kpi_days);
- a department's queue (部门看板): open, overdue, due today and this week, how long the open steps have
  waited, 及时率 and 封闭率 over the last thirty days with their daily trend, the categories most registered;
- the group (集团看板): the projects side by side over a period, from kpi_days.

Only workflow steps (`kind` task) are work: the note an escalation timer raises for a manager about an
overdue step is not a second piece of work, nor a second breach. The figures from kpi_* lag the audit trail by
at most a minute (crm.kpis.refresh); the inbox's are live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from crm.estate.models import Project
from crm.kpis.counters import ALL, COUNTERS, REGISTERED
from crm.kpis.figures import LONGEST_DAYS, Group, Kpis, Scope
from crm.kpis.models import KpiDay
from crm.models import Department
from crm.visits.satisfaction import Figure, Satisfaction
from crm.worklist import Worklist, WorklistFilter
from engine.actors import Actor
from engine.inbox import open_candidate_tasks
from engine.models import HumanTask
from lintel.clock import SHANGHAI, Clock

EVENING = time(18, 0)  # the morning's "overnight" starts at 18:00 Shanghai the day before
GROUP_LEVEL = 3  # 三级督办: the group CR centre (the complaint diagram's level-3 timers)
TRENDS_DAYS = 30
ROLLING_DAYS = 7  # the trend's rates are of the week ending on each day
TOP_CATEGORIES = 5
# How long an open step has waited since it reached the queue: (name, more than, at most) in days.
AGES: tuple[tuple[str, float, float | None], ...] = (
    ("day", 0, 1),
    ("days_3", 1, 3),
    ("days_7", 3, 7),
    ("older", 7, None),
)
# Counting the queues needs no one's membership: the dashboards show every department's figures to those
# who may read the figures; the pages link to a queue only for those who may open it.
EVERYONE = Actor("dashboards", sees_all=True)


def steps(department: str = "", due: str = "", escalated: str = "") -> WorklistFilter:
    """The inbox filter for a department's open workflow steps ("" department: every department)."""
    return WorklistFilter(
        department=department or "*", due=due, kind="task", escalated=escalated, status="open"
    )


def evening_before(now: datetime) -> datetime:
    """18:00 Shanghai of the day before `now`'s Shanghai day."""
    day = now.astimezone(SHANGHAI).date() - timedelta(days=1)
    return datetime.combine(day, EVENING, tzinfo=SHANGHAI)


def open_since(today: date) -> date:
    """The first day the open requests are counted from: as far back as one figures period reaches."""
    return today - timedelta(days=LONGEST_DAYS - 1)


@dataclass(frozen=True)
class DepartmentQueue:
    code: str
    name: str
    open: int
    overdue: int


@dataclass(frozen=True)
class Morning:
    since: datetime
    today: date
    overnight: int
    departments: list[DepartmentQueue]
    escalated: int  # open steps escalated to the group centre
    due_today: int
    open_requests: int  # registered since `open_since(today)`, not yet closed

    @property
    def overdue(self) -> int:
        return sum(d.overdue for d in self.departments)


@dataclass(frozen=True)
class Queue:
    department: str
    open: int
    overdue: int
    due_today: int
    due_week: int
    ages: dict[str, int]


@dataclass(frozen=True)
class Trend:
    start: date
    end: date
    total: Group
    days: list[tuple[date, Group]]  # every day of the period, in order
    categories: list[tuple[str, int]]  # (category, registered) most first; "" not known

    def rolling(self, width: int = ROLLING_DAYS) -> list[tuple[date, Group]]:
        """Each day with the counters of the `width` days ending on it (fewer at the start): a daily rate
        of a small department jumps between 0 and 100%, a week's does not."""
        found = []
        for index, (day, _group) in enumerate(self.days):
            window = Group(day)
            for _day, group in self.days[max(0, index - width + 1) : index + 1]:
                for name, value in group.counts.items():
                    window.counts[name] += value
            found.append((day, window))
        return found


@dataclass
class ProjectRow:
    project: str  # code; "" not known
    group: Group
    satisfaction: Figure | None = None

    @property
    def escalations(self) -> int:
        c = self.group.counts
        return c["escalations_1"] + c["escalations_2"] + c["escalations_3"]


@dataclass
class Projects:
    rows: list[ProjectRow] = field(default_factory=list)
    total: Group = field(default_factory=lambda: Group(None))
    satisfaction: Figure | None = None


class Dashboards:
    def __init__(self, session: Session, clock: Clock, worklist: Worklist, kpis: Kpis) -> None:
        self.session = session
        self.clock = clock
        self.worklist = worklist
        self.kpis = kpis

    def today(self) -> date:
        return self.clock.now().astimezone(SHANGHAI).date()

    # -- the morning --------------------------------------------------------------------------------------

    def morning(self) -> Morning:
        now = self.clock.now()
        today = self.today()
        since = evening_before(now)
        overnight, _rows = self.kpis.drill(self.overnight_scope(today), "registered", limit=0, since=since)
        departments = list(self.session.execute(select(Department.code, Department.name)))
        # Every question of the queues in one walk of each department's open tasks.
        asked = [steps(escalated=str(GROUP_LEVEL)), steps(due="today")]
        for code, _name in departments:
            asked += [steps(code), steps(code, "overdue")]
        counts = self.worklist.count_each(EVERYONE, asked)
        queues = [
            DepartmentQueue(code, name, counts[2 + 2 * n], counts[3 + 2 * n])
            for n, (code, name) in enumerate(departments)
        ]
        return Morning(
            since=since,
            today=today,
            overnight=overnight,
            departments=sorted(queues, key=lambda d: (-d.overdue, d.name)),
            escalated=counts[0],
            due_today=counts[1],
            open_requests=self.open_requests(today),
        )

    @staticmethod
    def overnight_scope(today: date) -> Scope:
        return Scope(today - timedelta(days=1), today)

    def open_requests(self, today: date) -> int:
        """Requests registered since `open_since(today)` and not yet closed (cancelled ones are not)."""
        query = select(
            func.coalesce(func.sum(KpiDay.registered), 0),
            func.coalesce(func.sum(KpiDay.registered_closed), 0),
        ).where(KpiDay.dim == ALL, KpiDay.day >= open_since(today), KpiDay.day <= today)
        registered, closed = self.session.execute(query).one()
        return int(registered) - int(closed)

    # -- a department --------------------------------------------------------------------------------------

    def queue(self, department: str) -> Queue:
        now = self.clock.now()
        counts = self.worklist.count_each(
            EVERYONE, [steps(department, due) for due in ("", "overdue", "today", "week")]
        )
        return Queue(department, *counts, ages=self._ages(department, now))

    def _ages(self, department: str, now: datetime) -> dict[str, int]:
        """The open steps of the queue by how long they have waited (own and candidate tasks apart, as
        the inbox walks them)."""
        sums = []
        for name, above, upto in AGES:
            condition = HumanTask.created_at < now - timedelta(days=above)
            if upto is not None:
                condition = and_(condition, HumanTask.created_at >= now - timedelta(days=upto))
            if above == 0:
                condition = HumanTask.created_at >= now - timedelta(days=upto or 0)
            sums.append(func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name))
        base = [HumanTask.state == "open", HumanTask.kind == "task"]
        queues = [[HumanTask.department == department]]
        candidates = open_candidate_tasks(self.session, [department])
        if candidates:
            queues.append([HumanTask.id.in_(candidates), HumanTask.department != department])
        ages = dict.fromkeys((name for name, _a, _u in AGES), 0)
        for queue in queues:
            row = self.session.execute(select(*sums).where(*base, *queue)).one()
            for name, _a, _u in AGES:
                ages[name] += int(row._mapping[name] or 0)
        return ages

    def trend(self, department: str, days: int = TRENDS_DAYS) -> Trend:
        """The department's counters over the last `days` days (today included), day by day."""
        end = self.today()
        start = end - timedelta(days=days - 1)
        by_day = self.days(start, end, "department", department)
        total = Group(None)
        rows = []
        for offset in range(days):
            day = start + timedelta(days=offset)
            group = Group(day, by_day.get(day, dict.fromkeys(COUNTERS, 0)))
            rows.append((day, group))
            for name, value in group.counts.items():
                total.counts[name] += value
        return Trend(
            start,
            end,
            total,
            rows,
            self.top_categories(Scope(start, end, None, (("department", department),))),
        )

    def days(self, start: date, end: date, dim: str, value: str) -> dict[date, dict[str, int]]:
        """kpi_days of one slice's value, added up per day over every process."""
        columns = [func.sum(getattr(KpiDay, name)).label(name) for name in COUNTERS]
        query = (
            select(KpiDay.day, *columns)
            .where(KpiDay.dim == dim, KpiDay.value == value, KpiDay.day >= start, KpiDay.day <= end)
            .group_by(KpiDay.day)
        )
        return {
            row.day: {name: int(row._mapping[name] or 0) for name in COUNTERS}
            for row in self.session.execute(query)
        }

    def top_categories(self, scope: Scope, limit: int = TOP_CATEGORIES) -> list[tuple[str, int]]:
        """The categories with most requests registered in the scope (the drill-down's own conditions)."""
        category = func.coalesce(REGISTERED.column("category"), "").label("category")
        n = func.count().label("n")
        query = (
            select(category, n)
            .where(REGISTERED.rows, *scope.where(REGISTERED))
            .group_by(category)
            .order_by(n.desc(), category)
            .limit(limit)
        )
        return [(row.category, int(row.n)) for row in self.session.execute(query)]

    # -- the group -----------------------------------------------------------------------------------------

    def projects(self, start: date, end: date) -> Projects:
        """Every project's counters over the period (kpi_days by project) with its owners' satisfaction."""
        columns = [func.sum(getattr(KpiDay, name)).label(name) for name in COUNTERS]
        query = (
            select(KpiDay.value, *columns)
            .where(KpiDay.dim == "project", KpiDay.day >= start, KpiDay.day <= end)
            .group_by(KpiDay.value)
        )
        found = Projects()
        rows: dict[str, ProjectRow] = {}
        for row in self.session.execute(query):
            counts = {name: int(row._mapping[name] or 0) for name in COUNTERS}
            if not any(counts.values()):
                continue
            rows[row.value] = ProjectRow(row.value, Group(row.value, counts))
            for name, value in counts.items():
                found.total.counts[name] += value
        satisfaction = Satisfaction(self.session)
        scores = satisfaction.figures(start, end, "project")
        codes = dict(self.session.execute(select(Project.id, Project.code)).all())
        for figure in scores:
            code = codes.get(figure.key, "") if figure.key is not None else ""
            if code not in rows:
                rows[code] = ProjectRow(code, Group(code))
            rows[code].satisfaction = figure
        found.satisfaction = satisfaction.total(scores) if scores else None
        found.rows = [rows[key] for key in sorted(rows, key=lambda k: (k == "", k))]
        return found
