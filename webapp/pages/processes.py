"""Process owners: the deployed definitions and their versions, uploading a new version (with every problem
listed when it is refused), and each version's diagram."""

from __future__ import annotations

from itertools import groupby
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.policy import Permission
from engine.bpmn_outline import gateway_flows
from engine.bundle_files import MAX_FILE_BYTES
from engine.bundle_groups import BadOption, deploy_options
from engine.errors import DeployRefused
from engine.models import ProcessDefinition, ProcessInstance
from forms import FormError
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import label
from webapp.pages.common import actor, commit, ok, problem
from webapp.pages.process_compare import compare, starting_changes
from webapp.pages.process_outline import Step, outline

bp = Blueprint("processes", __name__, url_prefix="/processes")


def deployers(definitions: list[ProcessDefinition]) -> dict[str, str]:
    """Who deployed each version, by name: a person, or the command line (`lintel deploy`, `lintel init`)."""
    names = platform().staff.display_names(d.deployed_by or "" for d in definitions)
    return {
        d.deployed_by: names.get(d.deployed_by, _("命令行")) for d in definitions if d.deployed_by is not None
    }


def _listing(
    problems: list[Any] | None = None, filename: str | None = None, status: int = 200, entered: Any = None
) -> Any:
    definitions = platform().definitions.all()
    grouped = [(key, list(versions)[::-1]) for key, versions in groupby(definitions, key=lambda d: d.key)]
    return (
        render_template(
            "processes/list.html",
            grouped=grouped,
            problems=problems,
            filename=filename,
            deployers=deployers(definitions),
            departments=platform().directory.department_choices(),
            entered=entered or {},
        ),
        status,
    )


@bp.get("")
@allow(Permission.VIEW_DEFINITIONS)
def index() -> Any:
    return _listing()


@bp.post("")
@allow(Permission.DEPLOY_DEFINITION)
def upload() -> Any:
    uploads = [u for u in request.files.getlist("file") if u.filename]
    entered = {
        "default_department": request.form.get("default_department", ""),
        "lanes": request.form.get("lanes", ""),
    }
    if not uploads:
        return _listing(
            [_("请选择 BPMN 文件（可同时选择它用到的 DMN 和表单文件）。")], status=400, entered=entered
        )
    names = "、".join(u.filename or "" for u in uploads)
    files = []
    for upload in uploads:
        content = upload.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            return _listing(
                [
                    _(
                        "%(file)s 超过 %(size)d MB。",
                        file=upload.filename,
                        size=MAX_FILE_BYTES // (1024 * 1024),
                    )
                ],
                names,
                status=413,
                entered=entered,
            )
        files.append((upload.filename or "", content))
    try:
        options = deploy_options(
            entered["default_department"], [entered["lanes"], *request.form.getlist("lane")]
        )
    except BadOption as exc:
        return _listing([str(exc)], names, status=422, entered=entered)
    try:
        result = platform().definitions.deploy(files, options=options, actor=actor().username)
    except DeployRefused as refused:
        return _listing(refused.problems, names, status=422, entered=entered)
    name = result.definition.name if result.definition is not None else result.key
    if result.created:
        commit()
        ok(
            _(
                "已部署「%(name)s」第 %(version)d 版。新发起的请求使用此版本，进行中的请求保持原版本。",
                name=name,
                version=result.version,
            )
        )
    else:
        ok(_("「%(name)s」与第 %(version)d 版相同，未部署新版本。", name=name, version=result.version))
    return redirect(url_for("processes.version", key=result.key, version=result.version))


def _diagrams(definition: ProcessDefinition) -> list[str]:
    diagrams = [
        f.content for f in platform().definitions.files(definition, with_content=True) if f.kind == "bpmn"
    ]
    if not diagrams:  # a version stored before its files were
        diagrams = [
            db_session().scalar(
                select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition.id)
            )
            or ""
        ]
    return diagrams


def _forms(definition: ProcessDefinition) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """(the version's forms, the forms deployed with it, the title of each form its steps use)."""
    p = platform()
    tasks = list((definition.meta or {}).get("tasks", {}).values())
    try:
        forms = p.validator.forms_of(definition)
        own_forms = forms.own()
    except FormError as exc:  # a version stored before a form format changed: say so, show the rest
        forms, own_forms = p.validator.forms_of(None), {}
        problem(str(exc))
    form_titles = {
        t["form_key"]: label(forms.get(t["form_key"]), "title") for t in tasks if t.get("form_key") in forms
    }
    return forms, own_forms, form_titles


def _starting(definition: ProcessDefinition, forms: Any) -> tuple[str, str]:
    """(who may start the version, in words; its start form's title); `forms`: the version's (`_forms`)."""
    properties = (definition.meta or {}).get("properties") or {}
    departments = dict(platform().directory.department_choices())
    codes = properties.get("startable_by") or []
    who = "、".join(departments.get(c, c) for c in codes) if codes else _("所有员工")
    form_key = properties.get("start_form")
    if not form_key:
        form = _("无发起表单")
    else:
        form = label(forms.get(form_key), "title") if form_key in forms else form_key
    return who, form


