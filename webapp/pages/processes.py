"""Process owners: the deployed definitions and their versions, uploading a new version (with every problem
listed when it is refused), and each version's diagram."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.policy import Permission
from engine.errors import DeployRefused
from engine.models import ProcessDefinition
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import label
from webapp.pages.common import actor, commit, ok

bp = Blueprint("processes", __name__, url_prefix="/processes")
MAX_DIAGRAM_BYTES = 5 * 1024 * 1024


def deployers(definitions: list[ProcessDefinition]) -> dict[str, str]:
    """Who deployed each version, by name: a person, or the command line (`lintel deploy`, `lintel init`)."""
    names = platform().staff.display_names(d.deployed_by or "" for d in definitions)
    return {
        d.deployed_by: names.get(d.deployed_by, _("命令行")) for d in definitions if d.deployed_by is not None
    }


def _listing(problems: list[Any] | None = None, filename: str | None = None, status: int = 200) -> Any:
    definitions = platform().definitions.all()
    grouped = [(key, list(versions)[::-1]) for key, versions in groupby(definitions, key=lambda d: d.key)]
    return (
        render_template(
            "processes/list.html",
            grouped=grouped,
            problems=problems,
            filename=filename,
            deployers=deployers(definitions),
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
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _listing([_("请选择一个 .bpmn 文件。")], status=400)
    content = upload.read(MAX_DIAGRAM_BYTES + 1)
    if len(content) > MAX_DIAGRAM_BYTES:
        return _listing([_("图不能超过 5 MB。")], upload.filename, status=413)
    try:
        result = platform().definitions.deploy(content, upload.filename, actor=actor().username)
    except DeployRefused as refused:
        return _listing(refused.problems, upload.filename, status=422)
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


@bp.get("/<key>/<int:version>")
@allow(Permission.VIEW_DEFINITIONS)
def version(key: str, version: int) -> Any:
    p = platform()
    definition = p.definitions.get(key, version)
    versions = [d for d in p.definitions.all() if d.key == key]
    tasks = list((definition.meta or {}).get("tasks", {}).values())
    forms = p.foundation.forms
    return render_template(
        "processes/version.html",
        definition=definition,
        versions=versions[::-1],
        tasks=tasks,
        notices=(definition.meta or {}).get("notices", []),
        departments=dict(p.directory.department_choices()),
        deployers=deployers(versions),
        form_titles={
            t["form_key"]: label(forms.get(t["form_key"]), "title")
            for t in tasks
            if t.get("form_key") in forms
        },
    )


@bp.get("/<key>/<int:version>/diagram.xml")
@allow(Permission.VIEW_DEFINITIONS)
def diagram(key: str, version: int) -> Any:
    definition = platform().definitions.get(key, version)
    xml = db_session().scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition.id))
    return Response(xml or "", mimetype="application/xml")
