"""Deploy-time validation of BPMN files: every problem at once, each with its line and element id.

`validate_bpmn` never raises. It returns `(definition, [])` for a deployable file, and otherwise every problem
it found, with a partial definition when the executable process could be identified. It checks, in order:

1. The file: empty, not UTF-8 (the runtime stores it as UTF-8 text), DOCTYPE or entity declarations (refused
   outright: no billion laughs), malformed XML, a root other than bpmn:definitions, duplicate ids of BPMN
   elements, and exactly one executable process (isExecutable="true", or the only process of the file, which
   must then not say isExecutable="false": SpiffWorkflow refuses to run it) among the processes no call
   activity calls; the routing options. A called process is checked too, whatever its isExecutable says
   (engine.bundle rewrites it for SpiffWorkflow); `Scope` says what the other files of a deploy give this one.
2. The executable process and its embedded subprocesses (`engine.bpmn_checks`): unsupported elements and event
   definitions, start and end events, dangling sequence flows, implicit splits, gateway conditions, scripts,
   conditions, loop and timer expressions (Python, checked with `engine.safety.problems_in`; JUEL translated
   first by `engine.juel`, cron cycles checked by `engine.cron`).
3. Human tasks (`engine.bpmn_tasks`, whose docstring has the rules): forms, departments, candidateGroups,
   assignee, priority and due date, in the Spiff and the Camunda 7 / Activiti / Flowable dialects.
4. SpiffWorkflow's own parser (the one the runtime uses), given the file as the runtime gives it
   (`engine.bpmn_xml.for_spiff`), whose first error becomes a problem unless it is about an element already
   reported.

What it translates (JUEL, cron and literal ISO timer texts) is kept in the definition's `expressions` and
put in place of the drawn text whenever the version is compiled; what it accepts but the deployer should
know (an element nothing flows into, a data store, an element the engine ignores) is in its `notices`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn_checks import ProcessChecker, check_document_expressions
from engine.bpmn_forms import start_form_data
from engine.bpmn_meta import (
    BoundaryTimerMeta,
    DeployOptions,
    HumanTaskMeta,
    ParsedDefinition,
    Problem,
    ProcessProperties,
    TimerKind,
    TimerStart,
)
from engine.bpmn_process import read_properties
from engine.bpmn_tasks import Context
from engine.bpmn_xml import (
    BPMN_NS,
    Document,
    Element,
    Reporter,
    bpmn,
    for_spiff,
    local_name,
    name_unnamed_flows,
    safe_parser,
)
from engine.bundle_files import base_name, called_elements, processes_of, runnable

__all__ = [
    "DeployOptions",
    "HumanTaskMeta",
    "ParsedDefinition",
    "Problem",
    "TimerKind",
    "TimerStart",
    "validate_bpmn",
]

_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY")
# What the definition, instance and inbox rows can hold (ids and names are stored with every task).
MAX_NAME_LENGTH = 200
MAX_FILENAME_LENGTH = 255
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def validate_bpmn(
    content: bytes,
    filename: str,
    *,
    departments: Mapping[str, str],
    form_exists: Callable[[str], bool],
    functions: Collection[str] = (),
    options: DeployOptions | None = None,
    user_exists: Callable[[str], bool] | None = None,
) -> tuple[ParsedDefinition | None, list[Problem]]:
    """Check a BPMN file for deployment.

    `departments` maps department codes and names to codes; `form_exists` tells whether a form key is known;
    `functions` are the registry names scripts and expressions may call besides the safe builtins;
    `options` is the routing the person deploying gave (default department, lane mapping); `user_exists`
    tells whether a literal assignee is a username (None: not checked). What is accepted but worth knowing
    comes back as the definition's `notices`.

    Routing of a user or manual task (details in `engine.bpmn_tasks`): candidateGroups "${expr}" is an
    expression; anything else names one group or a comma list of them, each a department (code or name, any
    case) or mapped to one by `options.lanes`, else a problem. Without candidateGroups the task goes to its
    lane's department (mapped by `options.lanes`, or a department's code or name), else to
    `options.default_department`; a task none of these routes is a problem.
    """
    report = Reporter(filename)
    definition: ParsedDefinition | None = None
    shown = filename.rsplit("/", 1)[-1]
    if len(shown) > MAX_FILENAME_LENGTH:
        report.add(f"the file name is {len(shown)} characters long: at most {MAX_FILENAME_LENGTH}")
    try:
        if isinstance(content, str):  # tolerate callers that already decoded the file
            content = content.encode("utf-8")
        options = options or DeployOptions()
        check = _validate(content, report, departments, form_exists, functions, options, user_exists)
        if check is not None and check.chosen is not None:
            spiff_problems([(content, report, check.ctx.rewrites)], [], check.chosen.get("id"), report)
            notices = sorted(report.notices, key=lambda notice: notice.line or 0)
            definition = parsed_definition(check, [check], options, notices)
    except Exception as exc:  # any input must give problems, never a traceback
        report.add(
            f"internal error while validating ({type(exc).__name__}: {exc}); please report this diagram"
        )
    problems = sorted(report.problems, key=lambda problem: problem.line or 0)
    return definition, problems


@dataclass(frozen=True)
class Scope:
    """What the rest of a deploy gives one BPMN file (engine.bundle); the default is a file deployed alone."""

    main: bool = True  # the file holds the process the deploy is a version of
    processes: frozenset[str] = frozenset()  # process ids of the other BPMN files
    called: frozenset[str] = frozenset()  # processes some call activity of the deploy calls
    decisions: frozenset[str] = frozenset()  # decision ids of the deploy's DMN files
    files: frozenset[str] = frozenset()  # every file name of the deploy


@dataclass
class FileCheck:
    """One BPMN file checked: its document, the main process (when it holds it) and what the checks found."""

    content: bytes
    doc: Document
    chosen: Element | None
    checker: ProcessChecker
    ctx: Context
    properties: ProcessProperties | None = None  # the main process's (engine.bpmn_process)


def _validate(
    content: bytes,
    report: Reporter,
    departments: Mapping[str, str],
    form_exists: Callable[[str], bool],
    functions: Collection[str],
    options: DeployOptions,
    user_exists: Callable[[str], bool] | None = None,
    scope: Scope | None = None,
) -> FileCheck | None:
    scope = scope or Scope()
    root = _parse(content, report)
    if root is None:
        return None
    unnamed = name_unnamed_flows(root)
    doc = Document(root, content.decode("utf-8"))
    report.doc = doc
    if unnamed:
        report.notice(
            f"{len(unnamed)} sequence flow(s) have no id: named {unnamed[0].get('id')} and on, in the order "
            "drawn",
            unnamed[0],
        )
    for element_id, el in doc.duplicate_ids:
        report.add(f"id '{element_id}' is used by more than one element", el)
    for el in root.iter():
        if not isinstance(el.tag, str):  # comments and processing instructions
            continue
        for attribute in ("id", "name"):
            value = el.get(attribute)
            if value is not None and len(value) > MAX_NAME_LENGTH:
                report.add(
                    f"the {attribute} is {len(value)} characters long: at most {MAX_NAME_LENGTH}",
                    el,
                    element_id=(el.get("id") or "")[:60] or None,
                )

    processes = processes_of(root)
    called = scope.called | called_elements(root)
    # A process a call activity calls is not the one the deploy starts, whatever its isExecutable says.
    candidates = [process for process in processes if process.get("id") not in called] or processes
    executable = [process for process in candidates if process.get("isExecutable") == "true"]
    chosen: Element | None = None
    if not scope.main:
        pass
    elif not processes:
        report.add("the file has no process", root)
    elif len(candidates) == 1:
        chosen = candidates[0]
        if chosen.get("isExecutable") == "false":
            report.add(
                'the process is marked isExecutable="false": make it executable in the modeler', chosen
            )
    elif len(executable) == 1:
        chosen = executable[0]
    elif not executable:
        report.add('no executable process: mark the process to deploy isExecutable="true"', candidates[0])
    else:
        names = ", ".join(str(process.get("id")) for process in executable)
        for process in executable[1:]:
            report.add(f"more than one executable process ({names}): a file deploys exactly one", process)

    ctx = Context(
        report,
        doc,
        departments,
        form_exists,
        functions,
        options,
        user_exists,
        processes=scope.processes,
        decisions=scope.decisions,
        files=scope.files,
    )
    if scope.main:
        for message in ctx.routes.unknown_in(options):
            report.add(message)
    for store in root.iter(bpmn("dataStore")):
        report.notice(
            f"data store '{store.get('name') or store.get('id')}' is documentation only: nothing reads or "
            "writes it",
            store,
        )
    checker = ProcessChecker(ctx)
    checked = [chosen] if chosen is not None else (executable if scope.main else [])
    checked += [p for p in processes if p.get("id") in called and p not in checked]
    for process in checked:
        checker.check(process)
    check_document_expressions(ctx)

    if chosen is not None and not chosen.get("id"):
        report.add("the process has no id", chosen)
        chosen = None
    properties = None
    if chosen is not None:
        properties = read_properties(
            chosen, report, departments=departments, functions=functions, form_exists=form_exists
        )
        if properties.start_form is None:
            drawn = start_form_data(ctx, chosen)
            if drawn is not None:
                properties = replace(properties, start_form=drawn)
    return FileCheck(content, doc, chosen, checker, ctx, properties)


def parsed_definition(
    main: FileCheck, checks: Collection[FileCheck], options: DeployOptions, notices: Collection[Problem]
) -> ParsedDefinition:
    """The version's metadata: the main process, with the human tasks and timers of every checked file."""
    assert main.chosen is not None
    tasks: dict[str, HumanTaskMeta] = {}
    boundary_timers: dict[str, BoundaryTimerMeta] = {}
    forms: dict[str, dict[str, object]] = {}
    expressions: dict[str, str] = {}
    for check in checks:
        expressions.update(check.ctx.rewrites)
        tasks.update(check.checker.tasks)
        boundary_timers.update(check.checker.boundary_timers)
        forms.update(check.ctx.forms)
    key = main.chosen.get("id")
    return ParsedDefinition(
        key=key,
        name=main.chosen.get("name") or key,
        tasks=tasks,
        timer_starts=tuple(main.checker.timer_starts),
        boundary_timers=boundary_timers,
        options=options,
        notices=tuple(notices),
        forms=forms,
        properties=main.properties or ProcessProperties(),
        expressions=expressions,
    )


