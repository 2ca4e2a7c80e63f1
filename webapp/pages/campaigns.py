"""客户回访 (/campaigns): the return-visit campaigns with their progress; a new campaign's form with its
audience previewed as it is chosen (htmx, or the 预览 button without script); a campaign's page with its
audience, its progress (refreshed while its visits are being started), the launch, pause, resume and finish
buttons, and its visits by status and visitor, a page at a time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from crm.estate.models import Building, Project
from crm.policy import Permission
from crm.visits.audience import Preview
from crm.visits.models import KINDS, METHODS, STATUSES, VISIT_STATUSES, Campaign
from engine.errors import Conflict, InvalidData
from webapp import platform
from webapp.access import allow
from webapp.i18n import N_, _
from webapp.pages.campaign_labels import (
    FIELD,
    KIND,
    METHOD,
    NO_VISITOR,
    NOT_OF_CENTRE,
    OUTCOME,
    STATUS,
    VISIT_STATUS,
)
from webapp.pages.common import actor, commit, ok, problem

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
AUDIENCE_FIELDS = ("signed_from", "signed_to", "handed_over_from", "handed_over_to", "not_visited_months")


def _labels() -> dict[str, Any]:
    return {
        "kind_label": KIND,
        "method_label": METHOD,
        "status_label": STATUS,
        "visit_status_label": VISIT_STATUS,
        "outcome_label": OUTCOME,
    }


def _ids(form: MultiDict[str, str], name: str) -> list[int]:
    return [int(v) for v in form.getlist(name) if v.strip().isdigit() and len(v.strip()) < 10]


def _values(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form's fields as the service takes them."""
    audience: dict[str, Any] = {
        "project_ids": _ids(form, "project_ids"),
        "building_ids": _ids(form, "building_ids"),
        "with_complaints": form.get("with_complaints") == "1",
    }
    for name in AUDIENCE_FIELDS:
        audience[name] = (form.get(name) or "").strip()
    return {
        "name": form.get("name", ""),
        "kind": form.get("kind", ""),
        "method": form.get("method", ""),
        "questionnaire_id": form.get("questionnaire_id", ""),
        "visit_days": form.get("visit_days", "5"),
        "days_after": form.get("days_after", ""),
        "visitors": form.getlist("visitors"),
        "script": form.get("script", ""),
        "audience": audience,
    }


def _field_errors(fields: dict[str, str]) -> dict[str, str]:
    shown = {}
    for name, message in fields.items():
        if name == "visitors":
            shown[name] = _(NOT_OF_CENTRE) if message.startswith("not an active") else _(NO_VISITOR)
        else:
            shown[name] = _(FIELD[name]) if name in FIELD else message
    return shown


def _preview(values: dict[str, Any]) -> tuple[Preview | None, dict[str, str]]:
    kind = values["kind"] if values["kind"] in KINDS else "thematic"
    try:
        return platform().campaigns.preview(kind, values["audience"]), {}
    except InvalidData as bad:
        return None, _field_errors({f"audience.{k}": v for k, v in bad.fields.items()})


def _form_context(values: dict[str, Any]) -> dict[str, Any]:
    p = platform()
    project_ids = values["audience"]["project_ids"]
    buildings = p.session.execute(select_buildings(project_ids)).all() if project_ids else []
    return {
        "projects": p.session.query(Project.id, Project.name).order_by(Project.name).all(),
        "buildings": buildings,
        "questionnaires": p.campaigns.questionnaires(),
        "visitor_choices": p.campaigns.visitor_choices(),
        "kinds": KINDS,
        "methods": METHODS,
        **_labels(),
    }


def select_buildings(project_ids: list[int]) -> Any:
    return (
        select(Building.id, Building.name, Project.name)
        .join(Project, Project.id == Building.project_id)
        .where(Building.project_id.in_(project_ids))
        .order_by(Project.name, Building.id)
    )


