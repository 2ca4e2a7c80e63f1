"""The centre's figures over a period, per slice, each with its numerator and denominator.

Definitions (the pages show them beside every figure, from `webapp/pages/kpi_labels.py`):

- 封闭率 (closure rate) = requests registered in the period and closed by now ÷ requests registered in the
  period (cancelled ones — withdrawn, duplicates — are in neither); 累计封闭率 the same from the first request
  up to the period's end.
- 及时率 (on-time rate), steps = workflow steps completed in the period within their deadline ÷ steps with a
  deadline completed in the period; cases = requests closed in the period none of whose steps missed a
  deadline ÷ requests closed in the period. A step missed its deadline if it was completed late, its deadline
  fired, or its deadline was moved after it had passed; waiting for the owner moves the deadline on by the
  wait and does not count against it (crm.kpis.refresh).
- 首次响应时长 = registration → the first step completed, over requests registered in the period;
  办结时长 = registration → closed, over requests closed in the period; both in calendar and in working time
  (the business calendar's working hours and China's holidays), median and p90 (nearest rank: the smallest
  time at least half, or nine tenths, of the requests were within).
- 返工率 (rework rate) = requests closed in the period that the owner sent back at least once ÷ requests
  closed in the period.
- 升级次数 = escalations raised in the period, per level.
- 满意度: `crm.visits.satisfaction` (complaint ratings and visit scores), by project, department or month.

Days are Shanghai calendar days; `start`…`end` both included. The figures come from the tables the refresher
keeps (at most a minute behind the audit trail); `refreshed_at` says when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, tuple_
from sqlalchemy.orm import Session

from crm.kpis.counters import ALL, CLOSED, COUNTERS, DRILLS, REGISTERED, Basis, count
from crm.kpis.models import DIMS, KpiCase, KpiDay, KpiPair, KpiPairMonth
from crm.kpis.times import PERCENTILES, TIMES, month_times, next_month, rank
from crm.visits.satisfaction import Ratio
from lintel.db import month_of

BY = (*DIMS, "process", "month")
LONGEST_DAYS = 3 * 366  # the longest period asked for at once


class BadScope(ValueError):
    def __init__(self, message: str, field_name: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    process: str | None = None
    filters: tuple[tuple[str, str], ...] = ()  # (slice, value); value "" = not known

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise BadScope("the period ends before it starts", "to")
        if (self.end - self.start).days >= LONGEST_DAYS:
            raise BadScope("the period is longer than three years", "to")
        for name, _ in self.filters:
            if name not in DIMS:
                raise BadScope(f"cannot filter by {name}", name)

    def where(self, basis: Basis, *, since_start: bool = True) -> list[Any]:
        conditions: list[Any] = [basis.day <= self.end]
        conditions.append(basis.day >= self.start if since_start else basis.day.is_not(None))
        if self.process:
            conditions.append(basis.column("process_key") == self.process)
        for name, value in self.filters:
            column = basis.column(name)
            conditions.append(column == value if value else column.is_(None))
        return conditions


@dataclass
class Group:
    key: Any  # the slice's value ("" not known), the process key, "2026-11"; None: the whole period
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    cumulative: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    times: dict[str, dict[str, int | None]] = field(default_factory=dict)

    def figures(self) -> dict[str, Ratio]:
        c, k = self.counts, self.cumulative
        return {
            "closure_rate": Ratio(c["registered_closed"], c["registered"]),
            "closure_rate_cumulative": Ratio(k["registered_closed"], k["registered"]),
            "on_time_steps": Ratio(c["steps_on_time"], c["steps_done"]),
            "on_time_cases": Ratio(c["closed_on_time"], c["closed"]),
            "rework_rate": Ratio(c["closed_reworked"], c["closed"]),
        }


class Kpis:
    def __init__(self, session: Session) -> None:
        self.session = session

    def table(
        self, scope: Scope, by: str | None = None, *, cumulative: bool = True, times: bool = True
    ) -> tuple[list[Group], Group]:
        """One group per value of `by` (None: only the total), in order, and the total. Without `cumulative`
        the groups' running totals from the first request, without `times` their medians and 90th
        percentiles, are left empty (charts that show neither need not count the whole history or sort)."""
        if by is not None and by not in BY:
            raise BadScope(f"by must be one of {', '.join(BY)}", "by")
        groups: dict[Any, Group] = {}
        total = Group(None)

        def group(key: Any) -> Group:
            return groups.setdefault(key, Group(key))

        for key, counts in self._counts(scope, by, since_start=True).items():
            if by is not None:
                _add(group(key).counts, counts)
            _add(total.counts, counts)
        if by == "month" and cumulative:  # each month: everything up to its end
            day_before = scope.start - timedelta(days=1)
            earlier = Scope(day_before, day_before, scope.process, scope.filters)
            running = dict.fromkeys(COUNTERS, 0)
            for counts in self._counts(earlier, None, since_start=False).values():
                _add(running, counts)
            for key in sorted(groups):
                _add(running, groups[key].counts)
                groups[key].cumulative = dict(running)
            total.cumulative = running
        elif cumulative:
            for key, counts in self._counts(scope, by, since_start=False).items():
                if by is not None and key in groups:
                    _add(groups[key].cumulative, counts)
                _add(total.cumulative, counts)
        # Times: from the months' sorted times where they can answer (a whole month or more), else the facts.
        found = month_times(self.session, scope, by) if times else ({}, {})
        if found is None:
            found = self._facts_times(scope, by)
        if by is not None:
            for key, kept_times in found[0].items():
                group(key).times = kept_times
        total.times = found[1]
        ordered = [groups[key] for key in sorted(groups, key=lambda k: (k == "", str(k)))]
        return ordered, total

    # -- counters: from the days where they can answer, from the facts otherwise --------------------------

    def _counts(self, scope: Scope, by: str | None, since_start: bool) -> dict[Any, dict[str, int]]:
        filters = dict(scope.filters)
        by_dim = by in DIMS
        if len(filters) == 0 or (len(filters) == 1 and (not by_dim or by in filters)):
            return self._from_days(scope, by, since_start)
        if pairs_answer(scope, by) is not None:
            return self._from_pairs(scope, by, since_start)
        return self._from_facts(scope, by, since_start)

    def _from_pairs(self, scope: Scope, by: str | None, since_start: bool) -> dict[Any, dict[str, int]]:
        """Two slices between the grouping and the filters: the months and days of that pair added up."""
        pair = pairs_answer(scope, by)
        assert pair is not None
        column = {pair[0]: "value_a", pair[1]: "value_b"}
        key = column[by] if by in DIMS else ("process_key" if by == "process" else by)
        found = pair_sums(
            self.session,
            pair,
            scope.start if since_start else None,
            scope.end,
            scope.process,
            [(column[name], value) for name, value in scope.filters],
            [key] if key is not None else [],
            COUNTERS,
        )
        return {(k[0] if k else None): v for k, v in found.items() if any(v.values())}

    def _from_days(self, scope: Scope, by: str | None, since_start: bool) -> dict[Any, dict[str, int]]:
        filters = dict(scope.filters)
        dim, value = (by, filters.get(by)) if by in DIMS else next(iter(filters.items()), (ALL, ""))
        conditions: list[Any] = [KpiDay.day <= scope.end, KpiDay.dim == dim]
        if since_start:
            conditions.append(KpiDay.day >= scope.start)
        if value is not None and dim != ALL:
            conditions.append(KpiDay.value == value)
        if scope.process:
            conditions.append(KpiDay.process_key == scope.process)
        key_column: Any
        if by in DIMS:
            key_column = KpiDay.value
        elif by == "process":
            key_column = KpiDay.process_key
        elif by == "month":
            key_column = KpiDay.day
        else:
            key_column = None
        columns = [func.sum(getattr(KpiDay, name)).label(name) for name in COUNTERS]
        query = select(*([key_column] if key_column is not None else []), *columns).where(*conditions)
        if key_column is not None:
            query = query.group_by(key_column)
        found: dict[Any, dict[str, int]] = {}
        for row in self.session.execute(query):
            key = row[0] if key_column is not None else None
            if by == "month":
                key = _month(key)
            counts = {name: int(row._mapping[name] or 0) for name in COUNTERS}
            _add(found.setdefault(key, dict.fromkeys(COUNTERS, 0)), counts)
        return {k: v for k, v in found.items() if any(v.values())}

    def _from_facts(self, scope: Scope, by: str | None, since_start: bool) -> dict[Any, dict[str, int]]:
        groups: list[tuple[str, Any]] = []
        if by in DIMS:
            groups.append((by, "blank"))
        elif by == "process":
            groups.append(("process_key", None))
        elif by == "month":
            groups.append(("day", None))
        found: dict[Any, dict[str, int]] = {}
        for key, counts in count(
            self.session, groups, lambda basis: scope.where(basis, since_start=since_start)
        ).items():
            name = (_month(key[0]) if by == "month" else key[0]) if groups else None
            _add(found.setdefault(name, dict.fromkeys(COUNTERS, 0)), counts)
        return found

    # -- times: from the facts ---------------------------------------------------------------------------

    def _facts_times(
        self, scope: Scope, by: str | None
    ) -> tuple[dict[Any, dict[str, int | None]], dict[str, int | None]]:
        """Each group's times and the total's from the facts. PostgreSQL: one query per basis (registered,
        closed) for both of its measures, the groups and the total at once (GROUPING SETS)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return (self._times(scope, by) if by is not None else {}, self._times(scope, None).get(None, {}))
        groups: dict[Any, dict[str, int | None]] = {}
        total: dict[str, int | None] = {}
        for basis in (REGISTERED, CLOSED):
            measures = [(name, column) for name, (b, column) in TIMES.items() if b is basis]
            parts: list[Any] = []
            for name, column in measures:
                parts += [
                    func.percentile_disc(fraction).within_group(column.asc()).label(f"{name}_{label}")
                    for label, fraction in PERCENTILES
                ]
                parts.append(func.count(column).label(f"{name}_n"))
            conditions = [basis.rows, *scope.where(basis)]
            if by is None:
                query = select(*parts).where(*conditions)
            else:
                key = self._key(basis, by)
                query = (
                    select(key, func.grouping(key).label("whole"), *parts)
                    .where(*conditions)
                    .group_by(func.grouping_sets(tuple_(key), tuple_()))
                )
            for row in self.session.execute(query):
                into = total if by is None or row.whole else groups.setdefault(row[0], {})
                for name, _ in measures:
                    if not row._mapping[f"{name}_n"]:
                        continue
                    for label, _ in PERCENTILES:
                        into[f"{name}_{label}"] = row._mapping[f"{name}_{label}"]
                    into[f"{name}_n"] = row._mapping[f"{name}_n"]
        return {k: v for k, v in groups.items() if v}, total

    def _times(self, scope: Scope, by: str | None) -> dict[Any, dict[str, int | None]]:
        found: dict[Any, dict[str, int | None]] = {}
        postgres = self.session.get_bind().dialect.name == "postgresql"
        for name, (basis, column) in TIMES.items():
            key = self._key(basis, by) if by is not None else None
            keys = [key] if key is not None else []
            conditions = [basis.rows, column.is_not(None), *scope.where(basis)]
            if postgres:
                parts = [
                    func.percentile_disc(fraction).within_group(column.asc()).label(label)
                    for label, fraction in PERCENTILES
                ]
                query = select(*keys, *parts, func.count().label("n")).where(*conditions).group_by(*keys)
                for row in self.session.execute(query):
                    if not row.n:
                        continue
                    into = found.setdefault(row[0] if keys else None, {})
                    for label, _ in PERCENTILES:
                        into[f"{name}_{label}"] = row._mapping[label]
                    into[f"{name}_n"] = row.n
            else:
                values: dict[Any, list[int]] = {}
                query = select(*keys, column).where(*conditions).order_by(*keys, column)
                for row in self.session.execute(query):
                    values.setdefault(row[0] if keys else None, []).append(row[-1])
                for group_key, ordered in values.items():
                    into = found.setdefault(group_key, {})
                    for label, fraction in PERCENTILES:
                        into[f"{name}_{label}"] = ordered[rank(fraction, len(ordered)) - 1]
                    into[f"{name}_n"] = len(ordered)
        return found

    def _key(self, basis: Basis, by: str) -> ColumnElement[Any]:
        if by in DIMS:
            return func.coalesce(basis.column(by), "")
        if by == "process":
            return basis.column("process_key")
        if by == "month":
            return month_of(self.session, basis.day)
        raise BadScope(f"by must be one of {', '.join(BY)}", "by")

    # -- the rows behind a number -------------------------------------------------------------------------

    def drill(
        self,
        scope: Scope,
        figure: str,
        *,
        by: str | None = None,
        key: str | None = None,
        offset: int = 0,
        limit: int = 50,
        since: datetime | None = None,
    ) -> tuple[int, list[Any]]:
        """The rows a counter counted (kpi_cases, kpi_steps or kpi_escalations rows), newest first, with how
        many there are. `by` and `key` pick one group of `table(scope, by)`; `since` keeps the requests
        registered from that moment on (the morning's 昨夜新增: from 18:00 the evening before)."""
        if figure not in DRILLS:
            raise BadScope(f"no such figure: {figure}", "figure")
        basis, condition = DRILLS[figure]
        conditions: list[Any] = [basis.rows, condition, *scope.where(basis)]
        if since is not None:
            if basis is not REGISTERED:
                raise BadScope("only registered requests can be listed from a moment on", "since")
            conditions.append(KpiCase.registered_at >= since)
        if by is not None:
            if by not in BY:
                raise BadScope(f"by must be one of {', '.join(BY)}", "by")
            conditions.append(self._key(basis, by) == (key or ""))
        table = basis.table
        total = self.session.scalar(select(func.count()).select_from(table).where(and_(*conditions))) or 0
        # The key after the day: pages of a list with many rows on one day never repeat or skip a row.
        order = (basis.day.desc(), *(c.desc() for c in table.__table__.primary_key.columns))
        rows = list(
            self.session.scalars(
                select(table).where(*conditions).order_by(*order).offset(offset).limit(limit)
            )
        )
        return int(total), rows


