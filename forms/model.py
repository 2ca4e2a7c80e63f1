"""Forms: validation of submitted data and JSON Schema rendering. Standard library only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from forms.fields import (
    CHOICE_TYPES,
    Choice,
    Field,
    FieldValueError,
    clean_value,
    is_missing,
    property_schema,
)

ChoiceSource = Callable[[str], list[tuple[str, str]]]
"""Name of a dynamic choice list (e.g. ``"departments"``) -> ``[(value, label), ...]``."""

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# A form longer than this is a mistake, not a form anyone fills in; reading stops there.
MAX_FORM_FIELDS = 200


class FormError(Exception):
    """A malformed form definition file; the message names the file and the problem."""


class FormInvalid(Exception):
    """Submitted data does not satisfy the form; ``errors`` maps field name -> message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


def _to_choice(item: object) -> Choice:
    if isinstance(item, Choice):
        return item
    if isinstance(item, tuple | list) and len(item) in (2, 3):
        label_en = str(item[2]) if len(item) == 3 and item[2] is not None else None
        return Choice(str(item[0]), str(item[1]), label_en)
    raise TypeError(f"a choice source must return (value, label) pairs, got {item!r}")


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    title_en: str | None
    fields: tuple[Field, ...]
    # Groups of fields of which at least one must be filled in (a contractor or an engineer to rectify).
    one_required: tuple[tuple[str, ...], ...] = ()

    def field(self, name: str) -> Field:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(f"form {self.key!r} has no field {name!r}")

    def choices_for(self, field: Field, source: ChoiceSource | None) -> list[Choice]:
        """Static choices, or the dynamic list ``source(field.choices_from)``.

        Raises LookupError when the field's choices are dynamic and no source was given.
        """
        if field.choices_from is None:
            return list(field.choices)
        if source is None:
            raise LookupError(
                f"form {self.key!r}: field {field.name!r} takes its choices from "
                f"{field.choices_from!r} but no choice source was given"
            )
        return [_to_choice(item) for item in source(field.choices_from)]

    def validate(self, data: Mapping[str, object], source: ChoiceSource | None = None) -> dict[str, object]:
        """Return the cleaned data or raise FormInvalid with every field error at once.

        The result has every declared field (in form order): missing values are ``None``,
        or ``[]`` for multichoice and file fields. ``data`` may be a JSON object or an HTML
        form: objects with ``getlist`` (multi-dicts) are read with it for list fields, and a
        one-element list is accepted for a single-value field.
        """
        errors: dict[str, str] = {}
        declared = {field.name for field in self.fields}
        for key in data:
            if key not in declared:
                errors[str(key)] = "unknown field"

        getlist = getattr(data, "getlist", None)
        cleaned: dict[str, object] = {}
        for field in self.fields:
            if field.is_list and callable(getlist):
                raw = getlist(field.name)
            else:
                raw = data.get(field.name)
            if is_missing(raw):
                # An unticked checkbox is not posted at all: it means false.
                cleaned[field.name] = [] if field.is_list else (False if field.type == "boolean" else None)
                continue
            choices = self.choices_for(field, source) if field.type in CHOICE_TYPES else None
            try:
                cleaned[field.name] = clean_value(field, raw, choices)
            except FieldValueError as exc:
                errors[field.name] = str(exc)

        for field in self.fields:
            if field.type == "boolean" and field.required and cleaned[field.name] is False:
                errors.setdefault(field.name, "must be ticked")
            if field.name in errors or not _is_empty(cleaned[field.name]):
                continue
            if self._is_required(field, cleaned, errors):
                errors[field.name] = "required"
        for group in self.one_required:
            if all(_is_empty(cleaned[name]) and name not in errors for name in group):
                for name in group:
                    errors[name] = "fill in at least one of these"

        if errors:
            raise FormInvalid(errors)
        return cleaned

    def _is_required(self, field: Field, cleaned: Mapping[str, object], errors: Mapping[str, str]) -> bool:
        if field.required:
            return True
        if not field.required_when:
            return False
        # When a controlling field is itself invalid its error is reported instead.
        return all(
            name not in errors and cleaned.get(name) == expected
            for name, expected in field.required_when.items()
        )

    def json_schema(self, source: ChoiceSource | None = None) -> dict[str, object]:
        """JSON Schema (draft 2020-12) describing the form.

        Without ``source``, dynamic choice fields carry ``x-choices-from`` instead of ``enum``.
        ``required_when`` is given as a description plus ``x-required-when``.
        """
        properties: dict[str, object] = {}
        for field in self.fields:
            choices = None
            if field.type in CHOICE_TYPES and (field.choices_from is None or source is not None):
                choices = self.choices_for(field, source)
            prop = property_schema(field, choices)
            notes = [field.help] if field.help else []
            if field.required_when:
                notes.append(self._required_when_text(field.required_when))
                prop["x-required-when"] = dict(field.required_when)
            if notes:
                prop["description"] = " ".join(notes)
            properties[field.name] = prop
        schema: dict[str, object] = {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": self.title,
            "type": "object",
            "properties": properties,
            "required": [field.name for field in self.fields if field.required],
            "additionalProperties": False,
            # The order to show the fields in: JSON objects have none once serialised with sorted keys.
            "x-order": [field.name for field in self.fields],
        }
        if self.title_en:
            schema["x-title-en"] = self.title_en
        if self.one_required:
            schema["x-one-required"] = [list(group) for group in self.one_required]
        return schema

    def _required_when_text(self, condition: Mapping[str, object]) -> str:
        parts = []
        for name, expected in condition.items():
            label = self.field(name).label if any(f.name == name for f in self.fields) else name
            parts.append(f"{label} = {expected}")
        return "Required when " + " and ".join(parts)


def _is_empty(value: object) -> bool:
    return value is None or value == []
