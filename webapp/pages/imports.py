"""The administrator's import page (/admin/import): choose a kind, upload a CSV or XLSX file, watch it
import in the background (progress polled with htmx from the job's row, so it survives a reload and any web
process can answer), then read the skipped rows with their line and reason, or download them. Template
files per kind are offered beside the form."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from crm.estate.import_jobs import ImportJobs, run_job
from crm.estate.import_layouts import KINDS, LAYOUTS
from crm.estate.import_models import ImportJob
from crm.estate.import_templates import FORMATS, template_csv, template_xlsx
from crm.estate.models import PersonalDataAccess
from crm.policy import Permission
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, is_english
from webapp.pages.common import actor, commit, problem

bp = Blueprint("imports", __name__, url_prefix="/admin/import")
SHOWN_PROBLEMS = 500

KIND_NAMES = {
    "projects": N_("项目"),
    "units": N_("房号"),
    "owners": N_("业主"),
    "contracts": N_("购房合同"),
    "contractors": N_("承建商"),
}
STATUS_NAMES = {
    "queued": N_("排队中"),
    "running": N_("导入中"),
    "done": N_("已完成"),
    "refused": N_("文件被拒绝"),
    "failed": N_("出错"),
}
# A skipped row's reason, by the code crm.estate.import_layouts / imports give it.
REASONS = {
    "required": N_("「%(column)s」必填"),
    "too_long": N_("「%(column)s」超过 %(limit)s 个字"),
    "too_many": N_("「%(column)s」最多 %(limit)s 项"),
    "invalid_date": N_("「%(column)s」的「%(value)s」不是日期，请写成 2026-03-01 或 2026/3/1"),
    "invalid_floor": N_("楼层「%(value)s」不是 -10 到 200 之间的整数"),
    "invalid_area": N_("面积「%(value)s」不是有效的平方米数，如 89.5"),
    "invalid_yes_no": N_("「%(column)s」的「%(value)s」应为 是/否（1/0、Y/N）"),
    "invalid_phone": N_("电话「%(value)s」不是有效的手机号或带区号的固定电话"),
    "invalid_id_number": N_("证件号码「%(value)s」无效（身份证号须为 18 位且校验位正确）"),
    "invalid_email": N_("邮箱「%(value)s」无效"),
    "duplicate": N_("与第 %(line)s 行重复"),
    "unknown_project": N_("项目「%(value)s」不存在，请先导入项目"),
    "unknown_unit": N_("项目 %(project)s 的 %(building)s %(unit)s 不存在，请先导入房号"),
    "rooms_without_layout": N_("填写了房间但没有填写户型"),
    "rooms_conflict": N_("户型「%(layout)s」的房间与第 %(line)s 行不同"),
    "ownership_ended": N_("该业主对此房号的产权已于 %(date)s 结束（已转让），未导入"),
    "contact_twice": N_("第 %(line)s 行已指定此房号的联系业主"),
    "before_signing": N_("「%(column)s」早于签约日期"),
    "contract_other_unit": N_("合同 %(number)s 已登记在另一个房号下"),
}
# Why a whole file was refused.
REFUSALS = {
    "old_excel": N_("%(name)s：旧版 Excel 文件（.xls）无法读取，请另存为 .xlsx 或 CSV"),
    "extension": N_("%(name)s：只能导入 .csv 或 .xlsx 文件"),
    "too_large": N_("%(name)s：文件超过 %(size)s"),
    "empty": N_("%(name)s：文件为空"),
    "encoding": N_("%(name)s：文字编码既不是 UTF-8 也不是 GBK，请将 CSV 另存为 UTF-8"),
    "not_csv": N_("%(name)s：文件内容不是 CSV"),
    "bad_csv": N_("%(name)s：第 %(line)s 行无法按 CSV 读取"),
    "not_xlsx": N_("%(name)s：文件内容不是 .xlsx 格式，或文件已损坏"),
    "unpacked": N_("%(name)s：文件解压后过大或部件过多，可能是压缩炸弹"),
    "duplicate_headers": N_("表头中这些列重复出现：%(columns)s"),
    "missing_headers": N_("缺少必填的列：%(columns)s"),
    "failed": N_("导入时出错，已导入的批次保留；请修正后重新导入同一文件"),
}


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def column_name(kind: str, key: str) -> str:
    """A column as the reader's template names it: its Chinese header, or the English one."""
    if is_english() or kind not in LAYOUTS:
        return key
    return next((c.labels[0] for c in LAYOUTS[kind] if c.key == key), key)


def reason(kind: str, item: dict[str, Any], plain: bool = False) -> str:
    """A skipped row's reason in the reader's language; on the page, what the cell held is marked as data
    (it is the file's, in whatever language the file was written)."""
    template = REASONS.get(item.get("code", ""))
    if is_english() or template is None:
        return str(item.get("message", ""))
    params = {k: v for k, v in (item.get("params") or {}).items()}
    params.setdefault("value", "")
    if not plain:
        params["value"] = Markup('<span class="mono">{}</span>').format(params["value"])
    params["column"] = column_name(kind, str(item.get("column", "")))
    try:
        return str(_(template) % params) if plain else Markup(escape(_(template))) % params
    except (KeyError, ValueError, TypeError):
        return str(item.get("message", ""))


