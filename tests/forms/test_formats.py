"""Forms drawn elsewhere, read as Lintel forms: what is kept, what is left out, and what is refused."""

from __future__ import annotations

import json

import pytest

from forms import FormError, FormInvalid, FormRegistry, read_form_file, version_forms
from forms.camunda import CamundaFormProblem, from_camunda_form


def camunda(*components: dict[str, object], form_id: str = "f") -> bytes:
    return json.dumps({"type": "default", "id": form_id, "components": list(components)}).encode()


def test_a_camunda_form_is_found_by_its_id_and_its_file_name() -> None:
    found = read_form_file(
        "triage.form", camunda({"type": "textfield", "key": "a", "label": "甲"}, form_id="Form_1")
    )
    assert found.format == "camunda" and set(found.forms) == {"Form_1", "triage", "triage.form"}


def test_layout_is_left_out_and_groups_are_flattened() -> None:
    form = read_form_file(
        "x.form",
        camunda(
            {"type": "text", "text": "说明"},
            {"type": "group", "components": [{"type": "number", "key": "n", "decimalDigits": 0}]},
            {"type": "button", "key": "submit"},
        ),
    ).forms["f"]
    assert [(f.name, f.type, f.integer) for f in form.fields] == [("n", "number", True)]


@pytest.mark.parametrize(
    ("component", "reason"),
    [
        ({"type": "textfield", "key": "a.b"}, "key 'a.b' is not a plain name"),
        ({"type": "select", "key": "s", "valuesKey": "options"}, "options from process data"),
        ({"type": "filepicker", "key": "p"}, "component type 'filepicker' is not supported"),
        (
            {"type": "textfield", "key": "t", "validate": {"pattern": "("}},
            "is not a valid regular expression",
        ),
    ],
)
def test_what_a_camunda_form_cannot_mean_here_is_refused(component: dict[str, object], reason: str) -> None:
    with pytest.raises(FormError) as refused:
        read_form_file("bad.form", camunda(component))
    assert str(refused.value).startswith("bad.form: ") and reason in str(refused.value)


def test_a_json_schema_with_its_ui_schema() -> None:
    schema = {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "note": {"type": "string"},
            "kind": {"type": "string", "enum": ["a", "b"], "enumNames": ["甲", "乙"]},
            "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": ["x", "y"]}},
            "secret": {"type": "string"},
        },
    }
    ui = {"ui:order": ["kind", "note"], "note": {"ui:widget": "textarea"}, "secret": {"ui:widget": "hidden"}}
    files = [("s.json", json.dumps(schema).encode()), ("u.json", json.dumps(ui).encode())]
    forms = version_forms(
        files, {"s.json#u.json": {"format": "json-schema", "schema": "s.json", "ui": "u.json"}}, None
    )
    form = forms.get("s.json#u.json")
    assert [(f.name, f.type) for f in form.fields] == [
        ("kind", "choice"),
        ("note", "textarea"),
        ("tags", "multichoice"),
    ]
    assert [c.label for c in form.fields[0].choices] == ["甲", "乙"]
    with pytest.raises(FormInvalid) as invalid:
        form.validate({"tags": ["z"]})
    assert invalid.value.errors == {"tags": "must be one of: x, y", "kind": "required"}


def test_a_nested_object_in_a_schema_is_refused() -> None:
    schema = {"type": "object", "properties": {"address": {"type": "object", "properties": {}}}}
    with pytest.raises(FormError, match="property 'address': type 'object' is not supported"):
        read_form_file("s.json", json.dumps(schema).encode())


def test_a_versions_forms_come_before_the_bundled_ones() -> None:
    own = {
        "key": "complaint_triage",
        "title": "我的分派",
        "fields": [{"name": "x", "type": "text", "label": "X"}],
    }
    forms = version_forms([("complaint_triage.json", json.dumps(own).encode())], {}, FormRegistry.bundled())
    assert forms.get("complaint_triage").title == "我的分派"
    assert forms.get("complaint_handle").key == "complaint_handle"
    assert "nope" not in forms


def test_a_required_checkbox_must_be_ticked_and_an_unticked_one_is_false() -> None:
    form = read_form_file(
        "c.form",
        camunda(
            {"type": "checkbox", "key": "agree", "validate": {"required": True}},
            {"type": "checkbox", "key": "extra"},
        ),
    ).forms["f"]
    with pytest.raises(FormInvalid) as invalid:
        form.validate({})
    assert invalid.value.errors == {"agree": "must be ticked"}
    assert form.validate({"agree": "true"}) == {"agree": True, "extra": False}


def test_a_camunda_form_with_more_fields_than_a_form_holds_is_refused_without_reading_them_all() -> None:
    components = [{"type": "textfield", "key": f"f{i}", "label": str(i)} for i in range(60_000)]
    with pytest.raises(CamundaFormProblem, match="more than 200 fields: a form has at most 200"):
        from_camunda_form({"type": "default", "id": "wide", "components": components}, "wide")
    dupes = [{"type": "textfield", "key": "same"}, {"type": "number", "key": "same"}]
    with pytest.raises(CamundaFormProblem, match="two components have the key 'same'"):
        from_camunda_form({"type": "default", "id": "dup", "components": dupes}, "dup")
