"""Reading form definition files (JSON) and the registry of loaded forms."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from forms.fields import (
    CHOICE_TYPES,
    FIELD_TYPES,
    LIST_TYPES,
    Choice,
    Field,
    FieldValueError,
    clean_value,
)
from forms.model import Form, FormError

BUNDLED_DIR = Path(__file__).resolve().parent / "definitions"

_FORM_KEYS = {"key", "title", "title_en", "fields", "one_required"}
_COMMON_ATTRS = {"name", "type", "label", "label_en", "required", "help", "required_when"}
_TYPE_ATTRS: dict[str, set[str]] = {
    "text": {"max_length", "min_length", "pattern"},
    "textarea": {"max_length", "min_length", "pattern"},
    "number": {"min", "max", "integer"},
    "date": set(),
    "datetime": set(),
    "time": set(),
    "boolean": set(),
    "choice": {"choices", "choices_from", "widget"},
    "multichoice": {"choices", "choices_from"},
    "rating": {"max"},
    "yesno": set(),
    "file": {"accept", "multiple"},
}
_ALL_ATTRS = _COMMON_ATTRS.union(*_TYPE_ATTRS.values())


class _Problem(Exception):
    """A problem inside one file; turned into FormError naming the file."""


def _text(obj: Mapping[str, object], key: str, where: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _Problem(f"{where}{key!r} must be a non-empty string")
    return value


def _flag(obj: Mapping[str, object], key: str, where: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise _Problem(f"{where}{key!r} must be true or false")
    return value


def _number(obj: Mapping[str, object], key: str, where: str) -> int | float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Problem(f"{where}{key!r} must be a number")
    return value


def _parse_choices(raw: object, where: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        raise _Problem(f"{where}'choices' must be a non-empty list")
    choices: list[Choice] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"value", "label", "label_en"}:
            raise _Problem(f"{where}each choice must be an object with value, label and optional label_en")
        value = _text(item, "value", f"{where}choice ")
        label = _text(item, "label", f"{where}choice {value!r}: ")
        label_en = _text(item, "label_en", f"{where}choice {value!r}: ", required=False)
        assert value is not None and label is not None
        if any(choice.value == value for choice in choices):
            raise _Problem(f"{where}duplicate choice value {value!r}")
        choices.append(Choice(value, label, label_en))
    return tuple(choices)


def _parse_field(raw: object, index: int) -> Field:
    if not isinstance(raw, dict):
        raise _Problem(f"field #{index + 1} must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise _Problem(f"field #{index + 1}: 'name' must be an identifier, got {name!r}")
    where = f"field {name!r}: "
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise _Problem(f"{where}unknown type {kind!r} (expected one of: {', '.join(sorted(FIELD_TYPES))})")
    for attr in raw:
        if attr not in _ALL_ATTRS:
            raise _Problem(f"{where}unknown attribute {attr!r}")
        if attr not in _COMMON_ATTRS and attr not in _TYPE_ATTRS[kind]:
            raise _Problem(f"{where}{attr!r} does not apply to type {kind!r}")

    choices: tuple[Choice, ...] = ()
    choices_from = _text(raw, "choices_from", where, required=False)
    if kind in CHOICE_TYPES:
        if ("choices" in raw) == (choices_from is not None):
            raise _Problem(f"{where}a {kind} field needs exactly one of 'choices' or 'choices_from'")
        if "choices" in raw:
            choices = _parse_choices(raw["choices"], where)

    low, high = _number(raw, "min", where), _number(raw, "max", where)
    if low is not None and high is not None and low > high:
        raise _Problem(f"{where}'min' is greater than 'max'")
    if kind == "rating" and high is not None and (not isinstance(high, int) or high < 2):
        raise _Problem(f"{where}'max' of a rating must be an integer of at least 2")
    integer = _flag(raw, "integer", where)
    if integer and any(bound is not None and not float(bound).is_integer() for bound in (low, high)):
        raise _Problem(f"{where}'min'/'max' of an integer field must be whole numbers")

    max_length = raw.get("max_length")
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
    ):
        raise _Problem(f"{where}'max_length' must be a positive integer")
    min_length = raw.get("min_length")
    if min_length is not None and (
        isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 0
    ):
        raise _Problem(f"{where}'min_length' must be a whole number")
    pattern = _text(raw, "pattern", where, required=False)
    if pattern is not None:
        check_pattern(pattern, where)
    widget = _text(raw, "widget", where, required=False)
    if widget not in (None, "select", "radio"):
        raise _Problem(f"{where}'widget' must be select or radio")

    accept = raw.get("accept", [])
    if not isinstance(accept, list) or not all(
        isinstance(ext, str) and ext.startswith(".") and len(ext) > 1 for ext in accept
    ):
        raise _Problem(f"{where}'accept' must be a list of extensions like \".jpg\"")

    required_when = raw.get("required_when")
    if required_when is not None and (not isinstance(required_when, dict) or not required_when):
        raise _Problem(f"{where}'required_when' must be a non-empty object")
    required = _flag(raw, "required", where)
    if required and required_when:
        raise _Problem(f"{where}'required' and 'required_when' cannot both be set")

    return Field(
        name=name,
        type=kind,
        label=_text(raw, "label", where) or "",
        label_en=_text(raw, "label_en", where, required=False),
        required=required,
        help=_text(raw, "help", where, required=False),
        choices=choices,
        choices_from=choices_from,
        min=low,
        max=high,
        max_length=max_length,
        required_when=dict(required_when) if required_when else None,
        accept=tuple(ext.lower() for ext in accept),
        multiple=_flag(raw, "multiple", where),
        integer=integer,
        min_length=min_length,
        pattern=pattern,
        widget=widget,
    )


def check_pattern(pattern: str, where: str = "") -> None:
    """A field's pattern must be a regular expression Python compiles."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _Problem(f"{where}pattern {pattern!r} is not a valid regular expression ({exc})") from None


