"""Form definitions (JSON files), validation of submitted data and JSON Schema rendering.

Standard library only: nothing here imports the web layer, the engine or the CRM.
"""

from forms.bundle import FormSet, form_keys, read_form_file, version_forms
from forms.fields import FIELD_TYPES, Choice, Field
from forms.loader import BUNDLED_DIR, FormRegistry, load_form
from forms.model import ChoiceSource, Form, FormError, FormInvalid

__all__ = [
    "BUNDLED_DIR",
    "FIELD_TYPES",
    "Choice",
    "ChoiceSource",
    "Field",
    "Form",
    "FormError",
    "FormInvalid",
    "FormRegistry",
    "FormSet",
    "form_keys",
    "read_form_file",
    "version_forms",
    "load_form",
]