def _parse(content: bytes, report: Reporter) -> Element | None:
    """The document root, or None after reporting why the file is not a BPMN document."""
    if not content.strip():
        report.add("the file is empty")
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add(
            "the file is not UTF-8 encoded: save it as UTF-8", line=content[: exc.start].count(b"\n") + 1
        )
        return None
    declared = _DECLARED_ENCODING.match(content)
    if (
        declared
        and not content.isascii()
        and declared.group(1).decode().lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii")
    ):
        report.add(
            f'the XML declaration says encoding="{declared.group(1).decode()}": save the file as UTF-8 '
            'and declare encoding="UTF-8"',
            line=1,
        )
        return None
    dtd = _DTD.search(content)
    if dtd:
        report.add(
            "DOCTYPE and ENTITY declarations are not allowed in a BPMN file",
            line=content[: dtd.start()].count(b"\n") + 1,
        )
        return None
    try:
        root = etree.fromstring(content, safe_parser())
    except etree.XMLSyntaxError as exc:
        report.add(f"malformed XML: {exc.msg}", line=exc.lineno or None)
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        report.add("DOCTYPE and ENTITY declarations are not allowed in a BPMN file", line=1)
        return None
    if local_name(root) != "definitions":
        report.add(
            f"not a BPMN file: the root element is {root.tag}, expected definitions in namespace {BPMN_NS}",
            line=root.sourceline,
        )
        return None
    return root


