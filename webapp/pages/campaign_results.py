"""满意度结果 (/campaigns/<id>/results): a campaign's figures — reached %, attempts, each question's
average and distribution, NPS, the choices counted, the dissatisfied owners with their complaints, the
comments — and the same as an XLSX workbook with one row per visit (crm.visits.results, results_book)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from crm.policy import Permission
from crm.visits.results import CampaignResults
from crm.visits.results_book import workbook
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_

bp = Blueprint("campaign_results", __name__, url_prefix="/campaigns")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

METHODS = {"phone": N_("电话回访"), "home": N_("上门回访"), "event": N_("活动现场"), "online": N_("在线问卷")}
VISIT_STATUSES = {
    "queued": N_("待发起"),
    "open": N_("进行中"),
    "answered": N_("已完成"),
    "given_up": N_("未能联系"),
    "refused": N_("拒绝回访"),
    "cancelled": N_("已取消"),
}
COMPLAINT_STATUSES = {
    "registered": N_("已登记"),
    "triage": N_("待分派"),
    "handle": N_("处理中"),
    "reply": N_("待答复"),
    "confirm": N_("待业主确认"),
    "closed": N_("已办结"),
    "error": N_("处理中"),
    "cancelled": N_("已取消"),
}


def results_service() -> CampaignResults:
    return CampaignResults(db_session())


def complaint_status(status: str | None) -> str:
    return _(COMPLAINT_STATUSES.get(status or "", N_("处理中")))


@bp.get("/<int:campaign_id>/results")
@allow(Permission.VIEW_VISITS)
def show(campaign_id: int) -> Any:
    results = results_service().of(campaign_id)
    return render_template(
        "visits/results.html",
        r=results,
        c=results.campaign,
        methods=METHODS,
        statuses=VISIT_STATUSES,
        complaint_status=complaint_status,
    )


@bp.get("/<int:campaign_id>/results.xlsx")
@allow(Permission.VIEW_VISITS)
def export(campaign_id: int) -> Any:
    service = results_service()
    results = service.of(campaign_id)
    content = workbook(service, results, platform().clock.now())
    name = quote(f"{results.campaign.name}-回访结果.xlsx")
    return Response(
        content,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-results.xlsx"; '
            f"filename*=UTF-8''{name}"
        },
    )
