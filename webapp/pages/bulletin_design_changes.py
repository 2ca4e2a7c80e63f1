"""通报 for design changes (规划设计变更通报): starting one (/bulletins/design-changes/new — the project, its
buildings and typed unit numbers, the title, with a live count of the owners it will reach), and on a sent
notice's page who has acknowledged it: the owners still to do so (their XLSX), and 再次提醒 to them, at
most once a day. The routes belong to the notices' blueprint (webapp.pages.bulletins)."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.bulletins.acknowledgements import Acknowledgements, AckSummary, TooSoon, workbook
from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.design_changes import MAX_UNITS, buildings_of, projects, reach, units_of
from crm.bulletins.models import Bulletin
from crm.estate.models import Project
from crm.policy import Permission
from engine.errors import Conflict, InvalidData
from webapp import platform
from webapp.access import allow
from webapp.i18n import local_time, translate
from webapp.pages.bulletins import bp
from webapp.pages.common import actor, commit, ok, problem

TITLE_MAX = 200
ID = re.compile(r"[0-9]{1,10}")


def acknowledgements() -> Acknowledgements:
    p = platform()
    return Acknowledgements(p.session, p.clock, p.outbox, p.foundation.messaging.public_url)


@bp.app_context_processor
def _acks() -> dict[str, Any]:
    """The notice's page (bulletins/_acks.html) asks for a sent design change's acknowledgements."""

    def ack_summary(bulletin: Bulletin) -> AckSummary | None:
        service = acknowledgements()
        return service.summary(bulletin) if service.applies(bulletin) else None

    return {"ack_summary": ack_summary}


# -- starting a design change ---------------------------------------------------------------------


def _id(raw: str) -> int | None:
    text = raw.strip()
    if not ID.fullmatch(text) or not 0 < int(text) <= 2**31 - 1:
        return None
    return int(text)


def _project() -> Project | None:
    wanted = _id(request.values.get("project_id", ""))
    return platform().session.get(Project, wanted) if wanted is not None else None


def _building_ids() -> list[int] | None:
    found = [_id(v) for v in request.values.getlist("building_ids")]
    if any(i is None for i in found):
        return None
    return sorted({i for i in found if i is not None})


def _unit_text() -> str:
    return (request.values.get("unit_text") or "").strip()[:5000]


def _service_errors(fields: dict[str, str]) -> dict[str, str]:
    """What Bulletins.start_design_change refused, in the page's words beside its fields."""
    errors = {}
    for name, message in fields.items():
        if name == "building_ids":
            if message.startswith("not buildings of"):
                errors[name] = _("所选楼栋不属于这个项目")
            elif message.startswith("choose the buildings"):
                errors[name] = _("请勾选楼栋或填写房号")
            else:
                errors[name] = _("楼栋选择无效")
        elif name == "unit_ids":
            errors["unit_text"] = _("房号不属于这个项目")
        elif name == "title":
            errors[name] = _("请填写标题") if message == "required" else _("标题最多 %(n)d 个字", n=TITLE_MAX)
        elif name == "project_id":
            errors[name] = _("请选择项目")
        else:
            errors[name] = translate(message)
    return errors


def _reach_context(project: Project | None, building_ids: list[int], unit_text: str) -> dict[str, Any]:
    """The count of owners the choice reaches (the units that were found; the others named)."""
    if project is None:
        return {"count": None, "unknown": [], "too_many": False}
    session = platform().session
    typed = units_of(session, project.id, unit_text)
    own = [b.id for b in buildings_of(session, project.id) if b.id in building_ids]
    count = reach(session, project.id, own, typed.ids) if own or typed.ids else 0
    return {"count": count, "unknown": typed.unknown, "too_many": typed.too_many}


