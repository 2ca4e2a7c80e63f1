"""Return-visit campaigns over the API: list, create (a draft), preview an audience, launch, pause, resume,
finish, and a campaign's visits. The same checks as the pages (crm.visits.campaigns)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import g, request
from marshmallow import RAISE, Schema, fields, validate

from crm.policy import Permission
from crm.visits.audience import MAX_IDS, MAX_MONTHS, Preview
from crm.visits.campaigns import MAX_DAYS_AFTER, MAX_VISIT_DAYS, MAX_VISITORS, NAME_MAX, SCRIPT_MAX, Progress
from crm.visits.models import KINDS, METHODS, STATUSES, VISIT_STATUSES, Campaign
from webapp import db_session, platform
from webapp.access import allow
from webapp.api import api, json_body

_ID = validate.Range(min=1, max=2**31 - 1)


class StrictBoolean(fields.Boolean):
    """true or false, not 0, 1 or "yes"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class AudienceFilter(Schema):
    class Meta:
        unknown = RAISE

    project_ids = fields.List(
        fields.Integer(strict=True, validate=_ID), validate=validate.Length(max=MAX_IDS)
    )
    building_ids = fields.List(
        fields.Integer(strict=True, validate=_ID), validate=validate.Length(max=MAX_IDS)
    )
    signed_from = fields.Date(allow_none=True)
    signed_to = fields.Date(allow_none=True)
    handed_over_from = fields.Date(allow_none=True)
    handed_over_to = fields.Date(allow_none=True)
    with_complaints = StrictBoolean(metadata={"description": "only owners with a complaint on file"})
    not_visited_months = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_MONTHS),
        metadata={"description": "only owners with no answered visit in the last N months"},
    )


class PreviewBody(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    audience = fields.Nested(AudienceFilter, load_default=dict)


class CampaignCreate(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    questionnaire_id = fields.Integer(required=True, strict=True, validate=_ID)
    visitors = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=list,
        validate=validate.Length(max=MAX_VISITORS),
        metadata={"description": "usernames of active members of the centre; none for an online campaign"},
    )
    visit_days = fields.Integer(
        strict=True, load_default=5, validate=validate.Range(min=1, max=MAX_VISIT_DAYS)
    )
    days_after = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=MAX_DAYS_AFTER),
        metadata={"description": "post_signing / post_handover: days after the signing or handover"},
    )
    script = fields.String(load_default="", validate=validate.Length(max=SCRIPT_MAX))
    audience = fields.Nested(AudienceFilter, load_default=dict)


class SampledOwner(Schema):
    owner_id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked"})
    unit_id = fields.Integer()
    unit = fields.String()


class AudiencePreview(Schema):
    count = fields.Integer(metadata={"description": "visits the campaign would make"})
    sample = fields.List(fields.Nested(SampledOwner))


