"""Camunda's forms as Lintel forms: Camunda Forms files (form-js JSON, as Camunda Modeler writes them) and
camunda:formData drawn inside a user task (handed over by the engine as plain data)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from forms.fields import Choice, Field
from forms.model import MAX_FORM_FIELDS, Form

# form-js components that hold no value: shown in Camunda, left out here.
LAYOUT = frozenset(
    {"text", "spacer", "separator", "button", "image", "html", "iframe", "table", "documentPreview"}
)
CONTAINERS = frozenset({"group", "dynamiclist"})
VALUE_TYPES = {
    "textfield": "text",
    "textarea": "textarea",
    "number": "number",
    "checkbox": "boolean",
    "checklist": "multichoice",
    "taglist": "multichoice",
    "radio": "choice",
    "select": "choice",
    "datetime": "datetime",
}


class CamundaFormProblem(ValueError):
    """A Camunda form Lintel cannot read; the message says which component and why."""


def is_camunda_form(raw: object) -> bool:
    return isinstance(raw, dict) and isinstance(raw.get("components"), list)


def from_camunda_form(raw: Mapping[str, Any], fallback_key: str) -> Form:
    """A Camunda Forms document (`{"type": "default", "id", "components": [...]}`), keyed by its id."""
    key = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else fallback_key
    fields: list[Field] = []
    _components(raw.get("components") or [], fields, set())
    if not fields:
        raise CamundaFormProblem("the form has no field that takes a value")
    title = raw.get("name") if isinstance(raw.get("name"), str) and raw.get("name") else _heading(raw)
    return Form(key=str(key), title=str(title or fallback_key), title_en=None, fields=tuple(fields))


def _heading(raw: Mapping[str, Any]) -> str | None:
    """The first Markdown heading of a text component ("# 上门记录"): what the form calls itself."""
    for component in raw.get("components") or []:
        if isinstance(component, dict) and component.get("type") == "text":
            for line in str(component.get("text") or "").splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip() or None
    return None


def _components(components: list[Any], fields: list[Field], names: set[str]) -> None:
    for index, component in enumerate(components):
        if not isinstance(component, dict):
            raise CamundaFormProblem(f"component #{index + 1} is not an object")
        kind = component.get("type")
        if kind in LAYOUT:
            continue
        if kind in CONTAINERS:
            _components(component.get("components") or [], fields, names)
            continue
        if kind not in VALUE_TYPES:
            known = ", ".join(sorted(VALUE_TYPES))
            raise CamundaFormProblem(f"component type {kind!r} is not supported (fields: {known})")
        field = _field(component, str(kind))
        if field.name in names:
            raise CamundaFormProblem(f"two components have the key {field.name!r}")
        if len(fields) == MAX_FORM_FIELDS:
            raise CamundaFormProblem(
                f"more than {MAX_FORM_FIELDS} fields: a form has at most {MAX_FORM_FIELDS}"
            )
        names.add(field.name)
        fields.append(field)


def _field(component: Mapping[str, Any], kind: str) -> Field:
    key = component.get("key")
    where = f"component {component.get('id') or kind!s}: "
    if not isinstance(key, str) or not key.isidentifier():
        raise CamundaFormProblem(f"{where}key {key!r} is not a plain name (letters, digits and _)")
    validate = component.get("validate") or {}
    if not isinstance(validate, dict):
        raise CamundaFormProblem(f"{where}'validate' is not an object")
    lintel_type = VALUE_TYPES[kind]
    if kind == "datetime":
        subtype = component.get("subtype", "date")
        lintel_type = {"date": "date", "time": "time", "datetime": "datetime"}.get(str(subtype), "")
        if not lintel_type:
            raise CamundaFormProblem(f"{where}datetime subtype {subtype!r} is not date, time or datetime")
    choices: tuple[Choice, ...] = ()
    if lintel_type in ("choice", "multichoice"):
        if component.get("valuesKey") or component.get("valuesExpression"):
            raise CamundaFormProblem(
                f"{where}options from process data (valuesKey, valuesExpression) are not supported: "
                "list them under values"
            )
        choices = _choices(component.get("values"), where)
    label = component.get("label") if isinstance(component.get("label"), str) else None
    return Field(
        name=key,
        type=lintel_type,
        label=(label or key).strip() or key,
        required=bool(validate.get("required", False)),
        help=component.get("description") if isinstance(component.get("description"), str) else None,
        choices=choices,
        min=_number(validate.get("min"), where, "min"),
        max=_number(validate.get("max"), where, "max"),
        max_length=_length(validate.get("maxLength"), where, "maxLength"),
        min_length=_length(validate.get("minLength"), where, "minLength"),
        pattern=_pattern(validate, where),
        integer=kind == "number" and component.get("decimalDigits") == 0,
        widget="radio" if kind == "radio" else None,
    )


def _choices(values: Any, where: str) -> tuple[Choice, ...]:
    if not isinstance(values, list) or not values:
        raise CamundaFormProblem(f"{where}needs values: a list of {{label, value}}")
    found: list[Choice] = []
    for item in values:
        if not isinstance(item, dict) or item.get("value") in (None, ""):
            raise CamundaFormProblem(f"{where}each value needs a label and a value")
        value = str(item["value"])
        if any(choice.value == value for choice in found):
            raise CamundaFormProblem(f"{where}value {value!r} is given twice")
        found.append(Choice(value, str(item.get("label") or value)))
    return tuple(found)


def _number(value: Any, where: str, name: str) -> int | float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CamundaFormProblem(f"{where}validate.{name} is not a number")
    return value


def _length(value: Any, where: str, name: str) -> int | None:
    number = _number(value, where, name)
    if number is None:
        return None
    if not float(number).is_integer() or number < 0:
        raise CamundaFormProblem(f"{where}validate.{name} is not a whole number")
    return int(number)


def _pattern(validate: Mapping[str, Any], where: str) -> str | None:
    pattern = validate.get("pattern")
    if validate.get("validationType") == "email":
        pattern = r"[^@\s]+@[^@\s]+\.[^@\s]+"
    elif validate.get("validationType") == "phone":
        pattern = r"\+?[0-9 ()-]{5,20}"
    if pattern in (None, ""):
        return None
    if not isinstance(pattern, str):
        raise CamundaFormProblem(f"{where}validate.pattern is not text")

    try:
        re.compile(pattern)
    except re.error as exc:
        raise CamundaFormProblem(
            f"{where}pattern {pattern!r} is not a valid regular expression ({exc})"
        ) from None
    return pattern


def from_form_data(key: str, spec: Mapping[str, Any]) -> Form:
    """camunda:formData as the engine hands it over: {"title", "fields": [{id, label, type, default,
    constraints: {name: config}, values: [[id, name]]}]}. Read-only fields are shown by Camunda but not
    entered: they are left out."""
    fields: list[Field] = []
    for item in spec.get("fields") or []:
        constraints: Mapping[str, Any] = item.get("constraints") or {}
        if "readonly" in constraints:
            continue
        kind = item.get("type", "string")
        lintel_type = {
            "string": "text",
            "long": "number",
            "boolean": "boolean",
            "date": "date",
            "enum": "choice",
        }[kind]

        low, high = _config(constraints, "min"), _config(constraints, "max")
        fields.append(
            Field(
                name=str(item["id"]),
                type=lintel_type,
                label=str(item.get("label") or item["id"]),
                required="required" in constraints,
                choices=tuple(Choice(str(v), str(n)) for v, n in item.get("values") or []),
                min=int(low) if low is not None and kind == "long" and low.is_integer() else low,
                max=int(high) if high is not None and kind == "long" and high.is_integer() else high,
                integer=kind == "long",
                max_length=int(_config(constraints, "maxlength") or 0) or None,
                min_length=int(_config(constraints, "minlength") or 0) or None,
            )
        )
    return Form(key=key, title=str(spec.get("title") or key), title_en=None, fields=tuple(fields))


def _config(constraints: Mapping[str, Any], name: str) -> float | None:
    text = constraints.get(name)
    return float(text) if text not in (None, "") else None
