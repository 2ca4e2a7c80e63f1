"""工程进度填报 (/bulletins/<id>/progress): engineering reports each building's progress for the month on
site, from a phone — one card per building with its milestone, percent, note and photos, saved card by card —
then submits it, which completes the notice's progress step."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.attachments import UploadRefused
from crm.bulletins.models import MILESTONES, Bulletin
from crm.bulletins.progress import MAX_PHOTOS, NOTE_MAX, ProgressReports
from crm.policy import Permission
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.inbox import works_on
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import translate
from webapp.pages.common import actor, attachments, commit, ok, problem

bp = Blueprint("bulletin_progress", __name__, url_prefix="/bulletins")


def refusal(message: str) -> str:
    """The progress service's English refusals in the reader's language."""
    member = re.match(r"^only members of '(.+)' or a supervisor report this progress$", message)
    if member is not None:
        departments = dict(platform().directory.department_choices())
        return _(
            "只有%(department)s成员或主管可以填报进度。", department=departments.get(member[1], member[1])
        )
    missing = re.match(r"^not reported: (.+)$", message)
    if missing is not None:
        return _("尚未填报：%(names)s", names=missing[1].replace(", ", "、"))
    patterns = (
        (r"^the progress of this notice was already submitted$", _("本月进度已提交，不能再修改。")),
        (r"^a design-change notice has no progress to report$", _("规划设计变更通报没有工程进度。")),
        (r"^the notice was cancelled$", _("此通报已取消。")),
        (r"^building \S+ is not a building of .+$", _("该楼栋不属于本项目。")),
        (r"^the photo is not a progress photo of this notice$", _("照片不存在或已删除。")),
        (r"^send at least one photo$", _("请选择照片。")),
        (r"^at most \d+ photos at a time$", _("一次最多上传 %(n)d 张照片。", n=MAX_PHOTOS)),
        (r"^must be one of the milestones: .*$", _("请选择所处节点。")),
        (r"^must be a whole number from 0 to 100$", _("请填写 0 到 100 之间的整数。")),
        (
            r"^report at least one building's progress on the notice's page first$",
            _("请先填报至少一栋楼的进度。"),
        ),
        (
            r"^report the progress of every building whose buyers are waiting$",
            _("有业主待交房的楼栋须全部填报。"),
        ),
    )
    for pattern, text in patterns:
        if re.match(pattern, message):
            return text
    return translate(message)


def _page(
    bulletin: Bulletin, errors: dict[int, dict[str, str]], shown: dict[int, dict[str, Any]], status: int
) -> Any:
    p, who = platform(), actor()
    reports: ProgressReports = p.progress_reports
    step = reports.submit_step(bulletin) if bulletin.status == "progress" else None
    listed = reports.buildings(bulletin)
    names = p.staff.display_names(r.progress.updated_by for r in listed if r.progress)
    return (
        render_template(
            "bulletins/progress.html",
            b=bulletin,
            step=step,
            reports=listed,
            names=names,
            photos=reports.photos(bulletin, attachments()),
            may_report=reports.may_report(bulletin, who),
            # Overseers outside engineering may correct the figures; the step itself is engineering's.
            may_submit=step is not None and works_on(p.session, who, step),
            milestones=MILESTONES,
            errors=errors,
            shown=shown,
            note_max=NOTE_MAX,
            previous=reports.previous_notice(bulletin),
        ),
        status,
    )


@bp.get("/<int:bulletin_id>/progress")
@allow(Permission.REPORT_PROGRESS)
def show(bulletin_id: int) -> Any:
    bulletin = platform().bulletins.get(bulletin_id)
    if bulletin.kind != "progress":
        problem(_("规划设计变更通报没有工程进度。"))
        return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))
    return _page(bulletin, {}, {}, 200)


@bp.post("/<int:bulletin_id>/progress/<int:building_id>")
@allow(Permission.REPORT_PROGRESS)
def save(bulletin_id: int, building_id: int) -> Any:
    """One building's card: its values and any new photos, kept together or not at all."""
    p, who, store = platform(), actor(), attachments()
    bulletin = p.bulletins.get(bulletin_id)
    form = request.form
    values = {name: form.get(name, "") for name in ("milestone", "percent", "note")}
    uploads = [(u.filename or "photo.jpg", u.stream) for u in request.files.getlist("photos") if u.filename]
    try:
        row = p.progress_reports.save(bulletin, building_id, values, who)
        if uploads:
            p.progress_reports.add_photos(bulletin, building_id, uploads, who, store)
    except InvalidData as invalid:
        db_session().rollback()
        store.discard_written()
        errors = {name: refusal(message) for name, message in invalid.fields.items()}
        return _page(p.bulletins.get(bulletin_id), {building_id: errors}, {building_id: values}, 422)
    except UploadRefused as refused:
        db_session().rollback()
        store.discard_written()
        errors = {"photos": translate(str(refused))}
        return _page(p.bulletins.get(bulletin_id), {building_id: errors}, {building_id: values}, 422)
    except (Conflict, Forbidden, NotFound) as refused:
        db_session().rollback()
        store.discard_written()
        problem(refusal(str(refused)))
        return redirect(url_for("bulletin_progress.show", bulletin_id=bulletin_id))
    except BaseException:
        db_session().rollback()
        store.discard_written()
        raise
    name = row.building.name
    commit()
    if uploads:
        ok(_("已保存%(building)s的进度和 %(n)d 张照片。", building=name, n=len(uploads)))
    else:
        ok(_("已保存%(building)s的进度。", building=name))
    return redirect(url_for("bulletin_progress.show", bulletin_id=bulletin_id) + f"#building-{building_id}")


