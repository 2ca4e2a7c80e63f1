"""The process owners' studio: draw a process in the browser (the bpmn-js modeler bundled from
webapp/static_src), keep a draft per owner and process, check it with the deploy checks as it is drawn, and
deploy it with a change note through the same path as an upload. Rolling back deploys an earlier version's
files again as a new version.

The forms (form-js, Camunda Forms JSON) and decision tables (dmn-js) edited in the studio are saved with the
draft: its file replaces the latest version's file of the same name, or is added, when the draft is checked
and deployed."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import select

from crm.policy import Permission
from engine.bpmn_meta import DeployOptions, Problem
from engine.bpmn_xml import safe_parser
from engine.bundle_files import MAX_FILE_BYTES, dmn_decisions, is_dmn, kind_of
from engine.drafts import NEW_PROCESS
from engine.errors import DeployRefused, NotFound
from engine.models import ProcessDefinition, ProcessDraft
from forms import FormError, read_form_file
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, is_english, label, local_time, translate
from webapp.pages.common import actor, commit, ok, problem
from webapp.pages.process_outline import answers

bp = Blueprint("studio", __name__, url_prefix="/processes")

NOTE_MAX = 2000
FILENAME_MAX = 120
FILENAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

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
        re.compile(r"^business rule task names no decision"),
        N_("没有指定决策表：请在右侧「决策」中选择决策表，或新建决策表"),
    ),
    (
        re.compile(r"^business rule task runs decision '(?P<decision>.+)', which is in none of the deployed"),
        N_("没有编号为「%(decision)s」的决策：请在右侧「决策」中选择决策表，或新建决策表"),
    ),
    (
        re.compile(r"^form '(?P<form>.+)' does not exist: deploy its file with the diagram"),
        N_("没有键名为「%(form)s」的表单：请在右侧「办理」中选择表单，或新建表单"),
    ),
    (
        re.compile(r"^the process property startableBy names '(?P<name>.+)', which is not a department"),
        N_("「谁可以发起」中的「%(name)s」不是部门：请选中流程，在右侧「发起」中重新勾选部门"),
    ),
    (
        re.compile(r"^the process property startableBy is empty"),
        N_("「谁可以发起」是空的：请选中流程，在右侧「发起」中勾选部门，或都不勾选让所有员工发起"),
    ),
    (
        re.compile(r"^the start event's form '(?P<form>.+)' does not exist"),
        N_("没有键名为「%(form)s」的发起表单：请在右侧「发起」中选择发起表单，或新建表单"),
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
        message = _in_words(problem.message)
        kind = kind_of(problem.file or "")
        if problem.element_id is None and kind in ("form", "dmn"):
            what = _("表单") if kind == "form" else _("决策表")
            message = _("%(what)s「%(file)s」：%(message)s", what=what, file=problem.file, message=message)
        return {"element_id": problem.element_id, "line": problem.line, "message": message}
    return {"element_id": None, "line": None, "message": _in_words(str(problem))}


def _draft_files(key: str) -> list[tuple[str, bytes]]:
    """The forms and decision tables saved in the signed-in owner's draft of `key`."""
    drafts = platform().drafts
    return [(f.filename, f.content.encode("utf-8")) for f in drafts.files(drafts.get(actor().username, key))]


def _bundle(key: str, xml: str, filename: str | None = None) -> tuple[list[tuple[str, bytes]], DeployOptions]:
    """The files and routing a deploy from the studio takes: the drawn diagram in place of the latest
    version's main file, with the latest version's other files (its forms, tables, called processes) and
    routing options; a form or table saved in the draft replaces the version's file of its name, or is
    added."""
    base = _latest(key)
    drafted = _draft_files(key)
    if base is None:
        return [(filename or "process.bpmn", xml.encode("utf-8")), *drafted], DeployOptions()
    definitions = platform().definitions
    companions = dict(definitions.deployed_files(base)[1:])
    companions.update(drafted)
    options = DeployOptions.from_json((base.meta or {}).get("options"))
    return [(base.filename, xml.encode("utf-8")), *companions.items()], options


