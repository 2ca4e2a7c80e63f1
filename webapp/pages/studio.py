"""The process owners' studio: draw a process in the browser (the bpmn-js modeler bundled from
webapp/static_src), keep a draft per owner and process, check it with the deploy checks as it is drawn, and
deploy it with a change note through the same path as an upload. Rolling back deploys an earlier version's
files again as a new version."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from crm.policy import Permission
from engine.bpmn_meta import DeployOptions, Problem
from engine.bundle_files import MAX_FILE_BYTES
from engine.drafts import NEW_PROCESS
from engine.errors import DeployRefused, NotFound
from engine.models import ProcessDefinition
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, is_english, label, local_time, translate
from webapp.pages.common import actor, commit, ok, problem

bp = Blueprint("studio", __name__, url_prefix="/processes")

NOTE_MAX = 2000

NEW_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_new_process" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="new_process" name="新流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_new_process">
    <bpmndi:BPMNPlane id="plane_new_process" bpmnElement="new_process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="152" y="182" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


class Refused(Exception):
    def __init__(self, message: str, status: int = 422, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = problems or []


def _latest(key: str) -> ProcessDefinition | None:
    return platform().definitions.latest_or_none(key) if key != NEW_PROCESS else None


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused(_("请求格式不对：需要 JSON 对象。"), 400)
    return data


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise Refused(_("「%(field)s」应是文字。", field=name), 400)
    return value


def _xml(data: dict[str, Any]) -> str:
    xml = _text(data, "xml")
    if not xml.strip():
        raise Refused(_("流程图是空的。"), 400)
    if len(xml.encode("utf-8")) > MAX_FILE_BYTES:
        raise Refused(_("流程图超过 %(size)d MB。", size=MAX_FILE_BYTES // (1024 * 1024)), 413)
    return xml


def _key(data: dict[str, Any]) -> str:
    key = _text(data, "key")
    if key != NEW_PROCESS and _latest(key) is None:
        raise Refused(_("没有编号为「%(key)s」的流程。", key=key), 404)
    return key


# The checks' messages that name what to set in an upload; in the studio, what to set in its panel.
_IN_THE_PANEL = [
    (re.compile(r"^task has no lane and no candidateGroups"), N_("没有指定部门：请在右侧「办理」中选择部门")),
    (
        re.compile(r"^lane '(?P<lane>.+)' is not a department and task has no candidateGroups"),
        N_("泳道「%(lane)s」不是部门：请在右侧「办理」中为此步骤选择部门"),
    ),
    (
        re.compile(r"^timer has no timeDate, timeDuration or timeCycle$"),
        N_("定时器没有时长：请在右侧「时限」中填写时长和单位"),
    ),
    (
        re.compile(r"^flow \S+ from gateway \S+ has no condition and is not the default flow$"),
        N_("网关的这条流出线没有条件：请在右侧「条件」中选一个表单结果，或填写条件"),
    ),
]


def _in_words(message: str) -> str:
    for pattern, words in _IN_THE_PANEL:
        found = pattern.match(message)
        if found is not None:
            return _(words, **found.groupdict())
    return translate(message)


def _shown(problem: Problem | str) -> dict[str, Any]:
    if isinstance(problem, Problem):
        return {"element_id": problem.element_id, "line": problem.line, "message": _in_words(problem.message)}
    return {"element_id": None, "line": None, "message": _in_words(str(problem))}


def _bundle(key: str, xml: str, filename: str | None = None) -> tuple[list[tuple[str, bytes]], DeployOptions]:
    """The files and routing a deploy from the studio takes: the drawn diagram in place of the latest
    version's main file, with the latest version's other files (its forms, tables, called processes) and
    routing options."""
    base = _latest(key)
    if base is None:
        return [(filename or "process.bpmn", xml.encode("utf-8"))], DeployOptions()
    definitions = platform().definitions
    companions = [(name, content) for name, content in definitions.deployed_files(base)[1:]]
    options = DeployOptions.from_json((base.meta or {}).get("options"))
    return [(base.filename, xml.encode("utf-8")), *companions], options


def _check(key: str, xml: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """(problems, notices, the diagram's process key), as the deploy checks see the studio's diagram."""
    files, options = _bundle(key, xml)
    try:
        parsed = platform().definitions.check(files, options=options)
    except DeployRefused as refused:
        return [_shown(p) for p in refused.problems], [], ""
    problems = []
    if key != NEW_PROCESS and parsed.key != key:
        problems.append(
            {
                "element_id": None,
                "line": None,
                "message": _("流程编号必须仍是「%(key)s」：已部署流程的编号不能更改。", key=key),
            }
        )
    elif key == NEW_PROCESS and _latest(parsed.key) is not None:
        problems.append(
            {
                "element_id": None,
                "line": None,
                "message": _(
                    "流程编号「%(key)s」已被另一个流程使用：请换一个编号，或到那个流程的工作室中修改它。",
                    key=parsed.key,
                ),
            }
        )
    return problems, [_shown(n) for n in parsed.notices], parsed.key


def _answer(view: Any) -> Any:
    try:
        return view()
    except Refused as refused:
        return jsonify({"message": refused.message, "problems": refused.problems}), refused.status


def _outcomes(forms: Any) -> dict[str, list[tuple[str, str]]]:
    """What a gateway after a step may test of the step's form, in words: per form key, (复验结果为「通过」,
    the condition `verified == "pass"`) for each answer of its choice and yes/no fields."""
    found: dict[str, list[tuple[str, str]]] = {}
    for key in forms:
        options = []
        for field in forms.get(key).fields:
            answers: list[tuple[str, str]] = []
            if field.type == "choice":
                answers = [(label(c), json.dumps(c.value, ensure_ascii=False)) for c in field.choices]
            elif field.type == "yesno":
                answers = [(_("是"), '"yes"'), (_("否"), '"no"')]
            elif field.type == "boolean":
                answers = [(_("是"), "True"), (_("否"), "False")]
            for words, value in answers:
                shown = _("%(field)s为「%(answer)s」", field=label(field), answer=words)
                options.append((shown, f"{field.name} == {value}"))
        if options:
            found[key] = options
    return found


def _page(key: str) -> Any:
    p = platform()
    owner = actor().username
    base = _latest(key)
    draft = p.drafts.get(owner, key)
    if draft is not None:
        xml = draft.bpmn_xml
    elif base is not None:
        xml = db_session().scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == base.id))
    else:
        xml = NEW_DIAGRAM
    forms = p.validator.forms_of(base)
    data = {
        "key": key,
        "english": is_english(),
        "keyFixed": base is not None,
        "baseVersion": base.version if base is not None else None,
        "xml": xml,
        "draftSavedAt": local_time(draft.updated_at) if draft is not None else None,
        "departments": p.directory.department_choices(),
        "forms": sorted(((k, label(forms.get(k), "title")) for k in forms), key=lambda f: f[1]),
        "outcomes": _outcomes(forms),
        "urls": {
            "draft": url_for("studio.save_draft", key=key) if key else url_for("studio.save_new_draft"),
            "check": url_for("studio.check", key=key) if key else url_for("studio.check_new"),
            "deploy": url_for("studio.deploy", key=key) if key else url_for("studio.deploy_new"),
        },
    }
    built = Path(current_app.static_folder or "", "build", "studio.js").is_file()
    return render_template("studio/studio.html", base=base, key=key, draft=draft, data=data, built=built)


@bp.get("/<key>/studio")
@allow(Permission.DEPLOY_DEFINITION)
def edit(key: str) -> Any:
    if _latest(key) is None:
        abort(404)
    return _page(key)


@bp.get("/studio/new")
@allow(Permission.DEPLOY_DEFINITION)
def new() -> Any:
    return _page(NEW_PROCESS)


def _save_draft(key: str) -> Any:
    def view() -> Any:
        data = _body()
        xml = _xml(data)
        base = _latest(key)
        draft = platform().drafts.save(actor().username, key, xml, base.version if base is not None else None)
        commit()
        return {"saved_at": local_time(draft.updated_at, seconds=True)}

    return _answer(view)


@bp.post("/<key>/studio/draft")
@allow(Permission.DEPLOY_DEFINITION)
def save_draft(key: str) -> Any:
    if _latest(key) is None:
        abort(404)
    return _save_draft(key)


@bp.post("/studio/new/draft")
@allow(Permission.DEPLOY_DEFINITION)
def save_new_draft() -> Any:
    return _save_draft(NEW_PROCESS)


def _discard(key: str) -> Any:
    """Forget the owner's draft: the studio opens the latest version again (or an empty diagram)."""
    platform().drafts.discard(actor().username, key)
    commit()
    ok(_("草稿已放弃。"))
    return redirect(url_for("studio.edit", key=key) if key else url_for("studio.new"))


