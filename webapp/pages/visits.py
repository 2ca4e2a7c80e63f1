"""我的回访 (/visits) and a visit's page (/visits/N): the owner with a call button, the campaign's script,
the attempts so far, the owner's history, and the questionnaire the visitor fills in while on the phone or
at the owner's home. Saving records the call and completes the workflow's step in one transaction."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.estate.privacy import PersonalData
from crm.policy import Permission
from crm.visits.history import OwnerHistory
from crm.visits.listing import visit_rows, visitors
from crm.visits.models import OUTCOMES, VISIT_STATUSES, Visit
from crm.visits.visits import is_nps, is_rating
from engine.errors import Conflict, InvalidData
from engine.inbox import works_on
from webapp import db_session, platform
from webapp.access import allow, may, policy
from webapp.i18n import translate
from webapp.pages.common import actor, commit, ok, problem
from webapp.pages.forms import field_views
from webapp.pages.visit_labels import METHOD, OUTCOME, STATUS

bp = Blueprint("visits", __name__, url_prefix="/visits")

ALL = "all"  # 我的回访 of everyone, for those who run campaigns
ANSWER_PREFIX = "a_"  # the questionnaire's inputs, apart from the call's own fields


def _labels() -> dict[str, Any]:
    return {"outcome_label": OUTCOME, "status_label": STATUS, "method_label": METHOD}


@bp.get("")
@allow(Permission.VIEW_VISITS)
def index() -> Any:
    """My open visits, the next due first; those who run campaigns see everyone's, by visitor."""
    p, who = platform(), actor()
    everyone = may(Permission.MANAGE_CAMPAIGNS)
    visitor: str | None = who.username
    if everyone:  # their own by default, anyone's or everyone's (all) when they choose
        chosen = request.args.get("visitor", "") or who.username
        visitor = None if chosen == ALL else chosen
    status = request.args.get("status", "open")
    status = status if status in VISIT_STATUSES else "open"
    rows, total = visit_rows(p.session, visitor=visitor, status=status)
    names = p.staff.display_names(r.visit.visitor for r in rows if r.visit.visitor)
    holders = visitors(p.session) if everyone else []
    names.update(p.staff.display_names(holders))
    return render_template(
        "visits/visits.html",
        rows=rows,
        total=total,
        everyone=everyone,
        f={"visitor": visitor or ALL, "status": status},
        holders=holders,
        statuses=VISIT_STATUSES,
        names=names,
        now=p.clock.now(),
        **_labels(),
    )


@bp.get("/<int:visit_id>")
@allow(Permission.VIEW_VISITS)
def show(visit_id: int) -> Any:
    return page(platform().visits.get(visit_id))


def _recorder(visit: Visit) -> tuple[Any, bool, bool]:
    """The open call step, whether this user may record it, and whether doing so takes it over from the
    visitor who holds it (an overseer: the step is reassigned to them, as 改派 would)."""
    p, who = platform(), actor()
    step = p.visits.call_step(visit)
    if step is None or not may(Permission.MAKE_VISITS) or not works_on(p.session, who, step):
        return step, False, False
    if step.assignee in (None, who.username):
        return step, True, False
    takes_over = policy().may_reassign(g.user, step)
    return step, takes_over, takes_over


def page(
    visit: Visit,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Any:
    p, who = platform(), actor()
    step, can_record, takes_over = _recorder(visit)
    errors = errors or {}
    values = values or {}
    form = p.visits.form(visit)
    answers = p.visits.answers(visit)
    shown = values.get("answers") or {
        name: (a.score if a.score is not None else a.value) for name, a in answers.items()
    }
    attempts = p.visits.attempts(visit)
    names = p.staff.display_names(
        [*(a.by for a in attempts), visit.visitor or "", step.assignee or "" if step else ""]
    )
    number = p.requests.get(visit.instance_id).number if visit.instance_id else None
    complaint = p.complaints.get(visit.complaint_id) if visit.complaint_id else None
    return (
        render_template(
            "visits/visit.html",
            v=visit,
            step=step,
            can_record=can_record,
            takes_over=takes_over,
            number=number,
            complaint=complaint,
            attempts=attempts,
            answers=answers,
            questions=field_views(form, p.validator.choices, shown, _question_errors(errors), {}),
            is_rating=is_rating,
            is_nps=is_nps,
            prefix=ANSWER_PREFIX,
            history=OwnerHistory(p.session).of(visit, who),
            next_call_at=p.visits.next_call_at(visit),
            errors=errors,
            values=values,
            names=names,
            outcomes=OUTCOMES,
            now=p.clock.now(),
            **_labels(),
        ),
        status,
    )


def _question_errors(errors: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("answers."): v for k, v in errors.items() if k.startswith("answers.")}


@bp.post("/<int:visit_id>/attempts")
@allow(Permission.MAKE_VISITS)
def record(visit_id: int) -> Any:
    p, who = platform(), actor()
    visit = p.visits.get(visit_id)
    form = p.visits.form(visit)
    outcome = request.form.get("outcome", "")
    answers = {
        f.name: request.form[ANSWER_PREFIX + f.name]
        for f in form.fields
        if ANSWER_PREFIX + f.name in request.form
    }
    values = {"outcome": outcome, "note": request.form.get("visit_note", ""), "answers": answers}
    step, can_record, takes_over = _recorder(visit)
    if step is not None and not can_record:
        name = p.staff.display_names([step.assignee]).get(step.assignee or "", step.assignee)
        problem(_("此回访由 %(name)s 负责，只有其本人或主管可以记录。", name=name))
        return page(visit, 409, values=values)
    try:
        recorded = p.visits.record(
            visit_id,
            who,
            outcome=outcome,
            note=values["note"],
            answers=answers if outcome == "answered" else None,
            task_id=request.form.get("task_id", type=int),
            attempt=request.form.get("attempt", type=int),
            take_over=takes_over,
        )
    except InvalidData as invalid:
        db_session().rollback()
        fields = {k: translate(v) for k, v in invalid.fields.items()}
        if "answers" in fields:
            fields["answers"] = _("已接通时请填写问卷。")
        problem(_("请修改标出的内容后再保存。"))
        return page(p.visits.get(visit_id), 422, fields, values)
    except Conflict as conflict:
        db_session().rollback()
        problem(_stale(str(conflict)))
        return page(p.visits.get(visit_id), 409, values=values)
    commit()
    if recorded.complaint is not None:
        ok(
            _(
                "已保存第 %(n)d 次回访。业主不满意，已生成投诉 %(number)s，转客服分派。",
                n=recorded.visit.attempts,
                number=recorded.complaint.number,
            )
        )
    else:
        ok(
            _(
                "已保存第 %(n)d 次回访：%(outcome)s。",
                n=recorded.visit.attempts,
                outcome=_(OUTCOME[recorded.attempt.outcome]),
            )
        )
    return redirect(url_for("visits.show", visit_id=visit_id))


def _stale(message: str) -> str:
    if "claimed by" in message:
        return _("此回访已改由他人负责，请刷新后查看。")
    return _("这次回访已有人记录（页面已过期），下面是最新情况，请核对后再操作。")


@bp.post("/<int:visit_id>/dial")
@allow(Permission.VIEW_PERSONAL_DATA)
def dial(visit_id: int) -> Any:
    """The owner's full number to call, the view written to the personal-data log."""
    visit = platform().visits.get(visit_id)
    phone = PersonalData(db_session(), platform().clock).reveal(actor().username, visit.owner_id, "phone")
    commit()
    if request.headers.get("HX-Request"):
        return render_template("visits/visit_dial.html", phone=phone)
    return redirect(f"tel:{phone}")