def spiff_problems(
    bpmn_files: list[tuple[bytes, Reporter, dict[str, str]]],
    dmn_files: list[tuple[Element, str]],
    key: str,
    main_report: Reporter,
) -> None:
    """Run SpiffWorkflow's parser over every file the way the runtime does, reporting its error (to the file
    it names) unless already covered."""
    reports = {report.filename: report for _, report, _ in bpmn_files}
    roots = []
    called: set[str] = set()
    for content, report, rewrites in bpmn_files:
        root = for_spiff(etree.fromstring(content, safe_parser()), rewrites)
        called |= called_elements(root)
        roots.append((root, report.filename))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. its DeprecationWarning about where messagePayload lives
            parser = SpiffBpmnParser()
            for root, filename in roots:
                parser.add_bpmn_xml(runnable(root, called), filename)
            for root, filename in dmn_files:
                parser.add_dmn_xml(root, filename)
            parser.get_spec(key)
            parser.get_subprocess_specs(key)
    except ValidationException as exc:
        report = reports.get(base_name(str(exc.file_name or "")), main_report)
        _spiff_error(exc, report)
    except Exception as exc:
        main_report.add(f"SpiffWorkflow could not parse the diagram: {type(exc).__name__}: {exc}")


def _spiff_error(exc: ValidationException, report: Reporter) -> None:
    doc = report.doc
    mine = report.reported_ids()
    # SpiffWorkflow blames a dangling or conditionless flow's source; these checks blame the flow itself.
    covered = mine | {
        doc.by_id[element_id].get("sourceRef")
        for element_id in mine
        if doc is not None and element_id in doc.by_id and local_name(doc.by_id[element_id]) == "sequenceFlow"
    }
    element_id = exc.id or None
    if element_id in covered:
        return
    message = str(exc.args[0]) if exc.args else str(exc)
    if element_id is None and _mentioned(message, report.problems):
        return
    line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number else None
    report.add(
        f"SpiffWorkflow: {message}",
        element_id=element_id,
        line=line or (doc.line_of_id(element_id) if doc is not None else None),
    )


def _mentioned(message: str, problems: list[Problem]) -> bool:
    """Whether an element-less SpiffWorkflow error repeats a problem: same text, or the same 'quoted name'."""
    names = [f"'{name}'" for name in re.findall(r"'([^']+)'", message)]
    return any(
        problem.message.endswith(message) or any(name in problem.message for name in names)
        for problem in problems
    )
