"""The files of one deploy: what kind each is, how large they may be, and the few rewrites SpiffWorkflow
needs to run a diagram drawn elsewhere (the stored files stay as they were drawn)."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Literal

from engine.bpmn_xml import SPIFF_NS, Element, bpmn, camunda, children, extensions

FileKind = Literal["bpmn", "dmn", "form"]
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
MAX_FILES = 50
SUFFIXES: dict[str, FileKind] = {
    ".bpmn": "bpmn",
    ".bpmn20.xml": "bpmn",  # Flowable
    ".bpmn2": "bpmn",
    ".dmn": "dmn",
    ".dmn11.xml": "dmn",
    ".form": "form",  # Camunda Forms
    ".json": "form",  # Lintel's own forms, SpiffArena's JSON Schema and UI schema
}
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)


@dataclass(frozen=True)
class BundleFile:
    filename: str  # the base name, unique in its deploy
    content: bytes
    kind: FileKind
    main: bool = False


def base_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def kind_of(filename: str) -> FileKind | None:
    lowered = base_name(filename).lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def unknown_type_message(filename: str) -> str:
    return (
        f"{base_name(filename)}: unknown file type: a deploy takes .bpmn diagrams, .dmn decision tables and "
        ".form or .json forms"
    )


def called_elements(root: Element) -> set[str]:
    """The processes the call activities of a BPMN document name."""
    return {
        (el.get("calledElement") or "").strip()
        for el in root.iter(bpmn("callActivity"))
        if (el.get("calledElement") or "").strip()
    }


def processes_of(root: Element) -> list[Element]:
    return [process for name, process in children(root) if name == "process"]


def dmn_decisions(root: Element) -> list[Element]:
    return [el for el in root if isinstance(el.tag, str) and el.tag.rpartition("}")[2] == "decision"]


def single_decisions(root: Element) -> list[Element]:
    """One DMN document per decision of `root`: SpiffWorkflow reads the first decision of a document only."""
    decisions = dmn_decisions(root)
    if len(decisions) <= 1:
        return [root]
    found = []
    for index in range(len(decisions)):
        copy = deepcopy(root)
        for other_index, other in enumerate(dmn_decisions(copy)):
            if other_index != index:
                copy.remove(other)
        found.append(copy)
    return found


def runnable(root: Element, called: set[str]) -> Element:
    """Rewrite a parsed BPMN document in place so that SpiffWorkflow runs it as Lintel deployed it.

    - A process some call activity calls runs even when drawn isExecutable="false" (Camunda Modeler's
      default for a second pool, SpiffWorkflow refuses to build it).
    - camunda:decisionRef on a business rule task becomes the spiffworkflow:calledDecisionId SpiffBpmnParser
      reads.
    """
    for process in processes_of(root):
        if process.get("id") in called and process.get("isExecutable") == "false":
            process.set("isExecutable", "true")
    for task in root.iter(bpmn("businessRuleTask")):
        ref = (task.get(camunda("decisionRef")) or "").strip()
        if not ref or any(name == "calledDecisionId" for name, _ in extensions(task, SPIFF_NS)):
            continue
        holder = next((c for name, c in children(task) if name == "extensionElements"), None)
        if holder is None:
            holder = task.makeelement(bpmn("extensionElements"), {})
            task.insert(0, holder)
        decision = holder.makeelement(f"{{{SPIFF_NS}}}calledDecisionId", {})
        decision.text = ref
        holder.append(decision)
    return root


def is_dmn(root: Element) -> bool:
    tag = root.tag if isinstance(root.tag, str) else ""
    return tag.rpartition("}")[2] == "definitions" and tag[1:].partition("}")[0] in DMN_NAMESPACES


__all__ = [
    "MAX_BUNDLE_BYTES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "BundleFile",
    "FileKind",
    "base_name",
    "called_elements",
    "dmn_decisions",
    "is_dmn",
    "kind_of",
    "processes_of",
    "runnable",
    "single_decisions",
    "unknown_type_message",
]
