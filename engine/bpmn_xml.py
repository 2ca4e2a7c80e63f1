"""Reading a BPMN document safely with lxml, and finding elements, lanes and line numbers in it."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from engine.bpmn_meta import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"  # Camunda 7's (and Activiti's) old namespace
FLOWABLE_NS = "http://flowable.org/bpmn"
# Namespaces whose attributes and extension elements mean what camunda: ones do, with their usual prefix.
VENDOR_NS = {CAMUNDA_NS: "camunda", ACTIVITI_NS: "activiti", FLOWABLE_NS: "flowable"}

Element = Any  # lxml.etree._Element; lxml ships no type information


def bpmn(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def camunda(local: str) -> str:
    return f"{{{CAMUNDA_NS}}}{local}"


def vendor_attribute(el: Element, local: str) -> tuple[str, str] | None:
    """(prefix:local, value) of the first camunda:, activiti: or flowable: attribute `local` on `el`."""
    for ns, prefix in VENDOR_NS.items():
        value = el.get(f"{{{ns}}}{local}")
        if value is not None:
            return f"{prefix}:{local}", value
    return None


def vendor_extensions(el: Element) -> Iterator[tuple[str, Element]]:
    """(prefix:local, element) of the camunda:, activiti: and flowable: elements in its extensionElements."""
    for ns, prefix in VENDOR_NS.items():
        for name, ext in extensions(el, ns):
            yield f"{prefix}:{name}", ext


def uses_vendor_namespace(root: Element) -> bool:
    """Whether any element or attribute of the document is in the camunda:, activiti: or flowable: namespace
    (declaring one, as many modelers do by default, is not enough)."""
    prefixes = tuple(f"{{{ns}}}" for ns in VENDOR_NS)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.startswith(prefixes) or any(name.startswith(prefixes) for name in el.attrib):
            return True
    return False


def text_key(el: Element) -> str:
    """Where a text sits, stable across parses: the id of the nearest element (itself or above) that has
    one, and the text's tag (e.g. "Flow_1/conditionExpression")."""
    owner = el
    while owner is not None and not owner.get("id"):
        owner = owner.getparent()
    owner_id = owner.get("id") if owner is not None else ""
    tag = el.tag if isinstance(el.tag, str) else ""
    return f"{owner_id}/{tag.rpartition('}')[2]}"


def rewrite_texts(root: Element, texts: dict[str, str] | Any) -> None:
    """Replace, in place, each text whose `text_key` is in `texts` (a deploy's stored translations)."""
    if not texts:
        return
    tags = {key.rpartition("/")[2] for key in texts}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.rpartition("}")[2] in tags:
            python = texts.get(text_key(el))
            if python is not None:
                el.text = python


def name_unnamed_flows(root: Element) -> list[Element]:
    """Give each sequence flow drawn without an id one (Flowable's test diagrams leave them out), the same on
    every parse: sequenceFlow_1, sequenceFlow_2 ... in document order, skipping ids in use. Returns them."""
    used = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    named: list[Element] = []
    number = 0
    for flow in root.iter(bpmn("sequenceFlow")):
        if flow.get("id"):
            continue
        number += 1
        while f"sequenceFlow_{number}" in used:
            number += 1
        flow.set("id", f"sequenceFlow_{number}")
        named.append(flow)
    return named


def for_spiff(root: Element, texts: dict[str, str] | Any) -> Element:
    """The document as SpiffWorkflow is given it, changed in place: sequence flows without an id named
    (`name_unnamed_flows`), translated texts (`rewrite_texts`), and data stores — documentation only in
    Lintel, which SpiffWorkflow would refuse without an implementation — taken out with the data
    associations that lead to or from them."""
    name_unnamed_flows(root)
    rewrite_texts(root, texts)
    store_refs = {el.get("id") for el in root.iter(bpmn("dataStoreReference"))}
    for el in list(root.iter(bpmn("dataStore"))):
        el.getparent().remove(el)
    for tag, end in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
        for association in list(root.iter(bpmn(tag))):
            refs = [ref.text for ref in association if local_name(ref) == end]
            if any(ref in store_refs for ref in refs):
                association.getparent().remove(association)
    return root


