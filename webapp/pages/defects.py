"""Engineering's defect list (整改台账): filter by project, building, status, contractor and overdue; give
many defects of a building to one contractor at once, extend deadlines with a reason; and a defect's page
with its rounds and its photos before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.handover.models import DEFECT_STATUSES
from crm.handover.rectifications import DefectFilter, Outcome, filter_choices
from crm.policy import Permission
from engine.errors import InvalidData
from webapp import platform
from webapp.access import allow
from webapp.i18n import translate, translate_fields
from webapp.pages.common import actor, commit, ok, problem
from webapp.pages.handover_labels import DEFECT_STATUS, SEVERITY, SOURCE

bp = Blueprint("defects", __name__)


def _labels() -> dict[str, Any]:
    return {"status_label": DEFECT_STATUS, "severity_label": SEVERITY, "source_label": SOURCE}


def _list(
    errors: dict[str, str] | None = None, values: dict[str, Any] | None = None, status: int = 200
) -> Any:
    p = platform()
    wanted = DefectFilter.parse(request.args)
    rows, total = p.rectifications.page(wanted)
    steps = {d.id: p.rectifications.open_step(d) for d in rows}
    page = render_template(
        "handover/defects.html",
        f=wanted,
        rows=rows,
        total=total,
        steps=steps,
        statuses=DEFECT_STATUSES,
        choices=filter_choices(p.session),
        engineers=p.directory.member_choices("engineering"),
        errors=errors or {},
        values=values or {},
        query=request.query_string.decode(),
        **_labels(),
    )
    return page, status


@bp.get("/defects")
@allow(Permission.VIEW_DEFECTS)
def index() -> Any:
    return _list()


def _report(outcome: Outcome, done_text: str) -> None:
    if outcome.done:
        ok(done_text)
    for label, reason in outcome.skipped:
        problem(_("%(defect)s 未处理：%(why)s", defect=label, why=_skip_reason(reason)))


def _skip_reason(reason: str) -> str:
    for status, label in DEFECT_STATUS.items():
        if reason == f"it is {status}":
            return _("当前状态为「%(status)s」", status=_(label))
    return translate(reason)


def _back() -> Any:
    query = request.form.get("query", "")
    return redirect(url_for("defects.index") + (f"?{query}" if query and len(query) < 500 else ""))


@bp.post("/defects/assign")
@allow(Permission.MANAGE_DEFECTS)
def assign() -> Any:
    form = request.form
    try:
        outcome = platform().rectifications.assign(
            actor(),
            form.getlist("defect_id"),
            contractor_id=form.get("contractor_id") or None,
            rectifier=form.get("rectifier") or None,
            rectify_days=form.get("rectify_days") or None,
            note=form.get("note") or None,
        )
    except InvalidData as invalid:
        return _list(translate_fields(invalid.fields), _typed(), 422)
    commit()
    _report(outcome, _("已分派 %(n)d 项缺陷。", n=len(outcome.done)))
    return _back()


@bp.post("/defects/extend")
@allow(Permission.MANAGE_DEFECTS)
def extend() -> Any:
    form = request.form
    try:
        outcome = platform().rectifications.extend(
            actor(), form.getlist("defect_id"), days=form.get("days"), reason=form.get("reason")
        )
    except InvalidData as invalid:
        return _list(translate_fields(invalid.fields), _typed(), 422)
    commit()
    _report(outcome, _("已为 %(n)d 项缺陷延长整改期限。", n=len(outcome.done)))
    return _back()


def _typed() -> dict[str, Any]:
    """What was sent, to show again with the errors (the ticked defects stay ticked)."""
    return {**request.form.to_dict(), "defect_id": request.form.getlist("defect_id")}


@bp.get("/defects/<int:defect_id>")
@allow(Permission.VIEW_DEFECTS)
def show(defect_id: int) -> Any:
    p = platform()
    defect = p.rectifications.get(defect_id)
    history = p.rectifications.history([defect])[defect.id]
    for entry in history:
        if entry["kind"] == "task.deadline_moved":
            entry["to"] = datetime.fromisoformat(entry["data"]["to"])
    return render_template(
        "handover/defect.html",
        d=defect,
        step=p.rectifications.open_step(defect),
        history=history,
        last_failure=p.rectifications.last_failure(history),
        photos=p.rectifications.photos(defect),
        names=p.staff.display_names(e["actor"] or "" for e in history),
        **_labels(),
    )
