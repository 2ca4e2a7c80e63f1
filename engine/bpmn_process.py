"""Process-level properties: what a request of this process is called, numbered, and who may start it.

Read from the executable process's extensionElements, in either dialect:

    <bpmn:process id="repair" name="维修申请" isExecutable="true">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="title" value="'维修：' + summary"/>
          <spiffworkflow:property name="numberPrefix" value="WX"/>
          <spiffworkflow:property name="startableBy" value="crc, 工程部"/>
        </spiffworkflow:properties>
        <!-- or, drawn with Camunda Modeler -->
        <camunda:properties><camunda:property name="numberPrefix" value="WX"/></camunda:properties>
      </bpmn:extensionElements>

- `title`: a Python expression over the start data giving the request's title, checked against the sandbox
  rules at deploy and evaluated by the runtime's script engine at start (the process name when it is absent
  or fails);
- `numberPrefix`: 1 to 6 letters A-Z before the year and the sequence (`WX-2026-000001`); without it, the
  first letters of the key's words (`repair_request` → `RR`, `complaint` → `C`; `REQ` for a key with none);
- `startableBy`: a comma list of department codes or names whose members may start the process from the
  pages, the API or the CLI; without it, every staff member may.

The start event's form (`formKey`, either dialect) validates the start data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from engine.bpmn_expressions import code_findings, python_of
from engine.bpmn_forms import APP_PAGE_START_NOTICE, is_app_page
from engine.bpmn_meta import ProcessProperties, default_prefix
from engine.bpmn_tasks import camunda_form_key
from engine.bpmn_xml import (
    CAMUNDA_NS,
    SPIFF_NS,
    Element,
    Reporter,
    children,
    extensions,
    vendor_attribute,
)
from engine.routing import Departments

PROPERTY_NAMES = ("title", "numberPrefix", "startableBy")
_PREFIX = re.compile(r"[A-Z]{1,6}")


@dataclass(frozen=True)
class _Property:
    value: str
    where: Element


def _declared(process: Element, report: Reporter) -> dict[str, _Property]:
    found: dict[str, _Property] = {}
    element_id = process.get("id")
    for ns in (CAMUNDA_NS, SPIFF_NS):  # Spiff's wins when both give one
        for name, ext in extensions(process, ns):
            if name != "properties":
                continue
            for prop in ext.iter(f"{{{ns}}}property"):
                prop_name, value = prop.get("name"), prop.get("value")
                if prop_name in PROPERTY_NAMES:
                    if value is None:
                        report.add(
                            f"the process property {prop_name} needs a value", prop, element_id=element_id
                        )
                    else:
                        found[prop_name] = _Property(value, prop)
    return found


def read_properties(
    process: Element,
    report: Reporter,
    *,
    departments: Mapping[str, str],
    functions: Collection[str],
    form_exists: Callable[[str], bool],
) -> ProcessProperties:
    """The process's properties; each problem with them goes to `report`, naming the property."""
    key = process.get("id") or ""
    element_id = process.get("id")
    declared = _declared(process, report)

    title: str | None = None
    if "title" in declared and declared["title"].value.strip():
        prop = declared["title"]
        python, refused = python_of(prop.value, functions, "title")  # JUEL is translated, as everywhere
        source = python if python is not None else prop.value.strip()
        for finding in refused or code_findings(source, "eval", functions, "title"):
            report.add(
                f"the process property {finding.message} (give a Python expression over the start data, "
                "e.g. summary)",
                prop.where,
                element_id=element_id,
            )
        title = source

    prefix = default_prefix(key)
    if "numberPrefix" in declared:
        prop = declared["numberPrefix"]
        wanted = prop.value.strip()
        if _PREFIX.fullmatch(wanted):
            prefix = wanted
        else:
            report.add(
                f"the process property numberPrefix '{prop.value}' must be 1 to 6 capital letters A-Z, "
                "e.g. WX",
                prop.where,
                element_id=element_id,
            )

    startable: list[str] = []
    routes = Departments(departments)
    if "startableBy" in declared:
        prop = declared["startableBy"]
        for name in (part.strip() for part in prop.value.split(",")):
            if not name:
                continue
            code = routes.code(name)  # codes and names in any case, as routing matches them
            if code is None:
                report.add(
                    f"the process property startableBy names '{name}', which is not a department: "
                    "give department codes or names separated by commas, or leave it out to let every "
                    "staff member start the process",
                    prop.where,
                    element_id=element_id,
                )
            elif code not in startable:
                startable.append(code)
        if not prop.value.strip(" ,"):
            report.add(
                "the process property startableBy is empty: name the departments, or leave it out",
                prop.where,
                element_id=element_id,
            )

    start_form, start_event = _start_form(process)
    if start_form is not None and is_app_page(start_form):
        if form_exists(camunda_form_key(start_form)):
            start_form = camunda_form_key(start_form)
        else:
            report.notice(APP_PAGE_START_NOTICE.format(key=start_form), start_event)
            start_form = None
    if start_form is not None and not form_exists(start_form):
        report.add(
            f"the start event's form '{start_form}' does not exist: add its form file or remove the formKey",
            start_event,
        )
    return ProcessProperties(
        title=title, number_prefix=prefix, startable_by=tuple(startable), start_form=start_form
    )


def _start_form(process: Element) -> tuple[str | None, Element | None]:
    """The form key of the process's start event (the first that has one), in either dialect."""
    for name, el in children(process):
        if name != "startEvent":
            continue
        for ext_name, ext in extensions(el, SPIFF_NS):
            if ext_name == "properties":
                for prop in ext.iter(f"{{{SPIFF_NS}}}property"):
                    if prop.get("name") == "formKey" and (prop.get("value") or "").strip():
                        return str(prop.get("value")).strip(), el
        vendor = vendor_attribute(el, "formKey")
        attribute = vendor[1] if vendor is not None else None
        if attribute and attribute.strip():
            return (attribute.strip() if is_app_page(attribute) else camunda_form_key(attribute)), el
    return None, None