@bp.post("/<int:bulletin_id>/progress/photos/<token>/remove")
@allow(Permission.REPORT_PROGRESS)
def remove_photo(bulletin_id: int, token: str) -> Any:
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    try:
        path = p.progress_reports.remove_photo(bulletin, token, actor(), attachments())
    except (Conflict, Forbidden, NotFound) as refused:
        db_session().rollback()
        problem(refusal(str(refused)))
        return redirect(url_for("bulletin_progress.show", bulletin_id=bulletin_id))
    commit()
    path.unlink(missing_ok=True)
    ok(_("已删除照片。"))
    anchor = request.form.get("building", "")
    target = url_for("bulletin_progress.show", bulletin_id=bulletin_id)
    return redirect(target + (f"#building-{anchor}" if anchor.isdigit() else ""))


@bp.post("/<int:bulletin_id>/progress/submit")
@allow(Permission.REPORT_PROGRESS)
def submit(bulletin_id: int) -> Any:
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    note = request.form.get("progress_note", "")
    try:
        p.progress_reports.submit(bulletin, note, actor())
    except InvalidData as invalid:
        db_session().rollback()
        problem(refusal(str(invalid)))
        for message in invalid.fields.values():
            problem(refusal(message))
        return redirect(url_for("bulletin_progress.show", bulletin_id=bulletin_id) + "#submit")
    except (Conflict, Forbidden, NotFound) as refused:
        db_session().rollback()
        problem(refusal(str(refused)))
        return redirect(url_for("bulletin_progress.show", bulletin_id=bulletin_id))
    commit()
    ok(_("已提交本月工程进度，客户关系中心将据此起草通报。"))
    return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))


# The notice's page (bulletins/_progress.html) shows each building's photos and, to whoever may report, the
# way here; asked from the template so that the notice's own view needs to know nothing of them.
@bp.app_template_global()
def progress_photos(bulletin: Bulletin) -> dict[int, list[Any]]:
    return platform().progress_reports.photos(bulletin, attachments())


@bp.app_template_global()
def may_report_progress(bulletin: Bulletin) -> bool:
    return platform().progress_reports.may_report(bulletin, actor())
