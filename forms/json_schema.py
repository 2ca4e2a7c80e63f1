"""SpiffArena's forms as Lintel forms: a JSON Schema (draft-07 style, as react-jsonschema-form reads it) and
its UI schema.

Read: an object schema whose properties are string (format date, date-time, time; enum, or oneOf with const
and title), integer, number or boolean, or an array of such enum items with uniqueItems (several choices);
minLength, maxLength, pattern, minimum, maximum; the required list. From the UI schema: ui:order, and per
field ui:widget (textarea, radio, checkboxes, hidden: left out), ui:help and ui:title.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from forms.fields import Choice, Field
from forms.model import Form


class SchemaProblem(ValueError):
    """A schema Lintel cannot read as a form; the message names the property and why."""


def is_json_schema(raw: object) -> bool:
    return isinstance(raw, dict) and (
        isinstance(raw.get("properties"), dict) or raw.get("type") == "object" or "$schema" in raw
    )


def is_ui_schema(raw: object) -> bool:
    return isinstance(raw, dict) and all(
        key.startswith("ui:") or (isinstance(value, dict) and all(k.startswith("ui:") for k in value))
        for key, value in raw.items()
    )


def from_json_schema(key: str, schema: Mapping[str, Any], ui: Mapping[str, Any] | None, title: str) -> Form:
    ui = ui or {}
    if schema.get("type", "object") != "object":
        raise SchemaProblem("the schema must describe an object (type: object)")
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        raise SchemaProblem("the schema has no properties")
    required = schema.get("required") or []
    if not isinstance(required, list):
        raise SchemaProblem("'required' must be a list of property names")
    order = [name for name in ui.get("ui:order", []) if name in properties]
    names = order + [name for name in properties if name not in order]
    fields: list[Field] = []
    for name in names:
        options = ui.get(name) if isinstance(ui.get(name), dict) else {}
        if options.get("ui:widget") == "hidden":
            continue
        fields.append(_field(name, properties[name], options, name in required))
    shown = schema.get("title") if isinstance(schema.get("title"), str) and schema.get("title") else title
    return Form(key=key, title=shown or key, title_en=None, fields=tuple(fields))


def _field(name: str, prop: Any, ui: Mapping[str, Any], required: bool) -> Field:
    where = f"property {name!r}: "
    if not name.isidentifier():
        raise SchemaProblem(f"{where}the name is not a plain name (letters, digits and _)")
    if not isinstance(prop, dict):
        raise SchemaProblem(f"{where}must be an object")
    kind = prop.get("type")
    widget = ui.get("ui:widget")
    label = ui.get("ui:title") or prop.get("title") or name
    help_text = ui.get("ui:help") or prop.get("description")
    common: dict[str, Any] = {
        "name": name,
        "label": str(label),
        "required": required,
        "help": str(help_text) if help_text else None,
    }
    choices = _choices(prop, where)
    if kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        item_choices = _choices(items, where)
        if not item_choices:
            raise SchemaProblem(
                f"{where}an array is read as several choices: give its items an enum or oneOf"
            )
        return Field(type="multichoice", choices=item_choices, **common)
    if choices:
        return Field(type="choice", choices=choices, widget="radio" if widget == "radio" else None, **common)
    if kind == "string":
        fmt = prop.get("format")
        if fmt in ("date", "date-time", "time"):
            return Field(type={"date": "date", "date-time": "datetime", "time": "time"}[fmt], **common)
        pattern = prop.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                raise SchemaProblem(f"{where}pattern is not a valid regular expression ({exc})") from None
        return Field(
            type="textarea" if widget == "textarea" else "text",
            max_length=_whole(prop.get("maxLength"), where, "maxLength"),
            min_length=_whole(prop.get("minLength"), where, "minLength"),
            pattern=str(pattern) if pattern is not None else None,
            **common,
        )
    if kind in ("integer", "number"):
        return Field(
            type="number",
            integer=kind == "integer",
            min=_bound(prop.get("minimum"), where, "minimum"),
            max=_bound(prop.get("maximum"), where, "maximum"),
            **common,
        )
    if kind == "boolean":
        return Field(type="boolean", **common)
    raise SchemaProblem(f"{where}type {kind!r} is not supported (string, integer, number, boolean, array)")


def _choices(prop: Mapping[str, Any], where: str) -> tuple[Choice, ...]:
    if isinstance(prop.get("enum"), list):
        names = prop.get("enumNames") if isinstance(prop.get("enumNames"), list) else []
        return tuple(
            Choice(str(value), str(names[i]) if i < len(names) else str(value))
            for i, value in enumerate(prop["enum"])
        )
    one_of = prop.get("oneOf") or prop.get("anyOf")
    if isinstance(one_of, list) and one_of and all(isinstance(o, dict) and "const" in o for o in one_of):
        return tuple(Choice(str(o["const"]), str(o.get("title") or o["const"])) for o in one_of)
    if one_of is not None and not isinstance(one_of, list):
        raise SchemaProblem(f"{where}oneOf must be a list")
    return ()


def _bound(value: Any, where: str, name: str) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaProblem(f"{where}{name} is not a number")
    return value


def _whole(value: Any, where: str, name: str) -> int | None:
    number = _bound(value, where, name)
    if number is None:
        return None
    if not float(number).is_integer() or number < 0:
        raise SchemaProblem(f"{where}{name} is not a whole number")
    return int(number)
