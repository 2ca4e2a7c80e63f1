"""回访问卷 (/questionnaires): the questionnaires campaigns ask, each with its versions; a version's
questions; 新版本 — the editor (add, remove, reorder questions; rating, choice, 0–10 recommendation, free
text; wording; required) writing a new version; 新建问卷; 停用 / 启用. A campaign keeps its version.

The editor works without scripts: moving, adding and removing a question re-renders the page with what was
typed kept; only 保存为新版本 writes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from crm.policy import Permission
from crm.visits.questionnaires import MAX_QUESTIONS, QUESTION_TYPES, Question, Questionnaires, questions_of
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, translate_fields
from webapp.pages.common import actor, commit, ok

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires")

TYPES = {
    "rating": N_("评分（1–5 星）"),
    "choice": N_("单选"),
    "nps": N_("推荐意愿（0–10 分）"),
    "text": N_("文字"),
}


def service() -> Questionnaires:
    return Questionnaires(db_session(), platform().clock)


@bp.get("")
@allow(Permission.MANAGE_CAMPAIGNS)
def index() -> Any:
    found = service()
    latest = found.latest()
    counts: dict[str, int] = {}
    for row in found.all():
        counts[row.key] = counts.get(row.key, 0) + 1
    return render_template("visits/questionnaires.html", latest=latest, counts=counts)


@bp.get("/<int:questionnaire_id>")
@allow(Permission.MANAGE_CAMPAIGNS)
def show(questionnaire_id: int) -> Any:
    found = service()
    q = found.get(questionnaire_id)
    return render_template(
        "visits/questionnaire.html",
        q=q,
        questions=questions_of(q.definition),
        versions=found.versions(q.key),
        types=TYPES,
    )


def _posted(form: MultiDict[str, str]) -> list[Question]:
    """The editor's questions as posted, in their order on the page."""
    try:
        count = min(int(form.get("count", "0")), MAX_QUESTIONS + 5)
    except ValueError:
        count = 0
    questions = []
    for i in range(count):
        p = f"q-{i}-"
        if f"{p}type" not in form:
            continue
        options = tuple(line.strip() for line in form.get(f"{p}options", "").splitlines() if line.strip())
        questions.append(
            Question(
                type=form.get(f"{p}type", ""),
                label=form.get(f"{p}label", ""),
                required=bool(form.get(f"{p}required")),
                options=options,
                name=form.get(f"{p}name") or None,
            )
        )
    return questions


def _rearranged(questions: list[Question], action: str) -> list[Question]:
    verb, _sep, where = action.partition(":")
    if verb == "add":
        return [*questions, Question("rating", "", True)]
    if not where.isdigit() or int(where) >= len(questions):
        return questions
    i = int(where)
    if verb == "remove":
        return questions[:i] + questions[i + 1 :]
    if verb == "up" and i > 0:
        questions[i - 1], questions[i] = questions[i], questions[i - 1]
    if verb == "down" and i < len(questions) - 1:
        questions[i + 1], questions[i] = questions[i], questions[i + 1]
    return questions


def _editor(
    title: str, questions: list[Question], base: Any, errors: dict[str, str], status: int = 200
) -> Any:
    page = render_template(
        "visits/questionnaire_edit.html",
        title=title,
        questions=questions,
        base=base,
        errors=errors,
        types=TYPES,
        type_codes=QUESTION_TYPES,
    )
    return page, status


def _edit(base: Any) -> Any:
    """GET: the editor with `base`'s questions (a blank questionnaire without one); POST: rearrange or
    save."""
    if request.method == "GET":
        if base is None:
            return _editor("", [Question("rating", "", True)], None, {})
        return _editor(base.title, questions_of(base.definition), base, {})
    title = request.form.get("title", "")
    questions = _posted(request.form)
    action = request.form.get("action", "save")
    if action != "save":
        return _editor(title, _rearranged(questions, action), base, {})
    try:
        made = service().save_version(base.key if base else None, title, questions, actor().username)
    except InvalidData as invalid:
        return _editor(title, questions, base, translate_fields(invalid.fields), 422)
    commit()
    ok(_("已保存「%(title)s」第 %(v)d 版。", title=made.title, v=made.version))
    return redirect(url_for("questionnaires.show", questionnaire_id=made.id))


@bp.route("/new", methods=["GET", "POST"])
@allow(Permission.MANAGE_CAMPAIGNS)
def new() -> Any:
    return _edit(None)


@bp.route("/<int:questionnaire_id>/edit", methods=["GET", "POST"])
@allow(Permission.MANAGE_CAMPAIGNS)
def edit(questionnaire_id: int) -> Any:
    return _edit(service().get(questionnaire_id))


@bp.post("/<int:questionnaire_id>/active")
@allow(Permission.MANAGE_CAMPAIGNS)
def set_active(questionnaire_id: int) -> Any:
    found = service()
    q = found.get(questionnaire_id)
    active = request.form.get("active") == "1"
    found.set_active(q.key, active)
    commit()
    ok(
        _("已启用「%(t)s」。", t=q.title)
        if active
        else _("已停用「%(t)s」，新建回访活动时不再可选。", t=q.title)
    )
    return redirect(url_for("questionnaires.show", questionnaire_id=questionnaire_id))