@bp.get("")
@allow(Permission.VIEW_VISITS)
def index() -> Any:
    p = platform()
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    rows = p.campaigns.listing(
        status=status if status in STATUSES else None, kind=kind if kind in KINDS else None
    )
    return render_template(
        "visits/campaigns.html",
        rows=rows,
        progress=p.campaigns.progress([c.id for c in rows]),
        f={"status": status, "kind": kind},
        kinds=KINDS,
        statuses=STATUSES,
        **_labels(),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(Permission.MANAGE_CAMPAIGNS)
def new() -> Any:
    p = platform()
    form = request.form if request.method == "POST" else request.args
    values = _values(form)
    if not form:
        values.update(kind="post_handover", method="phone", visit_days="5", days_after="30")
        usual = [q.id for q in p.campaigns.questionnaires() if q.key == "post_handover"]
        values["questionnaire_id"] = str(usual[0]) if usual else ""
        values["visitors"] = (
            [actor().username] if actor().username in dict(p.campaigns.visitor_choices()) else []
        )
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            campaign = p.campaigns.create(values, actor())
        except InvalidData as invalid:
            p.session.rollback()
            errors = _field_errors(invalid.fields)
        else:
            commit()
            ok(_("已保存回访活动草稿，确认名单后即可发起。"))
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    preview, preview_errors = _preview(values) if form else (None, {})
    status = 422 if errors else 200
    return (
        render_template(
            "visits/campaign_new.html",
            v=values,
            errors={**preview_errors, **errors},
            preview=preview,
            preview_errors=preview_errors,
            **_form_context(values),
        ),
        status,
    )


@bp.get("/preview")
@allow(Permission.MANAGE_CAMPAIGNS)
def preview() -> Any:
    """The preview panel of the new campaign's form (htmx)."""
    values = _values(request.args)
    found, errors = _preview(values)
    return render_template("visits/_campaign_preview.html", preview=found, preview_errors=errors)


def _page(campaign: Campaign, status: int = 200) -> Any:
    p = platform()
    visit_status = request.args.get("visit_status", "")
    visitor = request.args.get("visitor", "")
    page_number = request.args.get("page", "1")
    visits = p.campaigns.visits(
        campaign.id,
        status=visit_status if visit_status in VISIT_STATUSES else None,
        visitor=visitor or None,
        page=int(page_number) if page_number.isdigit() and len(page_number) < 7 else 1,
    )
    names = dict(p.campaigns.visitor_choices())
    audience = campaign.audience or {}
    project_names = dict(
        p.session.query(Project.id, Project.name).filter(Project.id.in_(audience.get("project_ids", [])))
    )
    building_names = {
        i: f"{project} {name}"
        for i, name, project in p.session.execute(select_buildings_by_id(audience.get("building_ids", [])))
    }
    return (
        render_template(
            "visits/campaign.html",
            c=campaign,
            progress=p.campaigns.progress([campaign.id])[campaign.id],
            visits=visits,
            f={"visit_status": visit_status, "visitor": visitor},
            visit_statuses=VISIT_STATUSES,
            names=names,
            project_names=project_names,
            building_names=building_names,
            **_labels(),
        ),
        status,
    )


def select_buildings_by_id(ids: list[int]) -> Any:
    return (
        select(Building.id, Building.name, Project.name)
        .join(Project, Project.id == Building.project_id)
        .where(Building.id.in_(ids or [-1]))
    )


@bp.get("/<int:campaign_id>")
@allow(Permission.VIEW_VISITS)
def show(campaign_id: int) -> Any:
    return _page(platform().campaigns.get(campaign_id))


@bp.get("/<int:campaign_id>/progress")
@allow(Permission.VIEW_VISITS)
def progress_panel(campaign_id: int) -> Any:
    """The progress panel (htmx, every 2 s while the visits are being started)."""
    p = platform()
    campaign = p.campaigns.get(campaign_id)
    return render_template(
        "visits/_campaign_progress.html",
        c=campaign,
        progress=p.campaigns.progress([campaign.id])[campaign.id],
        **_labels(),
    )


_DONE = {
    "launch": N_("已发起：回访任务正在后台逐批创建。"),
    "pause": N_("已暂停：当前这一批创建完后停止。"),
    "resume": N_("已继续发起。"),
    "finish": N_("回访活动已结束，未完成的回访将被取消。"),
}


def _act(campaign_id: int, what: str) -> Any:
    p = platform()
    try:
        getattr(p.campaigns, what)(campaign_id, actor())
    except (Conflict, InvalidData) as refused:
        p.session.rollback()
        problem(_refusal(what, refused))
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    commit()
    ok(_(_DONE[what]))
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


def _refusal(what: str, refused: Exception) -> str:
    if isinstance(refused, InvalidData) and "visitors" in refused.fields:
        return _("还没有选择回访人，不能发起。")
    if what == "launch":
        return _("这个回访活动已经发起过了。")
    if what == "pause":
        return _("只有正在发起的回访活动可以暂停。")
    if what == "resume":
        return _("只有已暂停的回访活动可以继续。")
    return _("这个回访活动已经结束。")


@bp.post("/<int:campaign_id>/launch")
@allow(Permission.MANAGE_CAMPAIGNS)
def launch(campaign_id: int) -> Any:
    return _act(campaign_id, "launch")


@bp.post("/<int:campaign_id>/pause")
@allow(Permission.MANAGE_CAMPAIGNS)
def pause(campaign_id: int) -> Any:
    return _act(campaign_id, "pause")


@bp.post("/<int:campaign_id>/resume")
@allow(Permission.MANAGE_CAMPAIGNS)
def resume(campaign_id: int) -> Any:
    return _act(campaign_id, "resume")


@bp.post("/<int:campaign_id>/finish")
@allow(Permission.MANAGE_CAMPAIGNS)
def finish(campaign_id: int) -> Any:
    return _act(campaign_id, "finish")