def pairs_answer(scope: Scope, by: str | None) -> tuple[str, str] | None:
    """The pair of slices kpi_pairs answers this question from: exactly two slices between the grouping and
    the filters (grouping and filtering by the same slice is one), each filtered at most once. None
    otherwise."""
    named = [name for name, _ in scope.filters]
    if len(set(named)) != len(named):
        return None
    both = set(named) | ({by} if by in DIMS else set())
    if len(both) != 2:
        return None
    a, b = sorted(both, key=DIMS.index)
    return (a, b)


def pair_sums(
    session: Session,
    pair: tuple[str, str],
    start: date | None,
    end: date,
    process: str | None,
    filters: Sequence[tuple[str, str]],
    keys: Sequence[str],
    names: Sequence[str],
) -> dict[tuple[Any, ...], dict[str, int]]:
    """The counters `names` of one pair of slices from `start` (None: the first day) to `end`, per `keys`
    (value_a, value_b, process_key, month): the whole months from kpi_pair_months, the days of a month the
    period cuts from kpi_pairs. `filters`: (value_a or value_b, value)."""
    first = start if start is None or start.day == 1 else next_month(start)  # the first whole month
    after = end + timedelta(days=1)
    stop = after if after.day == 1 else after.replace(day=1)  # the day after the last whole month
    parts: list[tuple[Any, Any, date | None, date]] = []  # (table, its day column, from, to: both included)
    if first is not None and first >= stop:
        parts.append((KpiPair, KpiPair.day, start, end))
    else:
        parts.append((KpiPairMonth, KpiPairMonth.month, first, stop - timedelta(days=1)))
        if start is not None and first is not None and start < first:
            parts.append((KpiPair, KpiPair.day, start, first - timedelta(days=1)))
        if stop <= end:
            parts.append((KpiPair, KpiPair.day, stop, end))
    found: dict[tuple[Any, ...], dict[str, int]] = {}
    for table, day, low, high in parts:
        conditions = [table.dim_a == pair[0], table.dim_b == pair[1], day <= high]
        if low is not None:
            conditions.append(day >= low)
        if process:
            conditions.append(table.process_key == process)
        for name, value in filters:
            conditions.append(getattr(table, name) == value)
        columns = [day if name == "month" else getattr(table, name) for name in keys]
        sums = [func.sum(getattr(table, name)) for name in names]
        query = select(*columns, *sums).where(*conditions)
        if columns:
            query = query.group_by(*columns)
        for row in session.execute(query):
            key = tuple(_month(v) if name == "month" else v for name, v in zip(keys, row, strict=False))
            _add(
                found.setdefault(key, dict.fromkeys(names, 0)),
                {n: int(v or 0) for n, v in zip(names, row[len(keys) :], strict=True)},
            )
    return found


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for name, value in counts.items():
        into[name] = into.get(name, 0) + value


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


__all__: Sequence[str] = ["BY", "BadScope", "Group", "Kpis", "Scope", "pair_sums", "pairs_answer"]
