"""Field and choice definitions, value cleaning and per-field JSON Schema.

Standard library only. Cleaning functions raise :class:`FieldValueError` with a short,
user-facing message; :meth:`forms.model.Form.validate` collects them per field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

FIELD_TYPES = frozenset(
    {
        "text",
        "textarea",
        "number",
        "date",
        "datetime",
        "time",
        "choice",
        "multichoice",
        "rating",
        "yesno",
        "boolean",
        "file",
    }
)
LIST_TYPES = frozenset({"multichoice", "file"})  # cleaned value is always a list
CHOICE_TYPES = frozenset({"choice", "multichoice"})
DEFAULT_RATING_MAX = 5

_YES = frozenset({"yes", "true", "是"})
_NO = frozenset({"no", "false", "否"})
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_TRUE = frozenset({"true", "on", "yes", "1", "是"})
_FALSE = frozenset({"false", "off", "no", "0", "否"})


class FieldValueError(ValueError):
    """A submitted value does not fit its field; ``str(exc)`` is the message shown to the user."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    label_en: str | None = None


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    label_en: str | None = None
    required: bool = False
    help: str | None = None
    choices: tuple[Choice, ...] = ()
    choices_from: str | None = None
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None
    # Excluded from hashing so Field (and Form) stay hashable.
    required_when: dict[str, object] | None = dataclasses.field(default=None, hash=False)
    accept: tuple[str, ...] = ()
    multiple: bool = False
    integer: bool = False
    # Text: the shortest length and a regular expression the whole value must match (Camunda Forms, JSON
    # Schema, camunda:formData).
    min_length: int | None = None
    pattern: str | None = None
    # How a choice is shown: a select (default) or radio buttons.
    widget: str | None = None

    @property
    def is_list(self) -> bool:
        return self.type in LIST_TYPES

    @property
    def rating_max(self) -> int:
        return int(self.max) if self.max is not None else DEFAULT_RATING_MAX