def _companions(key: str, draft: ProcessDraft | None) -> dict[str, tuple[str, bytes, str]]:
    """The process's forms and decision tables by file name: (kind, content, "version" | "draft" | "new"),
    "new" for a file of the draft the latest version does not have."""
    found: dict[str, tuple[str, bytes, str]] = {}
    base = _latest(key)
    if base is not None:
        for name, content in platform().definitions.deployed_files(base)[1:]:
            kind = kind_of(name)
            if kind in ("form", "dmn"):
                found[name] = (kind, content, "version")
    for item in platform().drafts.files(draft):
        source = "draft" if item.filename in found else "new"
        found[item.filename] = (item.kind, item.content.encode("utf-8"), source)
    return found


def _file_list(key: str, draft: ProcessDraft | None) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """What the studio lists of the process's files (forms Lintel edits with form-js, i.e. Camunda Forms,
    and DMN tables), and the form keys the draft's own forms add to the panel's choice of forms."""
    files: list[dict[str, Any]] = []
    forms: list[tuple[str, str]] = []
    for name, (kind, content, source) in sorted(_companions(key, draft).items()):
        item: dict[str, Any] = {"filename": name, "kind": kind, "source": source, "title": name, "keys": []}
        if kind == "form":
            try:
                raw = json.loads(content.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                raw = None
            if not isinstance(raw, dict) or not isinstance(raw.get("components"), list):
                continue  # Lintel's own or JSON Schema forms: not form-js's to edit
            form_id = raw.get("id") if isinstance(raw.get("id"), str) else ""
            item["keys"] = [k for k in dict.fromkeys([form_id, name.rsplit(".", 1)[0]]) if k]
            try:
                form = next(iter(read_form_file(name, content).forms.values()))
                item["title"] = form.title
            except (FormError, StopIteration):
                item["title"] = str(raw.get("name") or name)
            if source != "version":
                forms.extend((k, str(item["title"])) for k in item["keys"][:1])
        else:
            try:
                root = etree.fromstring(content, safe_parser())
            except etree.XMLSyntaxError:
                root = None
            if root is not None and is_dmn(root):
                decisions = dmn_decisions(root)
                item["keys"] = [str(d.get("id")) for d in decisions if d.get("id")]
                names = [str(d.get("name") or d.get("id")) for d in decisions]
                item["title"] = "、".join(names) or name
        files.append(item)
    return files, forms


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
            for words, value in answers(field):
                shown = _("%(field)s为「%(answer)s」", field=label(field), answer=words)
                literal = repr(value) if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)
                options.append((shown, f"{field.name} == {literal}"))
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
    files, drafted_forms = _file_list(key, draft)
    choices = dict(sorted(((k, label(forms.get(k), "title")) for k in forms), key=lambda f: f[1]))
    choices.update(drafted_forms)
    data = {
        "key": key,
        "english": is_english(),
        "keyFixed": base is not None,
        "baseVersion": base.version if base is not None else None,
        "xml": xml,
        "draftSavedAt": local_time(draft.updated_at) if draft is not None else None,
        "departments": p.directory.department_choices(),
        "forms": sorted(choices.items(), key=lambda f: f[1]),
        "files": files,
        "outcomes": _outcomes(forms),
        "urls": {
            "files": url_for("studio.save_file", key=key) if key else url_for("studio.save_new_file"),
            "draft": url_for("studio.save_draft", key=key) if key else url_for("studio.save_new_draft"),
            "check": url_for("studio.check", key=key) if key else url_for("studio.check_new"),
            "deploy": url_for("studio.deploy", key=key) if key else url_for("studio.deploy_new"),
        },
    }
    built = all(
        Path(current_app.static_folder or "", "build", name).is_file() for name in ("studio.js", "editors.js")
    )
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