def safe_parser() -> Any:
    """No entity expansion, no network, libxml2's default size limits."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def local_name(el: Element, ns: str = BPMN_NS) -> str | None:
    """The local name of an element in namespace `ns`; None for other namespaces, comments and PIs."""
    tag = el.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return None
    namespace, _, local = tag[1:].partition("}")
    return local if namespace == ns else None


def children(el: Element, ns: str = BPMN_NS) -> Iterator[tuple[str, Element]]:
    """(local name, element) of the direct children of `el` in namespace `ns`."""
    for child in el:
        local = local_name(child, ns)
        if local is not None:
            yield local, child


def child(el: Element, local: str, ns: str = BPMN_NS) -> Element | None:
    for name, found in children(el, ns):
        if name == local:
            return found
    return None


def extensions(el: Element, ns: str) -> Iterator[tuple[str, Element]]:
    """(local name, element) of the `ns` elements directly inside the element's bpmn:extensionElements."""
    for name, ext in children(el):
        if name == "extensionElements":
            yield from children(ext, ns)


def blank(text: str | None) -> bool:
    return text is None or not text.strip()


class Document:
    """A parsed BPMN file with an id index, Spiff's lane index and start-tag line numbers."""

    def __init__(self, root: Element, text: str) -> None:
        self.root = root
        self.text = text
        self.by_id: dict[str, Element] = {}
        self.duplicate_ids: list[tuple[str, Element]] = []
        # Only BPMN elements must have distinct ids: a diagram shape (BPMNDI) or an extension element that
        # repeats one is harmless, and never stands in for the BPMN element in the index.
        for el in root.iter():
            element_id = el.get("id") if isinstance(el.tag, str) else None
            if element_id is None:
                continue
            is_bpmn = local_name(el) is not None
            found = self.by_id.get(element_id)
            if found is None:
                self.by_id[element_id] = el
            elif is_bpmn and local_name(found) is None:
                self.by_id[element_id] = el
            elif is_bpmn:
                self.duplicate_ids.append((element_id, el))
        # The index SpiffWorkflow builds (BpmnParser._add_diagram_indexes): the last lane listing a node wins,
        # which for nested lanes is the innermost one.
        self.lanes: dict[str, str | None] = {}
        for ref in root.iter(bpmn("flowNodeRef")):
            if ref.text is not None:
                self.lanes[ref.text] = ref.getparent().get("name")
        self._line_starts: list[int] | None = None

    def line(self, el: Element | None) -> int | None:
        """The line a start tag begins on (lxml's `sourceline` is the line where it ends)."""
        if el is None or el.sourceline is None:
            return None
        end_line: int = el.sourceline
        tag = el.tag
        if not isinstance(tag, str):
            return end_line
        local = tag.rpartition("}")[2]
        qname = f"{el.prefix}:{local}" if el.prefix else local
        starts = self._starts()
        if end_line > len(starts):
            return end_line
        stop = starts[end_line] if end_line < len(starts) else len(self.text)
        pattern = re.compile(rf"<{re.escape(qname)}(?=[\s/>])")
        begin = starts[max(0, end_line - 50)]
        found = None
        for match in pattern.finditer(self.text, begin, stop):
            found = match.start()
        if found is None:
            return end_line
        return bisect.bisect_right(starts, found)

    def line_of_id(self, element_id: str | None) -> int | None:
        return self.line(self.by_id.get(element_id)) if element_id else None

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return self._line_starts


class Reporter:
    """Collects problems for one file."""

    def __init__(self, filename: str, doc: Document | None = None) -> None:
        self.filename = filename
        self.doc = doc
        self.problems: list[Problem] = []
        # Accepted but worth telling the person deploying: shown with the result, kept with the version.
        self.notices: list[Problem] = []

    def add(
        self,
        message: str,
        el: Element | None = None,
        *,
        element_id: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problems.append(self._problem(message, el, element_id, line))

    def notice(
        self,
        message: str,
        el: Element | None = None,
        *,
        element_id: str | None = None,
        line: int | None = None,
    ) -> None:
        self.notices.append(self._problem(message, el, element_id, line))

    def _problem(self, message: str, el: Element | None, element_id: str | None, line: int | None) -> Problem:
        if element_id is None and el is not None:
            element_id = el.get("id")
        if line is None and el is not None and self.doc is not None:
            line = self.doc.line(el)
        return Problem(self.filename, line, element_id, message)

    def reported_ids(self) -> set[str]:
        return {p.element_id for p in self.problems if p.element_id}