def is_missing(raw: object) -> bool:
    """None, empty/blank strings and empty lists count as 'not given'."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(is_missing(item) for item in raw)
    return False


def clean_value(field: Field, raw: object, choices: Sequence[Choice] | None) -> object:
    """Coerce a non-missing raw value; ``choices=None`` skips the membership check."""
    if field.is_list:
        items = list(raw) if isinstance(raw, list | tuple) else [raw]
        items = [item for item in items if not is_missing(item)]
        if field.type == "multichoice":
            return _clean_multichoice(items, choices)
        return _clean_files(field, items)
    if isinstance(raw, list | tuple):  # HTML forms posted as lists: ["3"] -> "3"
        present = [item for item in raw if not is_missing(item)]
        if len(present) != 1:
            raise FieldValueError("must be a single value")
        raw = present[0]
    cleaner = _SCALAR_CLEANERS[field.type]
    return cleaner(field, raw, choices)


def _clean_text(field: Field, raw: object, _choices: Sequence[Choice] | None) -> str:
    if not isinstance(raw, str):
        raise FieldValueError("must be text")
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if field.max_length is not None and len(text) > field.max_length:
        raise FieldValueError(f"must be at most {field.max_length} characters")
    if field.min_length is not None and len(text) < field.min_length:
        raise FieldValueError(f"must be at least {field.min_length} characters")
    if field.pattern is not None and not _matches(field.pattern, text):
        raise FieldValueError(f"must match the pattern {field.pattern}")
    return text


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:  # checked when the form is read; a pattern Python cannot compile matches nothing
        return False


def _clean_datetime(_field: Field, raw: object, _choices: Sequence[Choice] | None) -> str:
    if isinstance(raw, str) and _DATETIME_RE.match(raw.strip()):
        try:
            return dt.datetime.fromisoformat(raw.strip().replace(" ", "T")).isoformat(timespec="minutes")
        except ValueError:
            pass
    raise FieldValueError("must be a date and time (YYYY-MM-DDTHH:MM)")


def _clean_time(_field: Field, raw: object, _choices: Sequence[Choice] | None) -> str:
    if isinstance(raw, str) and _TIME_RE.match(raw.strip()):
        try:
            return dt.time.fromisoformat(raw.strip()).isoformat(timespec="minutes")
        except ValueError:
            pass
    raise FieldValueError("must be a time (HH:MM)")


def _clean_boolean(_field: Field, raw: object, _choices: Sequence[Choice] | None) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise FieldValueError("must be true or false")


def _parse_number(raw: object) -> int | float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return raw if math.isfinite(raw) else None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    try:
        if _INT_RE.match(text):
            return int(text)
        if _FLOAT_RE.match(text):
            number = float(text)
            return number if math.isfinite(number) else None
    except ValueError:  # e.g. more digits than int() accepts
        return None
    return None


def _fmt(number: int | float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def number_expectation(field: Field) -> str:
    kind = "an integer" if field.integer or field.type == "rating" else "a number"
    low = 1 if field.type == "rating" else field.min
    high = field.rating_max if field.type == "rating" else field.max
    if low is not None and high is not None:
        return f"must be {kind} between {_fmt(low)} and {_fmt(high)}"
    if low is not None:
        return f"must be {kind} of at least {_fmt(low)}"
    if high is not None:
        return f"must be {kind} of at most {_fmt(high)}"
    return f"must be {kind}"


def _clean_number(field: Field, raw: object, _choices: Sequence[Choice] | None) -> int | float:
    number = _parse_number(raw)
    if number is None:
        raise FieldValueError(number_expectation(field))
    if field.integer or field.type == "rating":
        if isinstance(number, float):
            if not number.is_integer():
                raise FieldValueError(number_expectation(field))
            number = int(number)
    low = 1 if field.type == "rating" else field.min
    high = field.rating_max if field.type == "rating" else field.max
    if (low is not None and number < low) or (high is not None and number > high):
        raise FieldValueError(number_expectation(field))
    return number


def _clean_date(_field: Field, raw: object, _choices: Sequence[Choice] | None) -> str:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw.isoformat()
    if isinstance(raw, str) and _DATE_RE.match(raw.strip()):
        try:
            return dt.date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            pass
    raise FieldValueError("must be a date (YYYY-MM-DD)")


def _one_of(choices: Sequence[Choice]) -> str:
    if not choices:
        return "no choices are available"
    return "must be one of: " + ", ".join(choice.value for choice in choices)


def _choice_value(raw: object, choices: Sequence[Choice] | None) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # ids from a JSON client: 3 -> "3"
    if not isinstance(raw, str):
        raise FieldValueError(_one_of(choices) if choices is not None else "must be text")
    value = raw.strip()
    if choices is not None and value not in {choice.value for choice in choices}:
        raise FieldValueError(_one_of(choices))
    return value


def _clean_choice(_field: Field, raw: object, choices: Sequence[Choice] | None) -> str:
    return _choice_value(raw, choices)


def _clean_multichoice(items: list[object], choices: Sequence[Choice] | None) -> list[str]:
    values: list[str] = []
    for item in items:
        value = _choice_value(item, choices)
        if value not in values:
            values.append(value)
    return values


def _clean_yesno(_field: Field, raw: object, _choices: Sequence[Choice] | None) -> str:
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _YES:
            return "yes"
        if word in _NO:
            return "no"
    raise FieldValueError("must be yes or no")


def _clean_files(field: Field, items: list[object]) -> list[str]:
    if not all(isinstance(item, str) for item in items):
        raise FieldValueError("must be a list of file ids")
    if not field.multiple and len(items) > 1:
        raise FieldValueError("only one file is allowed")
    return [str(item).strip() for item in items]


_SCALAR_CLEANERS = {
    "text": _clean_text,
    "textarea": _clean_text,
    "number": _clean_number,
    "rating": _clean_number,
    "date": _clean_date,
    "datetime": _clean_datetime,
    "time": _clean_time,
    "boolean": _clean_boolean,
    "choice": _clean_choice,
    "yesno": _clean_yesno,
}


def property_schema(field: Field, choices: Sequence[Choice] | None) -> dict[str, object]:
    """JSON Schema (2020-12) for one field; ``choices=None`` means dynamic and unresolved."""
    schema: dict[str, object] = {"title": field.label}
    if field.label_en:
        schema["x-label-en"] = field.label_en
    kind = field.type
    if kind in ("text", "textarea"):
        schema["type"] = "string"
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.min_length is not None:
            schema["minLength"] = field.min_length
        if field.pattern is not None:
            schema["pattern"] = field.pattern
        if kind == "textarea":
            schema["x-widget"] = "textarea"
    elif kind == "number":
        schema["type"] = "integer" if field.integer else "number"
        if field.min is not None:
            schema["minimum"] = field.min
        if field.max is not None:
            schema["maximum"] = field.max
    elif kind == "rating":
        schema.update(type="integer", minimum=1, maximum=field.rating_max)
        schema["x-widget"] = "rating"
    elif kind == "date":
        schema.update(type="string", format="date")
    elif kind == "datetime":
        schema.update(type="string", format="date-time")
    elif kind == "time":
        schema.update(type="string", format="time")
    elif kind == "boolean":
        schema["type"] = "boolean"
    elif kind == "yesno":
        schema.update(type="string", enum=["yes", "no"])
        schema["x-labels"] = {"yes": "是", "no": "否"}
    elif kind in CHOICE_TYPES:
        item: dict[str, object] = {"type": "string"}
        if choices is not None:
            item["enum"] = [choice.value for choice in choices]
            schema["x-labels"] = {choice.value: choice.label for choice in choices}
            labels_en = {choice.value: choice.label_en for choice in choices if choice.label_en}
            if labels_en:
                schema["x-labels-en"] = labels_en
        if field.choices_from:
            schema["x-choices-from"] = field.choices_from
        if kind == "choice":
            schema.update(item)
            if field.widget:
                schema["x-widget"] = field.widget
        else:
            schema.update(type="array", items=item, uniqueItems=True)
    elif kind == "file":
        schema.update(type="array", items={"type": "string"})
        schema["x-widget"] = "file"
        if not field.multiple:
            schema["maxItems"] = 1
        if field.accept:
            schema["x-accept"] = list(field.accept)
    return schema
