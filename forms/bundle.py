"""The forms of one deployed version: read from the form files deployed with the diagram and from what the
diagram itself describes, in front of the forms bundled with Lintel.

A form file is one of: Lintel's own JSON (key, title, fields); a Camunda Forms file (components), found by
its id and by its file name (`camunda-forms:deployment:triage.form` names it "triage"); a JSON Schema
(SpiffArena), found by its file name; a UI schema, which only goes with a JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from forms.camunda import CamundaFormProblem, from_camunda_form, from_form_data, is_camunda_form
from forms.json_schema import SchemaProblem, from_json_schema, is_json_schema, is_ui_schema
from forms.loader import FormRegistry, _Problem, parse_form
from forms.model import MAX_FORM_FIELDS, Form, FormError


@dataclass(frozen=True)
class FormFile:
    filename: str
    format: str  # lintel | camunda | json-schema | ui-schema
    forms: Mapping[str, Form]  # by every key that names it
    raw: Any


def _stem(filename: str) -> str:
    return filename.rsplit(".", 1)[0] if "." in filename else filename


def decode(filename: str, content: bytes) -> Any:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormError(f"{filename}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(
            f"{filename}: invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise FormError(f"{filename}: nested too deeply") from None


def read_form_file(filename: str, content: bytes) -> FormFile:
    """Read one deployed form file; raises FormError naming the file and the reason."""
    raw = decode(filename, content)
    try:
        if is_camunda_form(raw):
            form = from_camunda_form(raw, _stem(filename))
            keys = {form.key, _stem(filename), filename}
            return _checked(FormFile(filename, "camunda", dict.fromkeys(keys, form), raw))
        if isinstance(raw, dict) and "fields" in raw and "key" in raw:
            form = parse_form(raw)
            keys = {form.key, _stem(filename)}
            return _checked(FormFile(filename, "lintel", dict.fromkeys(keys, form), raw))
        if is_json_schema(raw):
            form = from_json_schema(filename, raw, None, _stem(filename))
            return _checked(FormFile(filename, "json-schema", {filename: form}, raw))
        if is_ui_schema(raw):
            return FormFile(filename, "ui-schema", {}, raw)
    except (CamundaFormProblem, SchemaProblem, _Problem) as exc:
        raise FormError(f"{filename}: {exc}") from None
    raise FormError(
        f"{filename}: not a form Lintel reads: expected Lintel's form JSON (key, title, fields), a Camunda "
        "Forms file (components), a JSON Schema (properties) or a UI schema (ui:order, ui:widget)"
    )


def _checked(found: FormFile) -> FormFile:
    for form in found.forms.values():
        if len(form.fields) > MAX_FORM_FIELDS:
            raise FormError(
                f"{found.filename}: {len(form.fields)} fields: a form has at most {MAX_FORM_FIELDS}"
            )
    return found


def form_keys(filename: str, content: bytes) -> list[str]:
    """The keys a deployed form file gives; ValueError with the reason when it is not a form."""
    try:
        return sorted(read_form_file(filename, content).forms)
    except FormError as exc:
        raise ValueError(str(exc).removeprefix(f"{filename}: ")) from None


class FormSet:
    """Forms by key: a version's own first, then a fallback registry (the forms bundled with Lintel)."""

    def __init__(self, own: Mapping[str, Form], fallback: FormRegistry | None = None) -> None:
        self._own = dict(own)
        self._fallback = fallback

    def get(self, key: str) -> Form:
        if key in self._own:
            return self._own[key]
        if self._fallback is not None and key in self._fallback:
            return self._fallback.get(key)
        raise KeyError(f"unknown form {key!r}")

    def __contains__(self, key: object) -> bool:
        return key in self._own or (self._fallback is not None and key in self._fallback)

    def own(self) -> dict[str, Form]:
        """The version's own forms, one entry per form (under its first key)."""
        seen: dict[int, str] = {}
        for key in sorted(self._own):
            seen.setdefault(id(self._own[key]), key)
        return {key: self._own[key] for key in seen.values()}

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(self._own) | set(self._fallback or ())))


def version_forms(
    files: Sequence[tuple[str, bytes]], specs: Mapping[str, Mapping[str, Any]], fallback: FormRegistry | None
) -> FormSet:
    """The forms of a deployed version: its form files and the forms its diagram describes (`specs`, the
    engine's ParsedDefinition.forms), in front of `fallback`."""
    own: dict[str, Form] = {}
    raw_files: dict[str, Any] = {}
    for filename, content in files:
        found = read_form_file(filename, content)
        raw_files[filename] = found.raw
        own.update(found.forms)
    for key, spec in specs.items():
        if spec.get("format") == "camunda-formdata":
            own[key] = from_form_data(key, spec)
        elif spec.get("format") == "json-schema":
            schema = raw_files.get(str(spec.get("schema")))
            ui = raw_files.get(str(spec.get("ui"))) if spec.get("ui") else None
            if not isinstance(schema, dict):
                raise FormError(f"{spec.get('schema')}: the JSON Schema is not among the version's files")
            own[key] = from_json_schema(
                key, schema, ui if isinstance(ui, dict) else None, str(spec.get("title"))
            )
    return FormSet(own, fallback)
