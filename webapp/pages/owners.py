"""Finding owners (业主查询) as a coordinator hears them on the phone, a full phone or ID number revealed on
request and written to the personal-data log, and the administrators' page that reads the log back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _

from crm.estate.people import mask_id_number, mask_phone
from crm.estate.privacy import PersonalData
from crm.estate.search import MAX_QUERY, PeopleSearch
from crm.policy import Permission
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_
from webapp.pages.common import actor, commit

bp = Blueprint("owners", __name__)

CONTRACT_STATUSES = {"signed": N_("已签约"), "handed_over": N_("已交付"), "cancelled": N_("已解约")}
RELATIONS = {
    "family": N_("家属"),
    "tenant": N_("租户"),
    "agent": N_("中介"),
    "property": N_("物业"),
    "other": N_("其他"),
}
WHAT = {"phone": N_("手机号"), "id_number": N_("证件号码"), "export": N_("导出")}
VIA = {"page": N_("页面"), "api": N_("接口"), "cli": N_("命令行")}


@bp.app_template_filter("mask_phone")
def _mask_phone(phone: str | None) -> str:
    return mask_phone(phone)


@bp.app_template_filter("mask_id_number")
def _mask_id_number(id_number: str | None) -> str:
    return mask_id_number(id_number)


@bp.app_template_global("relation_name")
def relation_name(relation: str | None) -> str:
    return _(RELATIONS[relation]) if relation in RELATIONS else relation or ""


@bp.app_template_global("contract_status_name")
def contract_status_name(status: str | None) -> str:
    return _(CONTRACT_STATUSES[status]) if status in CONTRACT_STATUSES else _("无合同")


@bp.app_template_global("searchable")
def searchable(text: str) -> bool:
    return PeopleSearch.searchable(text)


@bp.app_template_global("owner_url")
def owner_url(owner_id: int) -> str | None:
    """The owner's page (客户360), once the app has one."""
    if "records.owner" not in current_app.view_functions:
        return None
    return url_for("records.owner", owner_id=owner_id)


@bp.get("/owners")
@allow(Permission.VIEW_RECORDS)
def index() -> Any:
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    matches = PeopleSearch(db_session()).find(q) if q else []
    return render_template("owners.html", q=q, matches=matches)


@bp.post("/owners/<int:owner_id>/reveal")
@allow(Permission.VIEW_PERSONAL_DATA)
def reveal(owner_id: int) -> Any:
    """The full phone or ID number (htmx swaps it in for the masked one); the view is logged."""
    what = request.form.get("what", "phone")
    value = PersonalData(db_session(), platform().clock).reveal(actor().username, owner_id, what)
    commit()
    if request.headers.get("HX-Request"):
        return render_template("owner_revealed.html", value=value, what=what)
    return render_template("owner_revealed_page.html", value=value, what=what, owner_id=owner_id)


@bp.get("/admin/personal-data")
@allow(Permission.ADMINISTER_STAFF)
def log() -> Any:
    """Who saw whose full phone or ID number, or exported personal data, and when: filterable."""
    owner_text = request.args.get("owner_id", "").strip()
    owner_id = int(owner_text) if owner_text.isdigit() and len(owner_text) < 19 else None
    person = request.args.get("actor", "").strip()[:100]
    before_text = request.args.get("before", "").strip()
    before = int(before_text) if before_text.isdigit() and len(before_text) < 19 else None
    service = PersonalData(db_session(), platform().clock)
    rows = service.log(owner_id=owner_id, actor=person or None, before=before)
    p = platform()
    return render_template(
        "admin/personal_data.html",
        rows=rows,
        owners=service.owner_names(rows),
        people=p.staff.display_names([r.actor for r in rows]),
        owner_id=owner_id,
        actor=person,
        what_names={k: _(v) for k, v in WHAT.items()},
        via_names={k: _(v) for k, v in VIA.items()},
        more=len(rows) == 100,
    )