def refusal_text(job: ImportJob) -> str:
    found = job.refusal or {}
    template = REFUSALS.get(str(found.get("code", "")))
    if is_english() or template is None:
        return str(found.get("message", ""))
    params = dict(found.get("params") or {})
    params.setdefault("name", job.filename)
    if "columns" in params:
        params["columns"] = "、".join(
            column_name(job.kind, c.strip()) for c in str(params["columns"]).split(",")
        )
    try:
        return _(template, **params)
    except (KeyError, ValueError, TypeError):
        return str(found.get("message", ""))


def jobs() -> ImportJobs:
    return ImportJobs(db_session(), platform().clock)


def _page(status: int = 200, chosen: str = "owners") -> Any:
    return (
        render_template(
            "admin/imports.html",
            kinds=KINDS,
            chosen=chosen,
            recent=jobs().recent(),
            kind_name=kind_name,
            status_name=lambda s: _(STATUS_NAMES.get(s, s)),
            layouts=LAYOUTS,
            column_name=column_name,
            formats=FORMATS,
        ),
        status,
    )


@bp.get("")
@allow(Permission.IMPORT_RECORDS)
def index() -> Any:
    chosen = request.args.get("kind", "owners")
    return _page(chosen=chosen if chosen in KINDS else "owners")


@bp.post("")
@allow(Permission.IMPORT_RECORDS)
def upload() -> Any:
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in KINDS:
        problem(_("请选择要导入的内容。"))
        return _page(422)
    if upload is None or not upload.filename:
        problem(_("请选择要导入的文件（.xlsx 或 .csv）。"))
        return _page(422, kind)
    limit = int(current_app.config["LINTEL_IMPORT_MAX_BYTES"])
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        from crm.attachments import megabytes

        problem(_("%(name)s：文件超过 %(size)s", name=upload.filename, size=megabytes(limit)))
        return _page(413, kind)
    job = jobs().submit(kind, upload.filename, content, actor().username)
    commit()
    start(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
    return redirect(url_for("imports.show", job_id=job.id))


def start(app: Flask, job_id: int) -> None:
    """Run the import: in a thread of this process (tests and drills may run it in place)."""
    runner: Callable[[Callable[[], None]], None] = app.extensions.get("lintel.import_runner") or _thread
    runner(lambda: run(app, job_id))


def _thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="lintel-import", daemon=True).start()


def run(app: Flask, job_id: int) -> None:
    config = app.config
    run_job(
        app.extensions["lintel.sessions"],
        app.extensions["lintel.foundation"].clock,
        job_id,
        max_bytes=int(config["LINTEL_IMPORT_MAX_BYTES"]),
        unpacked_max_bytes=int(config["LINTEL_UPLOAD_UNPACKED_MAX_BYTES"]),
    )


def _job_context(job_id: int) -> dict[str, Any]:
    job = jobs().get(job_id)
    problems = job.problems or []
    return {
        "job": job,
        "problems": problems[:SHOWN_PROBLEMS],
        "more_problems": max(0, len(problems) - SHOWN_PROBLEMS) + (job.problems_dropped or 0),
        "interrupted": job.interrupted(platform().clock.now()),
        "kind_name": kind_name,
        "status_name": lambda s: _(STATUS_NAMES.get(s, s)),
        "reason": reason,
        "column_name": column_name,
        "refusal_text": refusal_text,
    }


@bp.get("/<int:job_id>")
@allow(Permission.IMPORT_RECORDS)
def show(job_id: int) -> Any:
    return render_template("admin/import.html", **_job_context(job_id))


@bp.get("/<int:job_id>/progress")
@allow(Permission.IMPORT_RECORDS)
def progress(job_id: int) -> Any:
    """The job's progress and result, for the page to poll."""
    return render_template("admin/_import_progress.html", **_job_context(job_id))


@bp.get("/<int:job_id>/problems.csv")
@allow(Permission.IMPORT_RECORDS)
def problems_file(job_id: int) -> Any:
    """The skipped rows (line, column, reason). Reasons quote what the row held (a phone, an ID number),
    so the download is written to the personal-data log."""
    job = jobs().get(job_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("行号"), _("列"), _("原因")])
    for item in job.problems or []:
        writer.writerow(
            [
                item.get("line"),
                column_name(job.kind, str(item.get("column", ""))),
                reason(job.kind, item, plain=True),
            ]
        )
    db_session().add(
        PersonalDataAccess(
            at=platform().clock.now(),
            actor=actor().username,
            owner_id=None,
            what="export",
            via="page",
            detail={"import_job": job.id, "kind": job.kind, "rows": len(job.problems or [])},
        )
    )
    commit()
    name = f"import-{job.id}-{job.kind}-problems.csv"
    response = Response(("\ufeff" + out.getvalue()).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@bp.get("/templates/<kind>.<fmt>")
@allow(Permission.IMPORT_RECORDS)
def template(kind: str, fmt: str) -> Any:
    if kind not in KINDS or fmt not in FORMATS:
        abort(404)
    if fmt == "xlsx":
        content = template_xlsx(kind)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content, mimetype = template_csv(kind), "text/csv"
    name = f"lintel-{kind}-template.{fmt}"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
