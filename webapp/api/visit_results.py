"""Return visits' figures and questionnaires over the API: a campaign's results, the satisfaction figure per
project, department or month (each figure with its numerator and denominator), the questionnaires with their
versions, and a new version (or a new questionnaire) from a list of questions."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from crm.policy import Permission
from crm.visits.questionnaires import (
    MAX_LABEL,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    QUESTION_TYPES,
    Question,
    Questionnaires,
    questions_of,
)
from crm.visits.results import CampaignResults, Results
from crm.visits.satisfaction import BY, LONGEST, Figure, Satisfaction, default_period
from lintel.clock import SHANGHAI
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body

# -- results -----------------------------------------------------------------------------------------------


class CountShare(Schema):
    count = fields.Integer(required=True)
    share = fields.Float(allow_none=True, metadata={"description": "of all the campaign's visits, in %"})


class NpsResult(Schema):
    answers = fields.Integer()
    promoters = fields.Integer(metadata={"description": "answers of 9–10"})
    passives = fields.Integer(metadata={"description": "answers of 7–8"})
    detractors = fields.Integer(metadata={"description": "answers of 0–6"})
    score = fields.Float(allow_none=True, metadata={"description": "% promoters − % detractors (−100…100)"})


class ChoiceCount(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()


class QuestionResultRow(Schema):
    name = fields.String()
    label = fields.String()
    kind = fields.String(metadata={"description": "rating | nps | choice | text"})
    answers = fields.Integer()
    average = fields.Float(allow_none=True)
    distribution = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "score -> answers"}
    )
    choices = fields.List(fields.Nested(ChoiceCount))
    nps = fields.Nested(NpsResult, allow_none=True)


class DissatisfiedRow(Schema):
    visit_id = fields.Integer()
    owner = fields.String()
    place = fields.String()
    answered_at = fields.AwareDateTime(allow_none=True)
    lowest_score = fields.Integer(allow_none=True)
    complaint_number = fields.String(allow_none=True)
    complaint_status = fields.String(allow_none=True)


class CommentRow(Schema):
    visit_id = fields.Integer()
    owner = fields.String()
    question = fields.String()
    text = fields.String()


class CampaignResultsBody(Schema):
    campaign_id = fields.Integer()
    name = fields.String()
    method = fields.String()
    questionnaire_id = fields.Integer()
    visits = fields.Integer(metadata={"description": "visits chosen at launch"})
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    answered = fields.Integer()
    reached = fields.Float(allow_none=True, metadata={"description": "answered ÷ visits, in %"})
    reached_on = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "answered visits by the call that reached the owner (0: online)"},
    )
    given_up = fields.Nested(CountShare)
    refused = fields.Nested(CountShare)
    questions = fields.List(fields.Nested(QuestionResultRow))
    nps = fields.Nested(NpsResult, allow_none=True)
    dissatisfied_count = fields.Integer()
    dissatisfied = fields.List(fields.Nested(DissatisfiedRow), metadata={"description": "the newest 200"})
    comment_count = fields.Integer()
    comments = fields.List(fields.Nested(CommentRow), metadata={"description": "the newest 200"})


def _nps(nps: Any) -> dict[str, Any] | None:
    if nps is None:
        return None
    return {
        "answers": nps.answers,
        "promoters": nps.promoters,
        "passives": nps.passives,
        "detractors": nps.detractors,
        "score": nps.score,
    }


def _share(count: int, whole: int) -> dict[str, Any]:
    return {"count": count, "share": round(100 * count / whole, 1) if whole else None}


def results_body(r: Results) -> dict[str, Any]:
    return {
        "campaign_id": r.campaign.id,
        "name": r.campaign.name,
        "method": r.campaign.method,
        "questionnaire_id": r.campaign.questionnaire_id,
        "visits": r.total,
        "by_status": r.by_status,
        "answered": r.answered,
        "reached": r.reached,
        "reached_on": {str(k): v for k, v in r.reached_on.items()},
        "given_up": _share(r.given_up, r.total),
        "refused": _share(r.refused, r.total),
        "questions": [
            {
                "name": q.name,
                "label": q.label,
                "kind": q.kind,
                "answers": q.answers,
                "average": q.average,
                "distribution": {str(k): v for k, v in q.distribution.items()},
                "choices": [{"value": v, "label": label, "count": n} for v, label, n in q.choices],
                "nps": _nps(q.nps),
            }
            for q in r.questions
        ],
        "nps": _nps(r.nps),
        "dissatisfied_count": r.dissatisfied_count,
        "dissatisfied": [
            {
                "visit_id": d.visit_id,
                "owner": d.owner,
                "place": d.place,
                "answered_at": d.answered_at,
                "lowest_score": d.lowest_score,
                "complaint_number": d.complaint_number,
                "complaint_status": d.complaint_status,
            }
            for d in r.dissatisfied
        ],
        "comment_count": r.comment_count,
        "comments": [
            {"visit_id": c.visit_id, "owner": c.owner, "question": c.question, "text": c.text}
            for c in r.comments
        ],
    }


@api.get("/campaigns/<int:campaign_id>/results")
@allow(Permission.VIEW_VISITS)
def campaign_results(campaign_id: int) -> Any:
    return CampaignResultsBody().dump(results_body(CampaignResults(db_session()).of(campaign_id)))


# -- satisfaction ------------------------------------------------------------------------------------------


class SatisfactionQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    from_ = fields.Date(
        data_key="from", load_default=None, metadata={"description": "first day (Shanghai), included"}
    )
    to = fields.Date(load_default=None, metadata={"description": "last day (Shanghai), included"})
    by = fields.String(required=True, validate=validate.OneOf(BY))

    @validates_schema
    def _period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if start is not None and end is not None:
            if start > end:
                raise ValidationError("must not be before from", "to")
            if end - start > LONGEST:
                raise ValidationError("the period is at most three years", "to")


class RatioBody(Schema):
    value = fields.Float(allow_none=True)
    numerator = fields.Float()
    denominator = fields.Integer()


class SatisfactionRow(Schema):
    key = fields.Raw(
        allow_none=True,
        metadata={
            "description": "project id, department code ('' none yet), month YYYY-MM; by department, null is "
            "the return visits' ratings (a row of their own)"
        },
    )
    label = fields.String()
    answers = fields.Integer(
        metadata={"description": "scores 1–5: complaint ratings and visit rating answers"}
    )
    complaint_ratings = fields.Integer()
    visit_ratings = fields.Integer()
    average = fields.Nested(RatioBody, metadata={"description": "sum of scores ÷ answers"})
    satisfied = fields.Nested(RatioBody, metadata={"description": "answers of 4–5 ÷ answers, in %"})
    nps = fields.Nested(
        RatioBody, metadata={"description": "(promoters − detractors) ÷ NPS answers, in points"}
    )


class SatisfactionBody(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    by = fields.String()
    figures = fields.List(fields.Nested(SatisfactionRow))
    total = fields.Nested(SatisfactionRow)


def _figure(f: Figure) -> dict[str, Any]:
    return {
        "key": f.key,
        "label": f.label,
        "answers": f.answers,
        "complaint_ratings": f.complaint_ratings,
        "visit_ratings": f.visit_ratings,
        "average": f.average.as_dict(),
        "satisfied": f.satisfied_share.as_dict(100),
        "nps": f.nps.as_dict(100),
    }


@api.get("/satisfaction")
@allow(Permission.VIEW_VISITS)
def satisfaction() -> Any:
    query = SatisfactionQuery().load(request.args)
    today = platform().clock.now().astimezone(SHANGHAI).date()
    start: date = query["from_"] or default_period(today)[0]
    end: date = query["to"] or today
    if start > end:
        raise ValidationError("must not be before from", "to")
    service = Satisfaction(db_session())
    found = service.figures(start, end, query["by"])
    return SatisfactionBody().dump(
        {
            "from_": start,
            "to": end,
            "by": query["by"],
            "figures": [_figure(f) for f in found],
            "total": _figure(service.total(found)),
        }
    )


# -- questionnaires ----------------------------------------------------------------------------------------


class QuestionBody(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    label = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LABEL))
    required = fields.Boolean(load_default=False)
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_LABEL)),
        load_default=list,
        validate=validate.Length(max=MAX_OPTIONS),
        metadata={
            "description": "a choice question's options (their labels); 满意/一般/不满意 keep their meaning"
        },
    )
    name = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "an earlier version's question name, to keep its results together"},
    )


class QuestionnaireCreate(Schema):
    class Meta:
        unknown = EXCLUDE

    key = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=50),
        metadata={"description": "the questionnaire to write a new version of; none: a new questionnaire"},
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LABEL))
    questions = fields.List(
        fields.Nested(QuestionBody), required=True, validate=validate.Length(min=1, max=MAX_QUESTIONS)
    )


class QuestionnaireRow(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    title = fields.String()
    active = fields.Boolean()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    questions = fields.List(fields.Nested(QuestionBody))
    versions = fields.List(fields.Integer(), metadata={"description": "ids of every version, newest first"})


class QuestionnaireList(Schema):
    questionnaires = fields.List(fields.Nested(QuestionnaireRow))


def _questionnaire(q: Any, versions: list[int]) -> dict[str, Any]:
    return {
        "id": q.id,
        "key": q.key,
        "version": q.version,
        "title": q.title,
        "active": q.active,
        "created_by": q.created_by,
        "created_at": q.created_at,
        "questions": [
            {
                "type": x.type,
                "label": x.label,
                "required": x.required,
                "options": list(x.options),
                "name": x.name,
            }
            for x in questions_of(q.definition)
        ],
        "versions": versions,
    }


def _service() -> Questionnaires:
    return Questionnaires(db_session(), platform().clock)


@api.get("/questionnaires")
@allow(Permission.MANAGE_CAMPAIGNS)
def list_questionnaires() -> Any:
    service = _service()
    versions: dict[str, list[int]] = {}
    for row in service.all():
        versions.setdefault(row.key, []).append(row.id)
    rows = [_questionnaire(q, versions[q.key]) for q in service.latest()]
    return QuestionnaireList().dump({"questionnaires": rows})


@api.post("/questionnaires")
@allow(Permission.MANAGE_CAMPAIGNS)
def create_questionnaire() -> Any:
    body = QuestionnaireCreate().load(json_body())
    questions = [
        Question(q["type"], q["label"], q["required"], tuple(q["options"]), q["name"])
        for q in body["questions"]
    ]
    service = _service()
    made = service.save_version(body["key"], body["title"], questions, g.user.username)
    db_session().commit()
    versions = [v.id for v in service.versions(made.key)]
    return QuestionnaireRow().dump(_questionnaire(made, versions)), 201


SCHEMAS = (
    CountShare,
    NpsResult,
    ChoiceCount,
    QuestionResultRow,
    DissatisfiedRow,
    CommentRow,
    CampaignResultsBody,
    SatisfactionQuery,
    RatioBody,
    SatisfactionRow,
    SatisfactionBody,
    QuestionBody,
    QuestionnaireCreate,
    QuestionnaireRow,
    QuestionnaireList,
)


def paths(spec: Any, responses: Any, body: Any, json: Any, ident: Any, read: Any, write: Any) -> None:
    """This module's operations in the OpenAPI document (webapp.api.openapi)."""
    for schema in SCHEMAS:
        spec.components.schema(schema.__name__, schema=schema)
    spec.path(
        "/campaigns/{campaign_id}/results",
        operations={
            "get": {
                "summary": "A campaign's results: reached %, attempts, each question's average and "
                "distribution, NPS, choices, the dissatisfied visits with their complaints, comments",
                "parameters": ident("campaign_id"),
                "responses": responses(
                    {"200": {"description": "the results", **json("CampaignResultsBody")}}, *read, 404
                ),
            }
        },
    )
    spec.path(
        "/satisfaction",
        operations={
            "get": {
                "summary": "Owner satisfaction per project, department or month: complaint ratings and visit "
                "ratings together (average, % satisfied, NPS), each with its numerator and denominator",
                "parameters": [{"in": "query", "schema": SatisfactionQuery}],
                "responses": responses(
                    {"200": {"description": "the figures", **json("SatisfactionBody")}}, *read, 422
                ),
            }
        },
    )
    spec.path(
        "/questionnaires",
        operations={
            "get": {
                "summary": "The questionnaires, each its newest version with its questions and every "
                "version's id",
                "responses": responses(
                    {"200": {"description": "the questionnaires", **json("QuestionnaireList")}}, *read
                ),
            },
            "post": {
                "summary": "A new version of a questionnaire (`key`), or a new questionnaire, from its "
                "questions",
                "requestBody": body("QuestionnaireCreate"),
                "responses": responses(
                    {"201": {"description": "the version written", **json("QuestionnaireRow")}},
                    *write,
                    404,
                    422,
                ),
            },
        },
    )
