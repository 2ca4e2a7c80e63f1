"""A human task's form, however the diagram gives it.

- Named: a formKey (Spiff property or camunda:formKey, "camunda-forms:deployment:triage.form" names
  "triage") or camunda:formRef (a Camunda Forms id). The form is one of the deploy's form files or a form
  bundled with Lintel.
- SpiffArena: the spiffworkflow properties formJsonSchemaFilename and formUiSchemaFilename name a JSON
  Schema file and its UI schema among the deploy's files.
- Drawn inside the task: camunda:formData with its camunda:formField elements.

The engine never reads a form: it checks that the named files exist and records what the diagram describes
in `ParsedDefinition.forms`, which the forms layer turns into forms.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine.bpmn_xml import CAMUNDA_NS, SPIFF_NS, Element, camunda, children, extensions, vendor_attribute

if TYPE_CHECKING:
    from engine.bpmn_tasks import Context

FORM_DATA_TYPES = ("string", "long", "boolean", "date", "enum")
FORM_DATA_CONSTRAINTS = ("required", "minlength", "maxlength", "min", "max", "readonly")
NO_FORM = "user task has no form: it is completed with an optional comment"
MAX_FORM_KEY = 200


# A formKey that names a page of the application serving the diagram (Camunda's embedded HTML forms, JSF
# pages): a form deployed under its name ("embedded:app:forms/reply.html" -> "reply") stands in for it;
# without one, Lintel cannot show it, so the step is completed with an optional comment, and deploy says so.
_APP_PAGE = re.compile(r"^\s*(embedded:|app:)|\.(html?|xhtml|jsf|jsp)\s*$", re.IGNORECASE)
APP_PAGE_NOTICE = (
    "formKey '{key}' is a page of the application the diagram was drawn for, which Lintel cannot show: "
    "the step is completed with an optional comment (deploy a form file with the diagram to ask for data)"
)
APP_PAGE_START_NOTICE = (
    "formKey '{key}' is a page of the application the diagram was drawn for, which Lintel cannot show: "
    "the process starts without a form (deploy a form file with the diagram to ask for data)"
)


def is_app_page(form_key: str) -> bool:
    return bool(_APP_PAGE.search(form_key))


def task_form(ctx: Context, el: Element, kind: str, named: Any) -> str | None:
    """The form key of the task (None: completed with an optional comment); problems go to ctx.report.

    `named` is the formKey the task gives in either dialect (an object with `text` and `where`), or None.
    """
    element_id: str = el.get("id")
    schema, ui = _spiff_schema_files(el)
    form_data = next((ext for name, ext in extensions(el, CAMUNDA_NS) if name == "formData"), None)
    form_ref = (el.get(camunda("formRef")) or "").strip()
    key = named.text.strip() if named is not None and named.text.strip() else None
    where = named.where if key else el
    if key is None and form_ref:
        key = form_ref
    if key is not None:
        if form_data is not None:
            ctx.report.notice(f"camunda:formData is not used: the task names the form '{key}'", form_data)
        if not ctx.form_exists(key):
            ctx.report.add(
                f"form '{key}' does not exist: deploy its file with the diagram, or use a form of Lintel's",
                where,
                element_id=element_id,
            )
        return key
    if schema is not None:
        return _json_schema_form(ctx, el, schema, ui)
    if form_data is not None:
        return _form_data(ctx, el, form_data)
    page = vendor_attribute(el, "formKey")
    if kind == "userTask" and not (page is not None and is_app_page(page[1])):  # that notice says it all
        ctx.report.notice(NO_FORM, el)
    return None


def start_form_data(ctx: Context, process: Element) -> str | None:
    """The form drawn with camunda:formData inside the process's start event, if any (a start event that
    names a form by formKey is read with the process properties, engine.bpmn_process)."""
    for name, el in children(process):
        if name != "startEvent":
            continue
        form_data = next(
            (ext for ext_name, ext in extensions(el, CAMUNDA_NS) if ext_name == "formData"), None
        )
        if form_data is not None:
            return _form_data(ctx, el, form_data)
    return None


def _spiff_schema_files(el: Element) -> tuple[str | None, str | None]:
    found: dict[str, str] = {}
    for name, ext in extensions(el, SPIFF_NS):
        if name != "properties":
            continue
        for prop in ext.iter(f"{{{SPIFF_NS}}}property"):
            if (
                prop.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename")
                and (prop.get("value") or "").strip()
            ):
                found[prop.get("name")] = prop.get("value").strip()
    return found.get("formJsonSchemaFilename"), found.get("formUiSchemaFilename")


def _json_schema_form(ctx: Context, el: Element, schema: str, ui: str | None) -> str | None:
    ok = True
    for role, filename in (("formJsonSchemaFilename", schema), ("formUiSchemaFilename", ui)):
        if filename is not None and filename not in ctx.files:
            ctx.report.add(
                f"{role} '{filename}' is not one of the deployed files: deploy it with the diagram", el
            )
            ok = False
    key = schema if ui is None else f"{schema}#{ui}"
    if len(key) > MAX_FORM_KEY:
        ctx.report.add(
            f"the form file names are {len(key)} characters long together: at most {MAX_FORM_KEY}", el
        )
        ok = False
    if not ok:
        return None
    ctx.forms[key] = {"format": "json-schema", "schema": schema, "ui": ui, "title": el.get("name") or ""}
    return key


def _form_data(ctx: Context, el: Element, form_data: Element) -> str | None:
    """camunda:formData as plain data: [{id, label, type, default, constraints: {name: config}, values}]."""
    element_id: str = el.get("id")
    fields: list[dict[str, Any]] = []
    for name, item in children(form_data, CAMUNDA_NS):
        if name != "formField":
            continue
        field_id = (item.get("id") or "").strip()
        if not field_id.isidentifier():
            ctx.report.add(
                f"camunda:formField id '{field_id}' is not a plain name (letters, digits and _)",
                item,
                element_id=element_id,
            )
            continue
        if any(f["id"] == field_id for f in fields):
            ctx.report.add(f"camunda:formField '{field_id}' is given twice", item, element_id=element_id)
            continue
        kind = (item.get("type") or "string").strip()
        if kind not in FORM_DATA_TYPES:
            ctx.report.add(
                f"camunda:formField '{field_id}' has type '{kind}': use one of {', '.join(FORM_DATA_TYPES)}",
                item,
                element_id=element_id,
            )
            continue
        constraints: dict[str, str | None] = {}
        values: list[list[str]] = []
        for part_name, part in children(item, CAMUNDA_NS):
            if part_name == "validation":
                for _c, constraint in children(part, CAMUNDA_NS):
                    cname = (constraint.get("name") or "").strip()
                    if cname not in FORM_DATA_CONSTRAINTS:
                        ctx.report.add(
                            f"camunda:formField '{field_id}': constraint '{cname}' is not supported "
                            f"(use {', '.join(FORM_DATA_CONSTRAINTS)})",
                            constraint,
                            element_id=element_id,
                        )
                        continue
                    constraints[cname] = constraint.get("config")
            elif part_name == "value":
                value_id = (part.get("id") or "").strip()
                if value_id:
                    values.append([value_id, (part.get("name") or value_id).strip()])
        problem = _bounds_problem(kind, constraints)
        if problem is None and kind == "enum" and not values:
            problem = "an enum needs camunda:value entries"
        if problem is not None:
            ctx.report.add(f"camunda:formField '{field_id}': {problem}", item, element_id=element_id)
            continue
        fields.append(
            {
                "id": field_id,
                "label": (item.get("label") or "").strip() or field_id,
                "type": kind,
                "default": item.get("defaultValue"),
                "constraints": constraints,
                "values": values,
            }
        )
    key = f"formData:{element_id}"
    ctx.forms[key] = {"format": "camunda-formdata", "title": el.get("name") or element_id, "fields": fields}
    return key


def _bounds_problem(kind: str, constraints: dict[str, str | None]) -> str | None:
    for name in ("minlength", "maxlength", "min", "max"):
        if name not in constraints:
            continue
        text = (constraints[name] or "").strip()
        try:
            number = float(text) if kind != "date" else None
        except ValueError:
            return f"constraint {name} needs a number, not '{text}'"
        if name.endswith("length") and (number is None or not number.is_integer() or number < 0):
            return f"constraint {name} needs a whole number, not '{text}'"
        if kind == "date" and name in ("min", "max"):
            return f"constraint {name} on a date is not supported"
    return None
