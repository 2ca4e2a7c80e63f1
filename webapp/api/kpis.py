"""The centre's figures over the API, for other systems: `GET /kpis` — each figure of a period per slice with
its numerator and denominator, the times (median and 90th percentile, calendar and working), escalations per
level and, where the slice allows, satisfaction — and `GET /kpis/cases`, the rows behind one number, a page at
a time.

Both ask the same service as the page 指标分析 (crm.kpis.figures.Kpis.table and .drill), so the numbers are
the page's. Satisfaction (crm.visits.satisfaction) is by project, department or month over the whole centre:
it is given for those slices (and the total) when neither a process nor a filter narrows the figures.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from apispec import APISpec
from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from crm.estate.models import Project
from crm.kpis.counters import DRILLS
from crm.kpis.figures import BY, BadScope, Group, Scope
from crm.kpis.listing import describe, kind_of
from crm.kpis.models import DIMS
from crm.kpis.refresh import refreshed_at
from crm.policy import Permission
from crm.visits.satisfaction import BY as SATISFACTION_BY
from crm.visits.satisfaction import Figure, Satisfaction
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api

# The days a period may cover: any the centre can have figures of, far from the calendar's ends.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
UNKNOWN_VALUE = "-"  # a filter's value for "not filled in / not assigned", as on the page
TIMES = ("response", "resolution")
LEVELS = (1, 2, 3)


def _period_problems(data: dict[str, Any]) -> None:
    start, end = data.get("from_"), data.get("to")
    if start is None or end is None:
        return
    try:
        Scope(start, end)
    except BadScope as exc:
        raise ValidationError(str(exc), exc.field) from exc


class _Period(Schema):
    class Meta:
        unknown = EXCLUDE

    from_ = fields.Date(
        required=True,
        data_key="from",
        validate=validate.Range(min=FIRST_DAY, max=LAST_DAY),
        metadata={"description": "the first day (Shanghai), e.g. 2026-11-01"},
    )
    to = fields.Date(
        required=True,
        validate=validate.Range(min=FIRST_DAY, max=LAST_DAY),
        metadata={"description": "the last day, included; at most three years after `from`"},
    )
    process = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "only this process's requests (its key)"},
    )
    project = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    department = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    channel = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    severity = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "filters (as project, department, category, channel): '-' for not known"},
    )

    @validates_schema
    def _period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _period_problems(data)


class KpiQuery(_Period):
    by = fields.String(
        load_default=None,
        validate=validate.OneOf(BY),
        metadata={"description": "one group per value of this slice; none: only the total"},
    )


class KpiCasesQuery(_Period):
    figure = fields.String(
        required=True,
        validate=validate.OneOf(list(DRILLS)),
        metadata={"description": "the counter whose rows are listed, e.g. closed_late"},
    )
    by = fields.String(load_default=None, validate=validate.OneOf(BY))
    key = fields.String(
        load_default="",
        validate=validate.Length(max=64),
        metadata={"description": "with `by`: the group's key as /kpis gives it ('' = not known)"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class Rate(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "numerator ÷ denominator; null: 0 ÷ 0"})
    numerator = fields.Float()
    denominator = fields.Integer()


class Times(Schema):
    count = fields.Integer(metadata={"description": "how many requests the times are of"})
    median_seconds = fields.Integer(allow_none=True)
    p90_seconds = fields.Integer(allow_none=True)
    working_median_seconds = fields.Integer(allow_none=True)
    working_p90_seconds = fields.Integer(allow_none=True)


class SatisfactionFigures(Schema):
    answers = fields.Integer()
    average = fields.Nested(Rate, metadata={"description": "score sum ÷ answers (1–5)"})
    satisfied = fields.Nested(Rate, metadata={"description": "answers of 4 or 5 ÷ answers"})
    nps = fields.Nested(Rate, metadata={"description": "(promoters − detractors) ÷ visits that answered"})


class KpiGroup(Schema):
    key = fields.String(
        allow_none=True,
        metadata={"description": "the slice's value ('' not known), process key or 2026-11; null: the total"},
    )
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    cumulative = fields.Dict(keys=fields.String(), values=fields.Integer())
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(Rate))
    times = fields.Dict(keys=fields.String(), values=fields.Nested(Times))
    escalations = fields.Dict(keys=fields.String(), values=fields.Integer())
    satisfaction = fields.Nested(SatisfactionFigures, allow_none=True)


class KpiTable(Schema):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    by = fields.String(allow_none=True, required=True)
    process = fields.String(allow_none=True, required=True)
    refreshed_at = fields.AwareDateTime(
        allow_none=True, required=True, metadata={"description": "the figures are as of this moment"}
    )
    groups = fields.List(fields.Nested(KpiGroup), required=True)
    total = fields.Nested(KpiGroup, required=True)


class KpiCaseRow(Schema):
    instance_id = fields.Integer()
    number = fields.String()
    title = fields.String()
    process_key = fields.String()
    project = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "cases: open, closed, cancelled, error"})
    registered_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    late = fields.Boolean()
    reworked = fields.Integer()
    task_id = fields.Integer(allow_none=True)
    step = fields.String(metadata={"description": "steps and escalations: the step's name"})
    due_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    level = fields.Integer()
    at = fields.AwareDateTime()


class KpiCaseList(Schema):
    figure = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "cases, steps or escalations"})
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    rows = fields.List(fields.Nested(KpiCaseRow), required=True)


SCHEMAS = {
    "KpiRate": Rate,
    "KpiTimes": Times,
    "KpiSatisfaction": SatisfactionFigures,
    "KpiGroup": KpiGroup,
    "KpiTable": KpiTable,
    "KpiCaseRow": KpiCaseRow,
    "KpiCaseList": KpiCaseList,
}


def scope_of(query: dict[str, Any]) -> Scope:
    process = query["process"]
    if process is not None and process not in platform().definitions.latest_versions():
        raise ValidationError({"process": [f"no process {process} is deployed"]})
    filters = tuple(
        (name, "" if query[name] == UNKNOWN_VALUE else query[name]) for name in DIMS if query[name]
    )
    try:
        return Scope(query["from_"], query["to"], process, filters)
    except BadScope as exc:
        raise ValidationError({exc.field: [str(exc)]}) from exc


def _rate(numerator: float, denominator: int) -> dict[str, Any]:
    return {
        "value": round(numerator / denominator, 4) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def group_dict(group: Group, satisfaction: Figure | None = None) -> dict[str, Any]:
    """A group of Kpis.table as the API gives it."""
    times = {}
    for name in TIMES:
        t = group.times
        times[name] = {
            "count": t.get(f"{name}_n", 0),
            "median_seconds": t.get(f"{name}_median"),
            "p90_seconds": t.get(f"{name}_p90"),
            "working_median_seconds": t.get(f"{name}_work_median"),
            "working_p90_seconds": t.get(f"{name}_work_p90"),
        }
    counts = dict(group.counts)
    counts["registered_open"] = counts["registered"] - counts["registered_closed"]
    found: dict[str, Any] = {
        "key": None if group.key is None else str(group.key),
        "counts": counts,
        "cumulative": dict(group.cumulative),
        "figures": {
            name: _rate(ratio.numerator, ratio.denominator) for name, ratio in group.figures().items()
        },
        "times": times,
        "escalations": {str(level): group.counts[f"escalations_{level}"] for level in LEVELS},
        "satisfaction": None,
    }
    if satisfaction is not None:
        found["satisfaction"] = {
            "answers": satisfaction.answers,
            "average": _rate(satisfaction.score_sum, satisfaction.answers),
            "satisfied": _rate(satisfaction.satisfied, satisfaction.answers),
            "nps": _rate(satisfaction.promoters - satisfaction.detractors, satisfaction.nps_answers),
        }
    return found


def _satisfaction(scope: Scope, by: str | None) -> tuple[dict[str, Figure], Figure | None]:
    """Satisfaction per group key of `by` and in all — when the figures are the whole centre's."""
    if scope.process or scope.filters:
        return {}, None
    service = Satisfaction(db_session())
    found = service.figures(scope.start, scope.end, by if by in SATISFACTION_BY else "month")
    total = service.total(found)
    if by not in SATISFACTION_BY:
        return {}, total
    keyed: dict[str, Figure] = {}
    if by == "project":  # satisfaction knows projects by id, the figures by code
        codes = dict(db_session().execute(select(Project.id, Project.code)).all())
        for figure in found:
            if figure.key is not None and figure.key in codes:
                keyed[codes[figure.key]] = figure
    else:
        keyed = {str(f.key): f for f in found if f.key is not None}
    return keyed, total


