"""The medians and 90th percentiles of whole months, from the times kept sorted per month (`kpi_times`).

Sorting the times of half a million requests for a year's figures takes seconds; so the refresher keeps,
for every month it touches, each process's times per slice and value (and for all of them) sorted in one
row. A period of whole months asked by at most one slice (grouped by it or filtered by it) then finds the
k-th smallest time of its months by a binary search over those sorted lists: the same nearest-rank answer
as sorting every case (`Kpis._times`), without the sort. A period that cuts a month (the last 30 days, the
twelve months up to today) takes its whole months from the lists and the cut months' days, sorted, from
the facts. Anything else (two slices, or no whole month in the period) is answered from the facts.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from math import ceil
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from crm.kpis.counters import ALL, CLOSED, REGISTERED
from crm.kpis.models import DIMS, KpiCase, KpiTimes

if TYPE_CHECKING:
    from crm.kpis.figures import Scope

TIMES = {
    # name: (basis, column)
    "response": (REGISTERED, KpiCase.response_s),
    "response_work": (REGISTERED, KpiCase.response_work_s),
    "resolution": (CLOSED, KpiCase.resolution_s),
    "resolution_work": (CLOSED, KpiCase.resolution_work_s),
}
PERCENTILES = (("median", 0.5), ("p90", 0.9))
BIG_ENDIAN = sys.byteorder == "big"


def rank(fraction: float, n: int) -> int:
    """Nearest rank: the position (1-based) of the smallest time at least `fraction` of `n` were within."""
    return max(ceil(fraction * n), 1)


def whole_months(start: date, end: date) -> bool:
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def months_between(first: date | None, last: date | None) -> set[date]:
    """The first days of the months from `first`'s to `last`'s, both included (none when either is None)."""
    months: set[date] = set()
    month = first.replace(day=1) if first is not None and last is not None else None
    while month is not None and last is not None and month <= last:
        months.add(month)
        month = next_month(month)
    return months


def _pack(values: list[int]) -> bytes:
    found = array("i", sorted(values))
    if BIG_ENDIAN:
        found.byteswap()
    return found.tobytes()


def _unpack(data: bytes) -> array[int]:
    found = array("i")
    found.frombytes(data)
    if BIG_ENDIAN:
        found.byteswap()
    return found


# -- written by the refresher ----------------------------------------------------------------------------


def write_months(session: Session, days: Iterable[date] | None) -> int:
    """Sort the times of the months of these days again (None: of every month). Returns how many months."""
    if days is None:
        session.execute(delete(KpiTimes))
        months: set[date] = set()
        for basis in (REGISTERED, CLOSED):
            months |= months_between(*session.execute(select(func.min(basis.day), func.max(basis.day))).one())
    else:
        months = {day.replace(day=1) for day in days}
        if months:
            session.execute(delete(KpiTimes).where(KpiTimes.month.in_(sorted(months))))
    for month in sorted(months):
        _write_month(session, month)
    return len(months)


def _write_month(session: Session, month: date) -> None:
    end = next_month(month)
    found: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
    slices = [getattr(KpiCase, name) for name in DIMS]
    for basis in (REGISTERED, CLOSED):
        measures = [(name, column) for name, (b, column) in TIMES.items() if b is basis]
        query = select(KpiCase.process_key, *slices, *(column for _, column in measures)).where(
            basis.rows, basis.day >= month, basis.day < end
        )
        for row in session.execute(query):
            process = row[0]
            values = row[1 : 1 + len(DIMS)]
            for (name, _), seconds in zip(measures, row[1 + len(DIMS) :], strict=True):
                if seconds is None:
                    continue
                found[(process, ALL, "", name)].append(seconds)
                for dim, value in zip(DIMS, values, strict=True):
                    found[(process, dim, value or "", name)].append(seconds)
    rows = [
        {
            "month": month,
            "process_key": process,
            "dim": dim,
            "value": value,
            "measure": name,
            "n": len(seconds),
            "times": _pack(seconds),
        }
        for (process, dim, value, name), seconds in found.items()
    ]
    if rows:
        session.execute(insert(KpiTimes), rows)


def kept(session: Session) -> bool:
    """Whether the months' times have been written at all (the refresher writes them once after the upgrade
    that added them)."""
    return session.scalar(select(KpiTimes.month).limit(1)) is not None


# -- read by the figures -----------------------------------------------------------------------------------


def month_times(
    session: Session, scope: Scope, by: str | None
) -> tuple[dict[Any, dict[str, int | None]], dict[str, int | None]] | None:
    """Each group's times and the total's, as `Kpis._times` gives them, when the kept months can answer: a
    period with at least one whole month in it, by and filtered by at most one slice between them. The whole
    months come from their sorted lists; the days of a month cut by the period's start or end (at most two
    such parts) are read sorted from the facts and merged with them. None otherwise."""
    by_slice = by in DIMS
    if len(scope.filters) + by_slice > 1:
        return None
    if by is not None and not by_slice and by not in ("month", "process"):
        return None
    first = scope.start if scope.start.day == 1 else next_month(scope.start)  # the first whole month
    after = scope.end + timedelta(days=1)
    stop = after if after.day == 1 else after.replace(day=1)  # the day after the last whole month
    if first >= stop:
        return None
    dim, value = (by, None) if by_slice else (scope.filters[0] if scope.filters else (ALL, ""))
    conditions = [KpiTimes.month >= first, KpiTimes.month < stop, KpiTimes.dim == dim]
    if value is not None:
        conditions.append(KpiTimes.value == value)
    if scope.process:
        conditions.append(KpiTimes.process_key == scope.process)
    lists: dict[str, dict[Any, list[array[int]]]] = defaultdict(lambda: defaultdict(list))
    query = select(KpiTimes.month, KpiTimes.process_key, KpiTimes.value, KpiTimes.measure, KpiTimes.times)
    for month, process, found_value, measure, data in session.execute(query.where(*conditions)):
        if by_slice:
            key: Any = found_value
        elif by == "process":
            key = process
        elif by == "month":
            key = f"{month.year:04d}-{month.month:02d}"
        else:
            key = None
        lists[measure][key].append(_unpack(data))
    edges = []
    if scope.start < first:
        edges.append((scope.start, first - timedelta(days=1)))
    if stop <= scope.end:
        edges.append((stop, scope.end))
    for edge_start, edge_end in edges:
        _edge_times(session, replace(scope, start=edge_start, end=edge_end), by, lists)
    groups: dict[Any, dict[str, int | None]] = {}
    total: dict[str, int | None] = {}
    for measure in TIMES:
        by_key = lists.get(measure, {})
        if by is not None:
            for key, arrays in by_key.items():
                _figures(groups.setdefault(key, {}), measure, arrays)
        everything = [a for arrays in by_key.values() for a in arrays]
        if everything:
            _figures(total, measure, everything)
    return groups, total


def _edge_times(
    session: Session, part: Scope, by: str | None, lists: dict[str, dict[Any, list[array[int]]]]
) -> None:
    """The times of part of one month (the period's first or last days), sorted per group, from the facts."""
    month = f"{part.start.year:04d}-{part.start.month:02d}"
    for measure, (basis, column) in TIMES.items():
        keys: list[Any] = []
        if by in DIMS:
            keys = [func.coalesce(basis.column(by), "")]
        elif by == "process":
            keys = [basis.column("process_key")]
        query = (
            select(*keys, column)
            .where(basis.rows, column.is_not(None), *part.where(basis))
            .order_by(*keys, column)
        )
        found: dict[Any, array[int]] = {}
        for row in session.execute(query):
            key = row[0] if keys else (month if by == "month" else None)
            values = found.get(key)
            if values is None:
                values = found[key] = array("i")
            values.append(row[-1])
        for key, values in found.items():
            lists[measure][key].append(values)


def _figures(into: dict[str, int | None], measure: str, arrays: list[array[int]]) -> None:
    n = sum(len(a) for a in arrays)
    for label, fraction in PERCENTILES:
        into[f"{measure}_{label}"] = _kth(arrays, rank(fraction, n))
    into[f"{measure}_n"] = n


def _kth(arrays: list[array[int]], k: int) -> int:
    """The k-th smallest (1-based) of several sorted lists: the smallest time with at least k within it."""
    if len(arrays) == 1:
        return arrays[0][k - 1]
    low = min(a[0] for a in arrays)
    high = max(a[-1] for a in arrays)
    while low < high:
        middle = (low + high) // 2
        if sum(bisect_right(a, middle) for a in arrays) >= k:
            high = middle
        else:
            low = middle + 1
    return low