@bp.route("/design-changes/new", methods=["GET", "POST"])
@allow(Permission.DRAFT_BULLETINS)
def new_design_change() -> Any:
    p = platform()
    project = _project()
    building_ids = _building_ids()
    unit_text = _unit_text()
    title = (request.form.get("title") or "").strip()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if project is None:
            errors["project_id"] = _("请选择项目")
        if building_ids is None:
            errors["building_ids"] = _("楼栋选择无效")
        if not title:
            errors["title"] = _("请填写标题")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("标题最多 %(n)d 个字", n=TITLE_MAX)
        typed = units_of(p.session, project.id, unit_text) if project is not None else None
        if typed is not None and typed.too_many:
            errors["unit_text"] = _("一次最多填写 %(n)d 个房号", n=MAX_UNITS)
        elif typed is not None and typed.unknown:
            errors["unit_text"] = _("这个项目没有这些房号：%(units)s", units="、".join(typed.unknown))
        if not errors and project is not None and typed is not None:
            data = {
                "project_id": project.id,
                "building_ids": building_ids or [],
                "unit_ids": typed.ids,
                "title": title,
            }
            try:
                instance_id = p.bulletins.start_design_change(data, actor())
            except InvalidData as invalid:
                p.session.rollback()
                errors = _service_errors(invalid.fields)
            else:
                bulletin = bulletin_of(p.session, instance_id)
                assert bulletin is not None  # written as the instance starts
                commit()
                ok(_("已发起设计变更通报，请起草通报内容后提交审批。"))
                return redirect(url_for("bulletins.show", bulletin_id=bulletin.id))
    page = render_template(
        "bulletins/design_change_new.html",
        projects=projects(p.session),
        project=project,
        buildings=buildings_of(p.session, project.id) if project is not None else [],
        chosen=set(building_ids or []),
        unit_text=unit_text,
        title=title,
        errors=errors,
        **_reach_context(project, building_ids or [], unit_text),
    )
    return page, 422 if errors else 200


@bp.get("/design-changes/reach")
@allow(Permission.DRAFT_BULLETINS)
def design_change_reach() -> Any:
    """The live count beside the form (htmx): how many owners the current choice reaches."""
    return render_template(
        "bulletins/_design_change_reach.html",
        **_reach_context(_project(), _building_ids() or [], _unit_text()),
    )


# -- acknowledgements of a sent design change ---------------------------------------------------------


def _design_change(bulletin_id: int) -> Bulletin:
    return platform().bulletins.get(bulletin_id)


@bp.get("/<int:bulletin_id>/acknowledgements.xlsx")
@allow(Permission.VIEW_BULLETINS)
def acknowledgements_xlsx(bulletin_id: int) -> Any:
    bulletin = _design_change(bulletin_id)
    service = acknowledgements()
    if not service.applies(bulletin):
        problem(_("这份通报还没有发送，或无需业主确认。"))
        return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))
    content = workbook(bulletin, service.summary(bulletin))
    name = f"notice-{bulletin.id}-not-acknowledged.xlsx"
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/<int:bulletin_id>/remind")
@allow(Permission.DRAFT_BULLETINS)
def remind(bulletin_id: int) -> Any:
    bulletin = _design_change(bulletin_id)
    back = redirect(url_for("bulletins.show", bulletin_id=bulletin_id) + "#acks")
    try:
        reminded = acknowledgements().remind(bulletin, actor())
    except TooSoon as soon:
        problem(
            _(
                "上次提醒在 %(last)s，每份通报每天最多提醒一次，%(next)s 后可再次提醒。",
                last=local_time(soon.last),
                next=local_time(soon.next_at),
            )
        )
        return back
    except Conflict as conflict:
        if "every owner" in str(conflict):
            problem(_("所有业主都已确认知悉，无需提醒。"))
        elif "still being sent" in str(conflict):
            problem(_("通报正在发送，发送完成后才能再次提醒。"))
        else:
            problem(_("这份通报还没有发送，或无需业主确认。"))
        return back
    commit()
    ok(_("已再次提醒 %(n)d 位尚未确认的业主。", n=reminded))
    return back