@api.get("/kpis")
@allow(Permission.VIEW_KPIS)
def kpi_table() -> Any:
    query = KpiQuery().load(request.args)
    scope, by = scope_of(query), query["by"]
    groups, total = platform().kpis.table(scope, by)
    keyed, overall = _satisfaction(scope, by)
    return KpiTable().dump(
        {
            "from_": scope.start,
            "to": scope.end,
            "by": by,
            "process": scope.process,
            "refreshed_at": refreshed_at(db_session()),
            "groups": [group_dict(g, keyed.get(str(g.key))) for g in groups],
            "total": group_dict(total, overall),
        }
    )


def _row(listed: Any, kind: str, row: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "instance_id": row.instance_id,
        "number": listed.number(row.instance_id),
        "title": listed.title(row.instance_id),
        "process_key": row.process_key,
        "project": row.project,
        "department": row.department,
        "category": row.category,
    }
    if kind == "cases":
        found.update(
            status=row.status,
            registered_at=row.registered_at,
            closed_at=row.closed_at,
            late=row.late,
            reworked=row.reworked,
        )
    elif kind == "steps":
        found.update(
            task_id=row.task_id,
            step=row.name,
            due_at=row.due_at,
            completed_at=row.completed_at,
            late=row.late,
        )
    else:
        found.update(
            task_id=row.task_id,
            step=listed.steps.get(row.task_id, "") if row.task_id is not None else "",
            level=row.level,
            at=row.at,
        )
    return found