class CampaignDetail(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(validate=validate.OneOf(KINDS))
    method = fields.String(validate=validate.OneOf(METHODS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    questionnaire_id = fields.Integer()
    questionnaire_title = fields.String()
    audience = fields.Dict()
    script = fields.String()
    visitors = fields.List(fields.String())
    days_after = fields.Integer(allow_none=True)
    visit_days = fields.Integer()
    total = fields.Integer(metadata={"description": "visits chosen"})
    started = fields.Integer(metadata={"description": "visits whose instance is started"})
    answered = fields.Integer()
    reached_percent = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()
    launched_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class CampaignList(Schema):
    campaigns = fields.List(fields.Nested(CampaignDetail))


class CampaignVisitQuery(Schema):
    status = fields.String(validate=validate.OneOf(VISIT_STATUSES))
    visitor = fields.String(validate=validate.Length(min=1, max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))


class CampaignVisitRow(Schema):
    id = fields.Integer()
    owner_id = fields.Integer()
    owner_name = fields.String()
    unit_id = fields.Integer()
    unit = fields.String()
    visitor = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(VISIT_STATUSES))
    attempts = fields.Integer()
    outcome = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    lowest_score = fields.Integer(allow_none=True)
    complaint_id = fields.Integer(allow_none=True)


class CampaignVisitList(Schema):
    visits = fields.List(fields.Nested(CampaignVisitRow))
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()


SCHEMAS = (
    AudienceFilter,
    PreviewBody,
    CampaignCreate,
    SampledOwner,
    AudiencePreview,
    CampaignDetail,
    CampaignList,
    CampaignVisitRow,
    CampaignVisitList,
)


def detail(campaign: Campaign, progress: Progress) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "kind": campaign.kind,
        "method": campaign.method,
        "status": campaign.status,
        "questionnaire_id": campaign.questionnaire_id,
        "questionnaire_title": campaign.questionnaire.title,
        "audience": campaign.audience,
        "script": campaign.script,
        "visitors": [v.username for v in campaign.visitors],
        "days_after": campaign.days_after,
        "visit_days": campaign.visit_days,
        "total": progress.total,
        "started": progress.started,
        "answered": progress.answered,
        "reached_percent": progress.reached_percent,
        "created_by": campaign.created_by,
        "created_at": campaign.created_at,
        "launched_at": campaign.launched_at,
        "finished_at": campaign.finished_at,
    }


def _one(campaign_id: int) -> dict[str, Any]:
    p = platform()
    campaign = p.campaigns.get(campaign_id)
    return CampaignDetail().dump(detail(campaign, p.campaigns.progress([campaign.id])[campaign.id]))


def preview_body(preview: Preview) -> dict[str, Any]:
    return AudiencePreview().dump({"count": preview.count, "sample": [s.__dict__ for s in preview.sample]})


@api.get("/campaigns")
@allow(Permission.VIEW_VISITS)
def list_campaigns() -> Any:
    p = platform()
    rows = p.campaigns.listing()
    figures = p.campaigns.progress([c.id for c in rows])
    return CampaignList().dump({"campaigns": [detail(c, figures[c.id]) for c in rows]})


@api.post("/campaigns")
@allow(Permission.MANAGE_CAMPAIGNS)
def create_campaign() -> Any:
    values = CampaignCreate().load(json_body())
    campaign = platform().campaigns.create(values, g.actor)
    db_session().commit()
    return _one(campaign.id), 201


@api.post("/campaigns/preview")
@allow(Permission.MANAGE_CAMPAIGNS)
def preview_campaign() -> Any:
    values = PreviewBody().load(json_body())
    return preview_body(platform().campaigns.preview(values["kind"], values["audience"]))


@api.get("/campaigns/<int:campaign_id>")
@allow(Permission.VIEW_VISITS)
def get_campaign(campaign_id: int) -> Any:
    return _one(campaign_id)


def _act(campaign_id: int, what: str) -> Any:
    getattr(platform().campaigns, what)(campaign_id, g.actor)
    db_session().commit()
    return _one(campaign_id)


@api.post("/campaigns/<int:campaign_id>/launch")
@allow(Permission.MANAGE_CAMPAIGNS)
def launch_campaign(campaign_id: int) -> Any:
    return _act(campaign_id, "launch")


@api.post("/campaigns/<int:campaign_id>/pause")
@allow(Permission.MANAGE_CAMPAIGNS)
def pause_campaign(campaign_id: int) -> Any:
    return _act(campaign_id, "pause")


@api.post("/campaigns/<int:campaign_id>/resume")
@allow(Permission.MANAGE_CAMPAIGNS)
def resume_campaign(campaign_id: int) -> Any:
    return _act(campaign_id, "resume")


@api.post("/campaigns/<int:campaign_id>/finish")
@allow(Permission.MANAGE_CAMPAIGNS)
def finish_campaign(campaign_id: int) -> Any:
    return _act(campaign_id, "finish")


@api.get("/campaigns/<int:campaign_id>/visits")
@allow(Permission.VIEW_VISITS)
def campaign_visits(campaign_id: int) -> Any:
    query = CampaignVisitQuery().load(request.args)
    p = platform()
    p.campaigns.get(campaign_id)
    found = p.campaigns.visits(
        campaign_id, status=query.get("status"), visitor=query.get("visitor"), page=query["page"]
    )
    rows = [
        {
            "id": visit.id,
            "owner_id": visit.owner_id,
            "owner_name": owner,
            "unit_id": visit.unit_id,
            "unit": f"{building} {number}",
            "visitor": visit.visitor,
            "status": visit.status,
            "attempts": visit.attempts,
            "outcome": visit.outcome,
            "instance_id": visit.instance_id,
            "answered_at": visit.answered_at,
            "lowest_score": visit.lowest_score,
            "complaint_id": visit.complaint_id,
        }
        for visit, owner, _phone, number, building in found.rows
    ]
    return CampaignVisitList().dump(
        {"visits": rows, "total": found.total, "page": found.page, "pages": found.pages}
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
    for schema in SCHEMAS:
        spec.components.schema(schema.__name__, schema=schema)
    spec.path(
        "/campaigns",
        operations={
            "get": {
                "summary": "Return-visit campaigns, newest first, with their progress and reached %",
                "responses": responses(
                    {"200": {"description": "the campaigns", **json("CampaignList")}}, *read
                ),
            },
            "post": {
                "summary": "Create a draft campaign: kind, method, questionnaire (a version's id), visitors "
                "of the centre, the call script, the audience filter",
                "requestBody": body("CampaignCreate"),
                "responses": responses(
                    {"201": {"description": "the draft", **json("CampaignDetail")}}, *write, 422
                ),
            },
        },
    )
    spec.path(
        "/campaigns/preview",
        operations={
            "post": {
                "summary": "How many visits a campaign of this kind over this audience would make, and the "
                "first 20 owners with their unit and masked phone",
                "requestBody": body("PreviewBody"),
                "responses": responses(
                    {"200": {"description": "the count and sample", **json("AudiencePreview")}}, *write, 422
                ),
            }
        },
    )
    spec.path(
        "/campaigns/{campaign_id}",
        operations={
            "get": {
                "summary": "A campaign with its progress",
                "parameters": ident("campaign_id"),
                "responses": responses(
                    {"200": {"description": "the campaign", **json("CampaignDetail")}}, *read, 404
                ),
            }
        },
    )
    actions = {
        "launch": "Launch a draft: its visits written, queued, spread over the visitors by their open "
        "load, their instances started in the background (an automatic campaign starts running)",
        "pause": "Stop starting a launching campaign's visits (after the chunk being started)",
        "resume": "Go on starting a paused campaign's visits",
        "finish": "Close the campaign: its visits not yet done are cancelled with their instances",
    }
    for action, summary in actions.items():
        spec.path(
            f"/campaigns/{{campaign_id}}/{action}",
            operations={
                "post": {
                    "summary": summary,
                    "parameters": ident("campaign_id"),
                    "responses": responses(
                        {"200": {"description": "the campaign", **json("CampaignDetail")}}, *write, 404, 422
                    ),
                }
            },
        )
    spec.path(
        "/campaigns/{campaign_id}/visits",
        operations={
            "get": {
                "summary": "A campaign's visits, 50 a page, by status and visitor",
                "parameters": [*ident("campaign_id"), {"in": "query", "schema": CampaignVisitQuery}],
                "responses": responses(
                    {"200": {"description": "the visits", **json("CampaignVisitList")}}, *read, 404, 422
                ),
            }
        },
    )
