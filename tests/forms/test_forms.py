"""Behaviour of the forms package: bundled definitions, validation, JSON Schema, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms import Choice, FormError, FormInvalid, FormRegistry, load_form

DEPARTMENTS = [("eng", "工程部"), ("prop", "物业部"), ("3", "客服中心")]


def departments(name: str) -> list[tuple[str, str]]:
    if name == "coordinators":
        return [("crc", "李娜")]
    assert name == "departments"
    return DEPARTMENTS


@pytest.fixture(scope="module")
def registry() -> FormRegistry:
    return FormRegistry.bundled()


def write_form(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / f"{name}.json"
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def minimal(key: str, **field: object) -> dict[str, object]:
    return {"key": key, "title": "测试", "fields": [{"name": "f", "label": "字段", **field}]}


# --- bundled forms -------------------------------------------------------------------------


def test_every_bundled_form_loads(registry: FormRegistry) -> None:
    assert registry.keys() == [
        "bulletin_approve",
        "bulletin_draft",
        "complaint_confirm",
        "complaint_handle",
        "complaint_intake",
        "complaint_reply",
        "complaint_triage",
        "defect_assign",
        "defect_confirm",
        "defect_rectify",
        "defect_verify",
        "escalation_ack",
        "handover_appointment",
        "handover_handover",
        "progress_submit",
        "visit_call",
    ]
    assert "complaint_triage" in registry and "nope" not in registry
    with pytest.raises(KeyError):
        registry.get("nope")


def test_intake_channel_and_optional_category(registry: FormRegistry) -> None:
    form = registry.get("complaint_intake")
    assert [c.value for c in form.field("channel").choices] == [
        "hotline",
        "forum",
        "email",
        "walk_in",
        "open_day",
        "return_visit",
    ]
    cleaned = form.validate({"channel": "hotline", "description": "  厨房渗水  "})
    assert cleaned == {"channel": "hotline", "category": None, "description": "厨房渗水"}


def test_textarea_max_length_and_newlines(registry: FormRegistry) -> None:
    form = registry.get("complaint_intake")
    cleaned = form.validate({"channel": "email", "description": "第一行\r\n第二行"})
    assert cleaned["description"] == "第一行\n第二行"
    with pytest.raises(FormInvalid) as exc:
        form.validate({"channel": "email", "description": "字" * 4001})
    assert exc.value.errors == {"description": "must be at most 4000 characters"}


# --- validation ----------------------------------------------------------------------------


def test_all_errors_reported_at_once(registry: FormRegistry) -> None:
    form = registry.get("complaint_triage")
    with pytest.raises(FormInvalid) as exc:
        form.validate({"category": "", "severity": "critical", "colour": "red"}, departments)
    assert exc.value.errors == {
        "category": "required",
        "severity": "must be one of: urgent, high, normal, low",
        "department": "required",
        "colour": "unknown field",
    }


def test_dynamic_choices_from_source(registry: FormRegistry) -> None:
    form = registry.get("complaint_triage")
    data = {"category": "quality", "severity": "urgent", "department": "eng"}
    assert form.validate(data, departments)["department"] == "eng"
    assert form.validate({**data, "department": 3}, departments)["department"] == "3"
    assert form.choices_for(form.field("department"), departments)[0] == Choice("eng", "工程部", None)
    with pytest.raises(FormInvalid) as exc:
        form.validate({**data, "department": "marketing"}, departments)
    assert exc.value.errors == {"department": "must be one of: eng, prop, 3"}


def test_dynamic_choices_without_source_is_a_caller_error(registry: FormRegistry) -> None:
    form = registry.get("complaint_triage")
    with pytest.raises(LookupError, match="departments"):
        form.validate({"category": "quality", "severity": "low", "department": "eng"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", "yes"),
        ("NO", "no"),
        ("true", "yes"),
        ("false", "no"),
        (True, "yes"),
        (False, "no"),
        ("是", "yes"),
        ("否", "no"),
    ],
)
def test_yesno_normalised(registry: FormRegistry, raw: object, expected: str) -> None:
    form = registry.get("complaint_confirm")
    assert form.validate({"satisfied": raw, "score": "4"})["satisfied"] == expected


def test_yesno_rejects_other_values(registry: FormRegistry) -> None:
    with pytest.raises(FormInvalid) as exc:
        registry.get("complaint_confirm").validate({"satisfied": "maybe"})
    assert exc.value.errors == {"satisfied": "must be yes or no"}


def test_score_required_when_satisfied(registry: FormRegistry) -> None:
    form = registry.get("complaint_confirm")
    with pytest.raises(FormInvalid) as exc:
        form.validate({"satisfied": "是", "comment": "  "})
    assert exc.value.errors == {"score": "required"}
    assert form.validate({"satisfied": "yes", "score": "5"}) == {
        "satisfied": "yes",
        "score": 5,
        "comment": None,
    }


def test_score_optional_when_not_satisfied(registry: FormRegistry) -> None:
    form = registry.get("complaint_confirm")
    assert form.validate({"satisfied": False, "comment": "漏水未修好"}) == {
        "satisfied": "no",
        "score": None,
        "comment": "漏水未修好",
    }


@pytest.mark.parametrize("score", [0, 6, "4.5", "abc", True])
def test_rating_out_of_range_or_not_integer(registry: FormRegistry, score: object) -> None:
    with pytest.raises(FormInvalid) as exc:
        registry.get("complaint_confirm").validate({"satisfied": "yes", "score": score})
    assert exc.value.errors == {"score": "must be an integer between 1 and 5"}


def test_html_form_style_values(registry: FormRegistry) -> None:
    """Lists from a multi-dict (``to_dict(flat=False)``) are accepted for single-value fields."""
    form = registry.get("complaint_confirm")
    cleaned = form.validate({"satisfied": ["yes"], "score": ["3"], "comment": [""]})
    assert cleaned == {"satisfied": "yes", "score": 3, "comment": None}


def test_file_field_is_a_list_of_ids(registry: FormRegistry) -> None:
    form = registry.get("complaint_handle")
    assert form.validate({"resolution": "已更换窗户密封条"})["attachments"] == []
    cleaned = form.validate({"resolution": "已维修", "attachments": ["a1.jpg", "a2.pdf"]})
    assert cleaned["attachments"] == ["a1.jpg", "a2.pdf"]
    assert form.validate({"resolution": "已维修", "attachments": "a1.jpg"})["attachments"] == ["a1.jpg"]
    with pytest.raises(FormInvalid) as exc:
        form.validate({"resolution": "已维修", "attachments": [{"id": 1}]})
    assert exc.value.errors == {"attachments": "must be a list of file ids"}


def test_number_date_and_multichoice_coercion(tmp_path: Path) -> None:
    form = load_form(
        write_form(
            tmp_path,
            "visit",
            {
                "key": "visit",
                "title": "回访",
                "fields": [
                    {
                        "name": "households",
                        "type": "number",
                        "label": "户数",
                        "integer": True,
                        "min": 1,
                        "max": 500,
                    },
                    {"name": "area", "type": "number", "label": "面积"},
                    {"name": "visit_date", "type": "date", "label": "日期", "required": True},
                    {
                        "name": "rooms",
                        "type": "multichoice",
                        "label": "房间",
                        "choices": [
                            {"value": "kitchen", "label": "厨房"},
                            {"value": "bath", "label": "卫生间"},
                        ],
                    },
                ],
            },
        )
    )
    cleaned = form.validate({"households": "12", "area": "89.5", "visit_date": "2024-03-01", "rooms": "bath"})
    assert cleaned == {"households": 12, "area": 89.5, "visit_date": "2024-03-01", "rooms": ["bath"]}
    assert form.validate({"visit_date": "2024-03-01", "rooms": ["kitchen", "bath", "kitchen"]})["rooms"] == [
        "kitchen",
        "bath",
    ]
    with pytest.raises(FormInvalid) as exc:
        form.validate({"households": "0", "area": "big", "visit_date": "2024-02-30", "rooms": ["garage"]})
    assert exc.value.errors == {
        "households": "must be an integer between 1 and 500",
        "area": "must be a number",
        "visit_date": "must be a date (YYYY-MM-DD)",
        "rooms": "must be one of: kitchen, bath",
    }


# --- JSON Schema ---------------------------------------------------------------------------


def test_json_schema_choices_and_required(registry: FormRegistry) -> None:
    schema = registry.get("complaint_triage").json_schema(departments)
    assert schema["type"] == "object"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["category", "severity", "department"]
    props = schema["properties"]
    assert props["severity"]["type"] == "string"
    assert props["severity"]["enum"] == ["urgent", "high", "normal", "low"]
    assert props["severity"]["x-labels"]["urgent"] == "紧急"
    assert props["category"]["title"] == "投诉类别"
    assert props["department"]["enum"] == ["eng", "prop", "3"]
    assert props["note"] == {
        "title": "分派说明",
        "x-label-en": "Note",
        "type": "string",
        "x-widget": "textarea",
    }


def test_json_schema_without_source_names_the_dynamic_list(registry: FormRegistry) -> None:
    prop = registry.get("complaint_triage").json_schema()["properties"]["department"]
    assert "enum" not in prop and prop["x-choices-from"] == "departments"


def test_json_schema_types(registry: FormRegistry) -> None:
    confirm = registry.get("complaint_confirm").json_schema()["properties"]
    assert confirm["satisfied"]["enum"] == ["yes", "no"]
    score = confirm["score"]
    assert (score["type"], score["minimum"], score["maximum"]) == ("integer", 1, 5)
    assert score["x-required-when"] == {"satisfied": "yes"} and "业主是否满意" in score["description"]
    files = registry.get("complaint_handle").json_schema()["properties"]["attachments"]
    assert files["type"] == "array" and files["items"] == {"type": "string"}
    assert files["x-widget"] == "file" and files["x-accept"] == [".jpg", ".jpeg", ".png", ".pdf"]


def test_json_schema_date_and_multichoice(tmp_path: Path) -> None:
    form = load_form(
        write_form(
            tmp_path,
            "f",
            {
                "key": "f",
                "title": "t",
                "fields": [
                    {"name": "d", "type": "date", "label": "日期"},
                    {
                        "name": "m",
                        "type": "multichoice",
                        "label": "多选",
                        "choices": [{"value": "a", "label": "甲"}],
                    },
                ],
            },
        )
    )
    props = form.json_schema()["properties"]
    assert (props["d"]["type"], props["d"]["format"]) == ("string", "date")
    assert props["m"]["type"] == "array" and props["m"]["items"] == {"type": "string", "enum": ["a"]}


# --- malformed form files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"key": "bad", "fields": [', "invalid JSON"),
        (minimal("bad", type="stars"), "unknown type 'stars'"),
        (minimal("other", type="text"), "does not match the file name"),
        (minimal("bad", type="choice"), "needs exactly one of 'choices' or 'choices_from'"),
        (minimal("bad", type="text", requird=True), "unknown attribute 'requird'"),
        ({"key": "bad", "title": "t", "fields": [{"name": "f", "type": "text"}]}, "'label'"),
        (minimal("bad", type="rating", required_when={"ghost": "yes"}), "unknown field 'ghost'"),
    ],
)
def test_malformed_file_raises_form_error_naming_it(tmp_path: Path, content: object, problem: str) -> None:
    path = write_form(tmp_path, "bad", content)
    with pytest.raises(FormError) as exc:
        load_form(path)
    assert "bad.json" in str(exc.value)
    assert problem in str(exc.value)


def test_duplicate_field_names_rejected(tmp_path: Path) -> None:
    field = {"name": "f", "type": "text", "label": "字段"}
    path = write_form(tmp_path, "dup", {"key": "dup", "title": "t", "fields": [field, field]})
    with pytest.raises(FormError, match="duplicate field name 'f'"):
        load_form(path)


def test_required_when_value_normalised_at_load(tmp_path: Path) -> None:
    form = load_form(
        write_form(
            tmp_path,
            "f",
            {
                "key": "f",
                "title": "t",
                "fields": [
                    {"name": "ok", "type": "yesno", "label": "满意"},
                    {"name": "why", "type": "text", "label": "原因", "required_when": {"ok": False}},
                ],
            },
        )
    )
    assert form.field("why").required_when == {"ok": "no"}
    with pytest.raises(FormInvalid) as exc:
        form.validate({"ok": "否"})
    assert exc.value.errors == {"why": "required"}


def test_directory_lists_every_bad_file(tmp_path: Path) -> None:
    write_form(tmp_path, "good", minimal("good", type="text"))
    write_form(tmp_path, "broken", "not json")
    write_form(tmp_path, "wrong", minimal("wrong", type="colour"))
    with pytest.raises(FormError) as exc:
        FormRegistry.from_directory(tmp_path)
    message = str(exc.value)
    assert "broken.json" in message and "wrong.json" in message and "good.json" not in message
    (tmp_path / "broken.json").unlink()
    (tmp_path / "wrong.json").unlink()
    assert FormRegistry.from_directory(tmp_path).keys() == ["good"]


def test_one_of_a_group_of_fields_is_required(tmp_path: Path) -> None:
    fields = [
        {"name": "contractor", "type": "text", "label": "承建商"},
        {"name": "engineer", "type": "text", "label": "工程师"},
    ]
    form = load_form(
        write_form(
            tmp_path,
            "pick",
            {**minimal("pick"), "fields": fields, "one_required": [["contractor", "engineer"]]},
        )
    )
    with pytest.raises(FormInvalid) as exc:
        form.validate({})
    assert exc.value.errors == {
        "contractor": "fill in at least one of these",
        "engineer": "fill in at least one of these",
    }
    assert form.validate({"engineer": "eng"})["engineer"] == "eng"
    assert form.json_schema()["x-one-required"] == [["contractor", "engineer"]]
    for bad in ([["contractor"]], [["contractor", "nobody"]], "contractor"):
        with pytest.raises(FormError):
            load_form(
                write_form(tmp_path, "pick", {**minimal("pick"), "fields": fields, "one_required": bad})
            )