@api.get("/kpis/cases")
@allow(Permission.VIEW_KPIS)
def kpi_cases() -> Any:
    query = KpiCasesQuery().load(request.args)
    scope, figure, by = scope_of(query), query["figure"], query["by"]
    limit, page = query["limit"], query["page"]
    key = query["key"] if by is not None else None
    total, rows = platform().kpis.drill(scope, figure, by=by, key=key, offset=(page - 1) * limit, limit=limit)
    kind = kind_of(figure)
    listed = describe(db_session(), kind, rows)
    return KpiCaseList().dump(
        {
            "figure": figure,
            "kind": kind,
            "total": total,
            "page": page,
            "pages": max((total + limit - 1) // limit, 1),
            "rows": [_row(listed, kind, row) for row in rows],
        }
    )


def paths(
    spec: APISpec,
    responses: Any,
    body: Any,
    json: Any,
    ident: Any,
    read: tuple[int, ...],
    write: tuple[int, ...],
) -> None:
    """This module's operations in the OpenAPI document (webapp.api.openapi)."""
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    spec.path(
        "/kpis",
        operations={
            "get": {
                "summary": "The centre's figures over a period (及时率, 封闭率, times, rework, escalations, "
                "satisfaction), each with its numerator and denominator, per slice and in total — the "
                "same numbers as the page 指标分析",
                "parameters": [{"in": "query", "schema": KpiQuery}],
                "responses": responses(
                    {"200": {"description": "the figures", **json("KpiTable")}}, *read, 422
                ),
            }
        },
    )
    spec.path(
        "/kpis/cases",
        operations={
            "get": {
                "summary": "The rows behind one number of /kpis (requests, steps or escalations), newest "
                "first, a page at a time",
                "parameters": [{"in": "query", "schema": KpiCasesQuery}],
                "responses": responses(
                    {"200": {"description": "a page of rows", **json("KpiCaseList")}}, *read, 422
                ),
            }
        },
    )


__all__ = ["KpiCasesQuery", "KpiQuery", "group_dict", "paths", "scope_of"]