@bp.post("/<key>/studio/discard")
@allow(Permission.DEPLOY_DEFINITION)
def discard(key: str) -> Any:
    if _latest(key) is None:
        abort(404)
    return _discard(key)


@bp.post("/studio/new/discard")
@allow(Permission.DEPLOY_DEFINITION)
def discard_new() -> Any:
    return _discard(NEW_PROCESS)


def _check_view(key: str) -> Any:
    def view() -> Any:
        problems, notices, _found = _check(key, _xml(_body()))
        return {"problems": problems, "notices": notices}

    return _answer(view)


@bp.post("/<key>/studio/check")
@allow(Permission.DEPLOY_DEFINITION)
def check(key: str) -> Any:
    if _latest(key) is None:
        abort(404)
    return _check_view(key)


@bp.post("/studio/new/check")
@allow(Permission.DEPLOY_DEFINITION)
def check_new() -> Any:
    return _check_view(NEW_PROCESS)


def _deploy(key: str) -> Any:
    def view() -> Any:
        data = _body()
        xml = _xml(data)
        note = _text(data, "note").strip()
        if not note:
            raise Refused(_("请填写变更说明：这一版改了什么、为什么改。"), 422)
        if len(note) > NOTE_MAX:
            raise Refused(_("变更说明最多 %(count)d 个字。", count=NOTE_MAX), 422)
        problems, _notices, found = _check(key, xml)
        if problems:
            raise Refused(_("未部署：流程图还有 %(count)d 个问题。", count=len(problems)), 422, problems)
        files, options = _bundle(key, xml, filename=f"{found}.bpmn")
        p = platform()
        owner = actor().username
        try:
            result = p.definitions.deploy(files, options=options, actor=owner, note=note)
        except DeployRefused as refused:  # the checks just passed; the same checks run again at deploy
            shown = [_shown(problem) for problem in refused.problems]
            raise Refused(_("未部署：流程图还有 %(count)d 个问题。", count=len(shown)), 422, shown) from None
        name = result.definition.name if result.definition is not None else result.key
        if result.created:
            p.drafts.discard(owner, key)
            commit()
            ok(
                _(
                    "已部署「%(name)s」第 %(version)d 版。新发起的请求使用此版本，进行中的请求保持原版本。",
                    name=name,
                    version=result.version,
                )
            )
        else:
            raise Refused(_("流程图与第 %(version)d 版相同，未部署新版本。", version=result.version), 409)
        return {"url": url_for("processes.version", key=result.key, version=result.version)}

    return _answer(view)


