"""Checking a deploy as a bundle: the main BPMN file with its companions.

A deploy takes BPMN files (the main diagram and the processes its call activities reach), DMN files (the
decision tables its business rule tasks run) and form files. The main file is the one whose process no call
activity of another file calls; several such files are refused (deploy them separately), none (the files
call each other) takes the first given. Every BPMN file is checked like a file deployed alone, except that
only the main process must be executable and a call activity may call a process of another file; the
human tasks of called processes route like the main one's. Element ids must be unique per file; the ids of
human tasks and timers, which the version's task data is keyed by, across the files too.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn_meta import DeployOptions, ParsedDefinition, Problem
from engine.bpmn_xml import Element, Reporter, safe_parser
from engine.bundle_files import (
    MAX_BUNDLE_BYTES,
    MAX_FILE_BYTES,
    MAX_FILES,
    BundleFile,
    base_name,
    called_elements,
    dmn_decisions,
    is_dmn,
    kind_of,
    processes_of,
    single_decisions,
    unknown_type_message,
)
from engine.safety import problems_in
from engine.validation import (
    MAX_FILENAME_LENGTH,
    FileCheck,
    Scope,
    _parse,
    _validate,
    parsed_definition,
    spiff_problems,
)

FormKeys = Callable[[str, bytes], Collection[str]]
"""The form keys a form file gives (a JSON-schema or UI-schema file: its file name); raises ValueError with
the reason when the file is not a form Lintel reads."""


@dataclass(frozen=True)
class CheckedBundle:
    parsed: ParsedDefinition
    files: tuple[BundleFile, ...]  # the main BPMN file first


def check_bundle(
    files: Sequence[tuple[str, bytes]],
    *,
    departments: Mapping[str, str],
    form_exists: Callable[[str], bool],
    functions: Collection[str],
    options: DeployOptions | None = None,
    form_keys: FormKeys | None = None,
    user_exists: Callable[[str], bool] | None = None,
) -> tuple[CheckedBundle | None, list[Problem]]:
    """Check every file of a deploy; never raises. Returns the bundle when nothing is wrong."""
    options = options or DeployOptions()
    problems: list[Problem] = []

    def refuse(filename: str, message: str) -> None:
        problems.append(Problem(filename, None, None, message))

    typed = _typed(files, refuse)
    if problems:
        return None, problems
    keys: set[str] = set()
    for item in typed:
        if item.kind == "form":
            try:
                keys.update(form_keys(item.filename, item.content) if form_keys else ())
            except ValueError as exc:
                refuse(item.filename, str(exc))
    dmn_roots, decisions = _decisions(typed, functions, problems)
    bpmn_files = [item for item in typed if item.kind == "bpmn"]
    if not bpmn_files:
        refuse(typed[0].filename if typed else "", "a deploy needs a BPMN diagram (.bpmn)")
        return None, problems

    reports = {item.filename: Reporter(item.filename) for item in bpmn_files}
    roots: dict[str, Element] = {}
    for item in bpmn_files:
        root = _parse(item.content, Reporter(item.filename))  # its problems come again from _validate
        if root is not None:
            roots[item.filename] = root
    calls = {name: called_elements(root) for name, root in roots.items()}
    owned = {name: {str(p.get("id")) for p in processes_of(root)} for name, root in roots.items()}
    called = frozenset().union(*calls.values()) if calls else frozenset()
    main = _main_file(bpmn_files, roots, calls, problems)

    names = frozenset(item.filename for item in typed)
    checks: dict[str, FileCheck] = {}
    for item in bpmn_files:
        others = frozenset().union(*(ids for name, ids in owned.items() if name != item.filename))
        scope = Scope(item.filename == main, others, called, frozenset(decisions), names)
        check = _validate(
            item.content,
            reports[item.filename],
            departments,
            lambda key: key in keys or form_exists(key),
            functions,
            options,
            user_exists,
            scope,
        )
        if check is not None:
            checks[item.filename] = check
    _collisions(checks, reports)

    main_check = checks.get(main or "")
    parsed: ParsedDefinition | None = None
    if main_check is not None and main_check.chosen is not None and main is not None:
        ordered = [reports[main]] + [r for name, r in reports.items() if name != main]
        spiff_problems(
            [
                (checks[r.filename].content, r, checks[r.filename].ctx.rewrites)
                for r in ordered
                if r.filename in checks
            ],
            dmn_roots,
            str(main_check.chosen.get("id")),
            reports[main],
        )
        notices = [n for r in ordered for n in sorted(r.notices, key=lambda n: n.line or 0)]
        parsed = parsed_definition(main_check, list(checks.values()), options, notices)
    for report in reports.values():
        problems.extend(sorted(report.problems, key=lambda p: p.line or 0))
    if problems or parsed is None or main is None:
        return None, problems
    ordered_files = sorted(
        (BundleFile(i.filename, i.content, i.kind, i.filename == main) for i in typed),
        key=lambda f: not f.main,
    )
    return CheckedBundle(parsed, tuple(ordered_files)), []


def _typed(files: Sequence[tuple[str, bytes]], refuse: Callable[[str, str], None]) -> list[BundleFile]:
    typed: list[BundleFile] = []
    if not files:
        refuse("", "nothing to deploy: give a BPMN diagram")
    if len(files) > MAX_FILES:
        refuse("", f"{len(files)} files: a deploy takes at most {MAX_FILES}")
    total = sum(len(content) for _, content in files)
    if total > MAX_BUNDLE_BYTES:
        refuse("", f"the files hold {total} bytes together: at most {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB")
    seen: set[str] = set()
    for filename, content in files:
        name = base_name(filename)
        kind = kind_of(name)
        if kind is None:
            refuse(name, unknown_type_message(name))
            continue
        if name in seen:
            refuse(name, f"{name} is given twice: file names must be unique in one deploy")
        seen.add(name)
        if len(name) > MAX_FILENAME_LENGTH:
            refuse(name, f"the file name is {len(name)} characters long: at most {MAX_FILENAME_LENGTH}")
        if len(content) > MAX_FILE_BYTES:
            refuse(
                name, f"the file holds {len(content)} bytes: at most {MAX_FILE_BYTES // (1024 * 1024)} MiB"
            )
        if not content.strip():
            refuse(name, "the file is empty")
        typed.append(BundleFile(name, content, kind))
    return typed


def _main_file(
    bpmn_files: list[BundleFile],
    roots: Mapping[str, Element],
    calls: Mapping[str, set[str]],
    problems: list[Problem],
) -> str | None:
    """The file whose executable process no other file's call activity calls (see the module docstring)."""
    candidates: list[tuple[str, str]] = []
    for item in bpmn_files:
        root = roots.get(item.filename)
        if root is None:
            continue
        from_others = set().union(*(ids for name, ids in calls.items() if name != item.filename))
        mains = [
            str(p.get("id"))
            for p in processes_of(root)
            if p.get("id") not in from_others and p.get("isExecutable") != "false"
        ]
        if mains:
            candidates.append((item.filename, mains[0]))
    if len(candidates) > 1:
        listed = ", ".join(f"{name} (process {process})" for name, process in candidates)
        for name, _ in candidates:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"more than one main diagram: {listed}; a deploy is one process with the files its call "
                    "activities call: deploy the others separately",
                )
            )
        return None
    if candidates:
        return candidates[0][0]
    return bpmn_files[0].filename if bpmn_files else None


