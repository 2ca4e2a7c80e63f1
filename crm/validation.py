"""Task form validation as the engine asks for it, with the organisation's live choice lists, against the
forms of the version the instance runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from crm.directory import Directory
from crm.version_forms import VersionForms
from engine.errors import InvalidData
from engine.models import HumanTask, ProcessDefinition, ProcessInstance
from forms import Form, FormInvalid, FormRegistry, FormSet

COORDINATOR_DEPARTMENT = "crc"  # the customer-relations centre, whose people own a case end to end
ENGINEERING_DEPARTMENT = "engineering"  # engineering assigns, rectifies and re-verifies defects


class FormValidator:
    def __init__(
        self,
        forms: FormRegistry,
        directory: Directory,
        versions: VersionForms | None = None,
        session: Session | None = None,
    ) -> None:
        self.forms = forms
        self.directory = directory
        self.versions = versions or VersionForms(forms)
        self.session = session

    def choices(self, name: str) -> list[tuple[str, str]]:
        if name == "departments":
            # A contractor's department is given its work by engineering (defects), never at triage.
            return self.directory.internal_department_choices()
        if name == "coordinators":
            # First-contact ownership: the reply goes back to one of the centre's own people.
            return self.directory.member_choices(COORDINATOR_DEPARTMENT)
        if name == "engineers":
            return self.directory.member_choices(ENGINEERING_DEPARTMENT)
        if name == "contractors":
            return self.directory.contractor_choices()
        raise LookupError(f"no choice list named '{name}'")

    def forms_of(self, definition: ProcessDefinition | None) -> FormSet:
        """A version's forms (its own, then Lintel's); Lintel's alone without a version."""
        return self.versions.of(definition)

    def form(self, form_key: str | None, definition: ProcessDefinition | None = None) -> Form | None:
        forms = self.forms_of(definition)
        return forms.get(form_key) if form_key and form_key in forms else None

    def task_form(self, row: HumanTask) -> Form | None:
        """The form of an inbox row, from the version its instance runs."""
        return self.form(row.form_key, self.definition_of(row)) if row.form_key else None

    def definition_of(self, row: HumanTask) -> ProcessDefinition | None:
        if self.session is None:
            return None
        instance = self.session.get(ProcessInstance, row.instance_id)
        return instance.definition if instance is not None else None

    def validate(
        self, form_key: str, data: Mapping[str, Any], definition: ProcessDefinition | None = None
    ) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise InvalidData("data must be an object of field values", {})
        try:
            return self.forms_of(definition).get(form_key).validate(data, self.choices)
        except FormInvalid as exc:
            raise InvalidData("the form has errors", exc.errors) from exc

    def schema(self, form_key: str, definition: ProcessDefinition | None = None) -> dict[str, Any]:
        return self.forms_of(definition).get(form_key).json_schema(self.choices)