@bp.post("/<key>/studio/deploy")
@allow(Permission.DEPLOY_DEFINITION)
def deploy(key: str) -> Any:
    if _latest(key) is None:
        abort(404)
    return _deploy(key)


@bp.post("/studio/new/deploy")
@allow(Permission.DEPLOY_DEFINITION)
def deploy_new() -> Any:
    return _deploy(NEW_PROCESS)


@bp.post("/<key>/<int:version>/rollback")
@allow(Permission.DEPLOY_DEFINITION)
def rollback(key: str, version: int) -> Any:
    """Deploy version `version`'s files again as a new version, noted "回滚到第N版"."""
    p = platform()
    try:
        definition = p.definitions.get(key, version)
    except NotFound:
        abort(404)
    try:
        result = p.definitions.roll_back(definition, actor=actor().username, note=f"回滚到第{version}版")
    except DeployRefused as refused:  # the version no longer passes today's checks (a department removed)
        problem(_("第 %(version)d 版未能重新部署：", version=version))
        for found in refused.problems:
            problem(_shown(found)["message"])
        return redirect(url_for("processes.version", key=key, version=version))
    if result.created:
        commit()
        ok(_("已回滚：第 %(new)d 版与第 %(old)d 版相同。", new=result.version, old=version))
    else:
        ok(_("最新的第 %(new)d 版已与第 %(old)d 版相同，未部署新版本。", new=result.version, old=version))
    return redirect(url_for("processes.version", key=result.key, version=result.version))