def _companion(data: dict[str, Any], known: Collection[str]) -> tuple[str, str, str]:
    """(file name, kind, content) of a form or decision table sent from the studio's editors. What cannot
    be read at all (not JSON, not DMN XML) is refused here; what the deploy checks refuse (a component
    Lintel has no field for, a Python expression with a typo) is kept in the draft and marked by the
    checks. A new file's name is plain; one of the process's files keeps the name it has."""
    filename = _text(data, "filename").strip()
    kind = kind_of(filename)
    plain = filename in known or (FILENAME.match(filename) and len(filename) <= FILENAME_MAX)
    if kind not in ("form", "dmn") or not plain:
        raise Refused(
            _(
                "文件名「%(name)s」不可用：表单以 .form 结尾、决策表以 .dmn 结尾，"
                "只用字母、数字、下划线、点和连字符。",
                name=filename,
            ),
            422,
        )
    content = _text(data, "content")
    if len(content.encode("utf-8")) > MAX_FILE_BYTES:
        raise Refused(_("文件超过 %(size)d MB。", size=MAX_FILE_BYTES // (1024 * 1024)), 413)
    if kind == "form":
        try:
            raw = json.loads(content)
        except json.JSONDecodeError as exc:
            raise Refused(
                _(
                    "表单不是有效的 JSON（第 %(line)d 行第 %(column)d 列），未保存。",
                    line=exc.lineno,
                    column=exc.colno,
                ),
                422,
            ) from None
        except RecursionError:
            raise Refused(_("表单嵌套过深，未保存。"), 422) from None
        if not isinstance(raw, dict) or not isinstance(raw.get("components"), list):
            raise Refused(_("这不是表单编辑器的表单（缺少 components 列表），未保存。"), 422)
    else:
        try:
            root = etree.fromstring(content.encode("utf-8"), safe_parser())
        except etree.XMLSyntaxError as exc:
            line = exc.lineno or 1
            raise Refused(_("决策表不是有效的 XML（第 %(line)d 行），未保存。", line=line), 422) from None
        if root.getroottree().docinfo.doctype:
            raise Refused(_("决策表中不能有 DOCTYPE 声明，未保存。"), 422)
        if not is_dmn(root):
            raise Refused(_("这不是 DMN 决策表文件，未保存。"), 422)
    return filename, kind, content


def _save_file(key: str) -> Any:
    def view() -> Any:
        data = _body()
        xml = _xml(data)
        base = _latest(key)
        owner = actor().username
        drafts = platform().drafts
        filename, kind, content = _companion(data, _companions(key, drafts.get(owner, key)))
        found = drafts.save_file(
            owner,
            key,
            xml,
            base.version if base is not None else None,
            filename=filename,
            kind=kind,
            content=content,
        )
        commit()
        files, forms = _file_list(key, drafts.get(owner, key))
        return {"saved_at": local_time(found.updated_at, seconds=True), "files": files, "forms": forms}

    return _answer(view)


@bp.post("/<key>/studio/files")
@allow(Permission.DEPLOY_DEFINITION)
def save_file(key: str) -> Any:
    if _latest(key) is None:
        abort(404)
    return _save_file(key)


@bp.post("/studio/new/files")
@allow(Permission.DEPLOY_DEFINITION)
def save_new_file() -> Any:
    return _save_file(NEW_PROCESS)


def _open_file(key: str, filename: str) -> Any:
    found = _companions(key, platform().drafts.get(actor().username, key)).get(filename)
    if found is None:
        return jsonify({"message": _("没有名为「%(name)s」的表单或决策表。", name=filename)}), 404
    kind, content, source = found
    return {"filename": filename, "kind": kind, "source": source, "content": content.decode("utf-8-sig")}


@bp.get("/<key>/studio/files/<filename>")
@allow(Permission.DEPLOY_DEFINITION)
def open_file(key: str, filename: str) -> Any:
    if _latest(key) is None:
        abort(404)
    return _open_file(key, filename)


@bp.get("/studio/new/files/<filename>")
@allow(Permission.DEPLOY_DEFINITION)
def open_new_file(filename: str) -> Any:
    return _open_file(NEW_PROCESS, filename)


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