def form_fields(definition: ProcessDefinition, forms: Any) -> dict[str, Any]:
    """The fields of the forms (`forms`: the version's) its steps and start event use, by name (the first form
    wins a name two forms share): what its gateway conditions test."""
    meta = definition.meta or {}
    keys = [t.get("form_key") for t in meta.get("tasks", {}).values()]
    keys.append((meta.get("properties") or {}).get("start_form"))
    found: dict[str, Any] = {}
    for form_key in keys:
        if form_key and form_key in forms:
            for field in forms.get(form_key).fields:
                found.setdefault(field.name, field)
    return found


def steps_of(definition: ProcessDefinition, diagrams: list[str], form_titles: dict[str, str]) -> list[Step]:
    """The version's human steps in plain words, as its page lists them (`form_titles`: its forms' titles)."""
    departments = dict(platform().directory.department_choices())
    tasks = (definition.meta or {}).get("tasks", {}).values()
    people = platform().staff.display_names(
        t["assignee"] for t in tasks if t.get("assignee") and not t.get("assignee_is_expression")
    )
    return outline(definition.meta or {}, diagrams, departments, form_titles, people)


@bp.get("/<key>/<int:version>")
@allow(Permission.VIEW_DEFINITIONS)
def version(key: str, version: int) -> Any:
    p = platform()
    definition = p.definitions.get(key, version)
    versions = [d for d in p.definitions.all() if d.key == key]
    tasks = list((definition.meta or {}).get("tasks", {}).values())
    forms, own_forms, form_titles = _forms(definition)
    diagrams = _diagrams(definition)
    used_by: dict[str, list[str]] = {}
    for t in tasks:
        if t.get("form_key") in forms:
            used_by.setdefault(id_of(forms.get(t["form_key"])), []).append(t["name"])
    # Requests still running on earlier versions, when this is the newest: they stay there until moved.
    running_before = 0
    if definition.version == max(d.version for d in versions):
        running_before = (
            db_session().scalar(
                select(func.count()).where(
                    ProcessInstance.process_key == key,
                    ProcessInstance.status == "running",
                    ProcessInstance.definition_id != definition.id,
                )
            )
            or 0
        )
    return render_template(
        "processes/version.html",
        definition=definition,
        running_before=running_before,
        versions=versions[::-1],
        steps=steps_of(definition, diagrams, form_titles),
        starting=_starting(definition, forms),
        notices=(definition.meta or {}).get("notices", []),
        deployers=deployers(versions),
        files=p.definitions.files(definition),
        own_forms=[(key, form, used_by.get(id_of(form), [])) for key, form in own_forms.items()],
    )


def _version_number(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


@bp.get("/<key>/compare")
@allow(Permission.VIEW_DEFINITIONS)
def compare_versions(key: str) -> Any:
    """Two versions of a process side by side: what changed, in words, and both diagrams coloured."""
    p = platform()
    versions = {d.version: d for d in p.definitions.all() if d.key == key}
    if not versions:
        abort(404, _("没有键为「%(key)s」的流程。", key=key))
    a, b = _version_number(request.args.get("a")), _version_number(request.args.get("b"))
    if a is None or b is None:
        abort(422, _("请用数字指定要比较的两个版本。"))
    if a == b:
        abort(422, _("请选择两个不同的版本进行比较。"))
    for number in (a, b):
        if number not in versions:
            abort(404, _("此流程没有第 %(version)d 版。", version=number))
    old, new = versions[a], versions[b]
    old_diagrams, new_diagrams = _diagrams(old), _diagrams(new)
    old_forms, _own, old_titles = _forms(old)
    new_forms, _own, new_titles = _forms(new)
    comparison = compare(
        steps_of(old, old_diagrams, old_titles),
        steps_of(new, new_diagrams, new_titles),
        {k: v for xml in old_diagrams for k, v in gateway_flows(xml).items()},
        {k: v for xml in new_diagrams for k, v in gateway_flows(xml).items()},
        form_fields(old, old_forms),
        form_fields(new, new_forms),
    )
    comparison.starting.extend(starting_changes(_starting(old, old_forms), _starting(new, new_forms)))
    return render_template(
        "processes/compare.html",
        old=old,
        new=new,
        versions=sorted(versions.values(), key=lambda d: -d.version),
        comparison=comparison,
        marks=comparison.marks(),
    )


def id_of(form: Any) -> str:
    return str(id(form))


@bp.get("/<key>/<int:version>/files/<path:file_name>")
@allow(Permission.VIEW_DEFINITIONS)
def file(key: str, version: int, file_name: str) -> Any:
    """One of the files deployed with the version, as it was deployed."""
    p = platform()
    stored = p.definitions.file(p.definitions.get(key, version), file_name)
    kinds = {"bpmn": "application/xml", "dmn": "application/xml", "form": "application/json"}
    response = Response(stored.content, mimetype=kinds.get(stored.kind, "application/octet-stream"))
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stored.filename)}"
    return response


@bp.get("/<key>/<int:version>/diagram.xml")
@allow(Permission.VIEW_DEFINITIONS)
def diagram(key: str, version: int) -> Any:
    definition = platform().definitions.get(key, version)
    xml = db_session().scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition.id))
    return Response(xml or "", mimetype="application/xml")
