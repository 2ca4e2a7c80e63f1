"""A task's form (from forms/) as the page renders it, and the values a submitted page carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from crm.models import Attachment
from forms import ChoiceSource, Field, Form
from webapp.i18n import is_english, label


@dataclass(frozen=True)
class FieldView:
    field: Field
    label: str
    value: str = ""
    values: list[str] = field(default_factory=list)
    error: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    note: str | None = None

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def type(self) -> str:
        return self.field.type

    @property
    def accept(self) -> str:
        return ",".join(self.field.accept)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def field_views(
    form: Form,
    source: ChoiceSource,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    files: Mapping[str, Attachment],
) -> list[FieldView]:
    views = []
    for f in form.fields:
        raw = values.get(f.name)
        items = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
        choices = (
            [(c.value, label(c)) for c in form.choices_for(f, source)] if f.choices or f.choices_from else []
        )
        note = None
        if f.required_when:
            note = _("%(condition)s时必填", condition=_when(form, f.required_when))
        views.append(
            FieldView(
                field=f,
                label=label(f),
                value=_text(raw) if not isinstance(raw, list) else "",
                values=[_text(v) for v in items],
                error=errors.get(f.name),
                choices=choices,
                files=[files[t] for t in items if isinstance(t, str) and t in files]
                if f.type == "file"
                else [],
                note=note,
            )
        )
    return views


def collect(form: Form, submitted: MultiDict[str, str]) -> dict[str, Any]:
    """The declared fields' values from a posted page (file fields are handled by the caller)."""
    values: dict[str, Any] = {}
    for f in form.fields:
        if f.type == "file":
            continue
        if f.type == "multichoice":
            values[f.name] = [v for v in submitted.getlist(f.name) if v]
        else:
            value = submitted.get(f.name)
            if value is not None:
                values[f.name] = value
    return values


def _when(form: Form, required_when: Mapping[str, Any]) -> str:
    """The condition as a CR centre says it: 业主满意 (a yes/no question 业主是否满意 answered yes),
    紧急程度为紧急."""
    parts = []
    for other, expected in required_when.items():
        field = form.field(other)
        name = label(field)
        if field.type == "yesno" and "是否" in name and not is_english():
            parts.append(name.replace("是否", "" if expected == "yes" else "不", 1))
            continue
        shown = {c.value: label(c) for c in field.choices}.get(str(expected), str(expected))
        if field.type == "yesno":
            shown = _("是") if expected == "yes" else _("否")
        parts.append(_("%(field)s为%(value)s", field=name, value=shown))
    return _("且").join(parts)