def _resolve_required_when(fields: list[Field]) -> list[Field]:
    """Check ``required_when`` targets and normalise the expected values (true -> "yes")."""
    by_name = {field.name: field for field in fields}
    resolved: list[Field] = []
    for field in fields:
        if not field.required_when:
            resolved.append(field)
            continue
        condition: dict[str, object] = {}
        for other_name, expected in field.required_when.items():
            other = by_name.get(other_name)
            where = f"field {field.name!r}: required_when "
            if other is None or other is field:
                raise _Problem(f"{where}refers to unknown field {other_name!r}")
            if other.type in LIST_TYPES:
                raise _Problem(f"{where}cannot depend on {other.type} field {other_name!r}")
            choices = None if other.choices_from else other.choices
            try:
                condition[other_name] = clean_value(other, expected, choices)
            except FieldValueError as exc:
                raise _Problem(f"{where}value {expected!r} for {other_name!r}: {exc}") from None
        resolved.append(dataclasses.replace(field, required_when=condition))
    return resolved


def parse_form(raw: object, expected_key: str | None = None) -> Form:
    """Build a Form from decoded JSON; raises ``_Problem`` (wrapped by load_form)."""
    if not isinstance(raw, dict):
        raise _Problem("the file must contain a JSON object")
    unknown = sorted(set(raw) - _FORM_KEYS)
    if unknown:
        raise _Problem(f"unknown key(s): {', '.join(unknown)}")
    key = _text(raw, "key", "")
    if expected_key is not None and key != expected_key:
        raise _Problem(f"key {key!r} does not match the file name {expected_key!r}")
    title = _text(raw, "title", "")
    title_en = _text(raw, "title_en", "", required=False)
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise _Problem("'fields' must be a non-empty list")
    fields: list[Field] = []
    for index, item in enumerate(raw_fields):
        field = _parse_field(item, index)
        if any(existing.name == field.name for existing in fields):
            raise _Problem(f"duplicate field name {field.name!r}")
        fields.append(field)
    assert key is not None and title is not None
    one_required = _one_required(raw.get("one_required"), {field.name for field in fields})
    return Form(
        key=key,
        title=title,
        title_en=title_en,
        fields=tuple(_resolve_required_when(fields)),
        one_required=one_required,
    )


def _one_required(raw: object, names: set[str]) -> tuple[tuple[str, ...], ...]:
    """`one_required`: a list of groups of two or more field names, at least one of each filled in."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise _Problem("'one_required' must be a non-empty list of lists of field names")
    groups = []
    for group in raw:
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(n, str) for n in group):
            raise _Problem("each group of 'one_required' must list two or more field names")
        unknown = sorted(set(group) - names)
        if unknown:
            raise _Problem(f"'one_required' names no such field: {', '.join(unknown)}")
        groups.append(tuple(group))
    return tuple(groups)


def load_form(path: Path) -> Form:
    """Load one form file; its ``key`` must equal the file name stem."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise FormError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise FormError(f"{path}: invalid JSON ({exc.msg} at {where})") from None
    try:
        return parse_form(raw, expected_key=path.stem)
    except _Problem as exc:
        raise FormError(f"{path}: {exc}") from None


class FormRegistry:
    """The set of known forms, by key."""

    def __init__(self, forms: Mapping[str, Form]) -> None:
        for key, form in forms.items():
            if key != form.key:
                raise ValueError(f"registry key {key!r} does not match form key {form.key!r}")
        self._forms: dict[str, Form] = dict(forms)

    @classmethod
    def from_directory(cls, path: Path) -> FormRegistry:
        """Load every ``*.json`` in ``path``; raises FormError listing every bad file."""
        path = Path(path)
        if not path.is_dir():
            raise FormError(f"{path}: not a directory")
        forms: dict[str, Form] = {}
        problems: list[str] = []
        for file in sorted(path.glob("*.json")):
            try:
                form = load_form(file)
            except FormError as exc:
                problems.append(str(exc))
            else:
                forms[form.key] = form
        if problems:
            raise FormError("\n".join(problems))
        return cls(forms)

    @classmethod
    def bundled(cls) -> FormRegistry:
        """The forms shipped in ``forms/definitions``."""
        return cls.from_directory(BUNDLED_DIR)

    def get(self, key: str) -> Form:
        try:
            return self._forms[key]
        except KeyError:
            raise KeyError(f"unknown form {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._forms

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._forms))

    def __len__(self) -> int:
        return len(self._forms)

    def keys(self) -> list[str]:
        return sorted(self._forms)
