"""Several deploys given at once (`lintel deploy a.bpmn b.bpmn sub.bpmn rules.dmn form.form`): which files go
with which main diagram, and the routing options as people type them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

from lxml import etree

from engine.bpmn_meta import DeployOptions
from engine.bpmn_tasks import camunda_form_key
from engine.bpmn_xml import SPIFF_NS, Element, bpmn, camunda, safe_parser
from engine.bundle_files import base_name, called_elements, dmn_decisions, kind_of, processes_of

Files = Sequence[tuple[str, bytes]]
FORM_PROPERTIES = ("formKey", "formJsonSchemaFilename", "formUiSchemaFilename")


class BadOption(ValueError):
    """A routing option that cannot be read; the message names it."""


def deploy_options(default_department: str | None, lanes: Iterable[str]) -> DeployOptions:
    """DeployOptions from what people type: `--default-department CODE`, `--lane "Name=code"` (repeatable)."""
    mapping: dict[str, str] = {}
    for text in lanes:
        for line in str(text).splitlines():
            if not line.strip():
                continue
            name, sep, code = line.partition("=")
            if not sep or not name.strip() or not code.strip():
                raise BadOption(
                    f"lane '{line.strip()}' is not written Name=code (e.g. \"Accounting=finance\")"
                )
            mapping[name.strip()] = code.strip()
    department = (default_department or "").strip() or None
    return DeployOptions(default_department=department, lanes=mapping)


def split_bundles(files: Files, form_keys: Callable[[str, bytes], Collection[str]] | None) -> list[list[int]]:
    """The files (by index) of each deploy: one when at most one file holds a process no other file calls;
    otherwise one per such main file, with the BPMN files its call activities reach and the DMN and form
    files those use. A file no diagram uses goes with the first deploy (where it is stored unused)."""
    roots: dict[int, Element] = {}
    for index, (name, content) in enumerate(files):
        if kind_of(name) in ("bpmn", "dmn"):
            try:
                roots[index] = etree.fromstring(content, safe_parser())
            except etree.XMLSyntaxError:
                continue
    bpmn_files = [i for i, (name, _) in enumerate(files) if kind_of(name) == "bpmn" and i in roots]
    calls = {i: called_elements(roots[i]) for i in bpmn_files}
    owner = {str(p.get("id")): i for i in bpmn_files for p in processes_of(roots[i])}
    mains = [
        i
        for i in bpmn_files
        if any(
            p.get("id") not in set().union(*(c for j, c in calls.items() if j != i))
            and p.get("isExecutable") != "false"
            for p in processes_of(roots[i])
        )
    ]
    if len(mains) <= 1:
        return [list(range(len(files)))]
    decisions = {
        str(d.get("id")): i
        for i, (name, _) in enumerate(files)
        if kind_of(name) == "dmn" and i in roots
        for d in dmn_decisions(roots[i])
    }
    keys: dict[str, set[int]] = {}
    for i, (name, content) in enumerate(files):
        if kind_of(name) != "form":
            continue
        keys.setdefault(base_name(name), set()).add(i)
        try:
            for key in form_keys(name, content) if form_keys else ():
                keys.setdefault(key, set()).add(i)
        except ValueError:
            continue
    groups: list[list[int]] = []
    used: set[int] = set()
    for main in mains:
        group = _reach(main, roots, calls, owner)
        for i in list(group):
            for ref in _decision_refs(roots[i]):
                if ref in decisions:
                    group.add(decisions[ref])
            for ref in _form_refs(roots[i]):
                group |= keys.get(ref, set())
        used |= group
        groups.append(sorted(group))
    leftovers = [i for i in range(len(files)) if i not in used]
    groups[0] = sorted(set(groups[0]) | set(leftovers))
    return groups


def _reach(
    main: int, roots: dict[int, Element], calls: dict[int, set[str]], owner: dict[str, int]
) -> set[int]:
    group, todo = {main}, [main]
    while todo:
        for process in calls.get(todo.pop(), set()):
            found = owner.get(process)
            if found is not None and found not in group:
                group.add(found)
                todo.append(found)
    return group


def _decision_refs(root: Element) -> set[str]:
    refs = set()
    for task in root.iter(bpmn("businessRuleTask")):
        if task.get(camunda("decisionRef")):
            refs.add(task.get(camunda("decisionRef")).strip())
        for el in task.iter(f"{{{SPIFF_NS}}}calledDecisionId"):
            refs.add((el.text or "").strip())
    return refs


def _form_refs(root: Element) -> set[str]:
    refs = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attribute in ("formKey", "formRef"):
            value = el.get(camunda(attribute))
            if value:
                refs |= {value.strip(), camunda_form_key(value)}
        if el.tag == f"{{{SPIFF_NS}}}property" and el.get("name") in FORM_PROPERTIES and el.get("value"):
            refs |= {el.get("value").strip(), camunda_form_key(el.get("value"))}
    return refs