def _collisions(checks: Mapping[str, FileCheck], reports: Mapping[str, Reporter]) -> None:
    """Human task and timer ids key the version's task data: two files may not both use one."""
    seen: dict[str, str] = {}
    for name, check in checks.items():
        for element_id in [*check.checker.tasks, *check.checker.boundary_timers]:
            first = seen.setdefault(element_id, name)
            if first != name:
                reports[name].add(
                    f"id '{element_id}' is also used in {first}: the ids of tasks and timers must be unique "
                    "across the files of one deploy",
                    element_id=element_id,
                    line=check.doc.line_of_id(element_id),
                )


def _decisions(
    typed: list[BundleFile], functions: Collection[str], problems: list[Problem]
) -> tuple[list[tuple[Element, str]], set[str]]:
    """The DMN files as SpiffWorkflow reads them, and their decision ids; problems for what cannot run."""
    roots: list[tuple[Element, str]] = []
    decisions: set[str] = set()
    for item in typed:
        if item.kind != "dmn":
            continue
        before = len(problems)
        report = Reporter(item.filename)
        root = _parse_dmn(item, report)
        problems.extend(report.problems)
        if root is None:
            continue
        found = dmn_decisions(root)
        if not found:
            problems.append(Problem(item.filename, root.sourceline, None, "the DMN file has no decision"))
            continue
        singles = single_decisions(root)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parser = SpiffBpmnParser()
                for single in singles:
                    parser.add_dmn_xml(single, item.filename)
                for dmn_parser in parser.dmn_parsers.values():
                    dmn_parser.parse()
        except Exception as exc:
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            problems.append(
                Problem(item.filename, None, None, f"the decision table cannot be read: {message}")
            )
            continue
        _dmn_expressions(item.filename, root, functions, problems)
        if len(problems) == before:
            roots.extend((single, item.filename) for single in singles)
            decisions.update(str(decision.get("id")) for decision in found)
    return roots, decisions


def _parse_dmn(item: BundleFile, report: Reporter) -> Element | None:
    try:
        root = etree.fromstring(item.content, safe_parser())
    except etree.XMLSyntaxError as exc:
        report.add(f"malformed XML: {exc.msg}", line=exc.lineno or None)
        return None
    if root.getroottree().docinfo.doctype:
        report.add("DOCTYPE and ENTITY declarations are not allowed in a DMN file", line=1)
        return None
    if not is_dmn(root):
        report.add(f"not a DMN file: the root element is {root.tag}, expected a DMN definitions", line=1)
        return None
    return root


def _dmn_expressions(
    filename: str, root: Element, functions: Collection[str], problems: list[Problem]
) -> None:
    """Input expressions, input entries and output entries are Python, checked like any expression."""
    allowed = [*functions, "dmninputexpr"]
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.rpartition("}")[2] != "text":
            continue
        parent = el.getparent()
        what = parent.tag.rpartition("}")[2] if parent is not None else ""
        text = (el.text or "").strip()
        if what not in ("inputExpression", "inputEntry", "outputEntry") or not text or text == "-":
            continue
        owner = parent
        while owner is not None and owner.get("id") is None:
            owner = owner.getparent()
        source = text.replace("?", "dmninputexpr") if what == "inputEntry" else text
        found = problems_in(source, "eval", allowed)
        if what == "inputEntry" and any(m.startswith("Python syntax error") for m in found):
            found = problems_in(f"dmninputexpr {source}", "eval", allowed)  # "< 10", "in ('a', 'b')"
        feel_range = re.fullmatch(r"[\[\]( ]*([^.\[\]()]+)\.\.([^.\[\]()]+)[\[\]) ]*", text)
        if what == "inputEntry" and found and feel_range:
            low, high = feel_range.group(1).strip(), feel_range.group(2).strip()
            found = [f"FEEL ranges are not read: write it as Python, {low} <= ? <= {high}"]
        for message in found:
            problems.append(
                Problem(
                    filename,
                    el.sourceline,
                    owner.get("id") if owner is not None else None,
                    f"{what} '{text}': {message} (DMN expressions are Python: quote text, \"quality\")",
                )
            )
