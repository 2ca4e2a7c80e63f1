"""Task form validation as the engine asks for it, with the organisation's live choice lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.directory import Directory
from engine.errors import InvalidData
from forms import FormInvalid, FormRegistry

COORDINATOR_DEPARTMENT = "crc"  # the customer-relations centre, whose people own a case end to end


class FormValidator:
    def __init__(self, forms: FormRegistry, directory: Directory) -> None:
        self.forms = forms
        self.directory = directory

    def choices(self, name: str) -> list[tuple[str, str]]:
        if name == "departments":
            return self.directory.department_choices()
        if name == "coordinators":
            # First-contact ownership: the reply goes back to one of the centre's own people.
            return self.directory.member_choices(COORDINATOR_DEPARTMENT)
        raise LookupError(f"no choice list named '{name}'")

    def validate(self, form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise InvalidData("data must be an object of field values", {})
        try:
            return self.forms.get(form_key).validate(data, self.choices)
        except FormInvalid as exc:
            raise InvalidData("the form has errors", exc.errors) from exc

    def schema(self, form_key: str) -> dict[str, Any]:
        return self.forms.get(form_key).json_schema(self.choices)
