"""Checking a deploy of several files: which file is the main one, what the others may and may not do, and
that a problem in any file names that file."""

from __future__ import annotations

from pathlib import Path

from engine.bundle import check_bundle
from engine.bundle_groups import BadOption, deploy_options, split_bundles
from forms import form_keys
from tests.engine.test_validation import DEPARTMENTS, FORMS, HEADER, chain, diagram

BUNDLES = Path(__file__).resolve().parents[1] / "data" / "bundles"


def check(*files: tuple[str, bytes | str]):  # type: ignore[no-untyped-def]
    given = [
        (name, content.encode("utf-8") if isinstance(content, str) else content) for name, content in files
    ]
    return check_bundle(
        given,
        departments=DEPARTMENTS,
        form_exists=lambda key: key in FORMS,
        functions=(),
        form_keys=form_keys,
    )


def file(name: str) -> tuple[str, bytes]:
    return name, (BUNDLES / name).read_bytes()


def messages(problems) -> list[tuple[str, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(p.file, p.element_id, p.message) for p in problems]


def called(process_id: str, body: str, executable: str = "false") -> str:
    return (
        f'{HEADER}<bpmn:process id="{process_id}" isExecutable="{executable}">'
        f"{body}</bpmn:process></bpmn:definitions>"
    )


CALLER = diagram(chain('<bpmn:callActivity id="{id}" calledElement="work"/>'))
WORK = called(
    "work",
    '<bpmn:laneSet id="ls2"><bpmn:lane id="l2" name="工程部"><bpmn:flowNodeRef>w1</bpmn:flowNodeRef>'
    "</bpmn:lane></bpmn:laneSet>"
    + chain('<bpmn:userTask id="w{id}" name="修"/>').replace('"n0"', '"wn0"').replace("wn0", "w1"),
)


def test_the_main_file_is_the_one_no_other_file_calls_whatever_the_order() -> None:
    bundle, problems = check(("work.bpmn", WORK), ("main.bpmn", CALLER))
    assert problems == [] and bundle is not None
    assert bundle.parsed.key == "p"
    assert [(f.filename, f.main) for f in bundle.files] == [("main.bpmn", True), ("work.bpmn", False)]
    # The called process is checked and routed like the main one, though drawn isExecutable="false".
    assert bundle.parsed.tasks["w1"].department == "engineering"


def test_a_called_process_missing_from_every_file_is_named() -> None:
    _, problems = check(("main.bpmn", CALLER))
    assert messages(problems) == [
        (
            "main.bpmn",
            "n0",
            "call activity calls process 'work', which is in none of the deployed files: deploy the file "
            "that has it together with this one",
        )
    ]


def test_two_main_diagrams_are_refused_naming_both() -> None:
    other = diagram(chain('<bpmn:task id="{id}"/>')).replace('id="p"', 'id="q"')
    _, problems = check(("a.bpmn", CALLER), ("work.bpmn", WORK), ("b.bpmn", other))
    assert {p.file for p in problems} == {"a.bpmn", "b.bpmn"}
    assert all(
        "more than one main diagram: a.bpmn (process p), b.bpmn (process q)" in p.message for p in problems
    )


def test_task_ids_must_be_unique_across_files_but_other_ids_only_per_file() -> None:
    clash = WORK.replace('"w1"', '"n9"').replace(">w1<", ">n9<")
    _, problems = check(("main.bpmn", CALLER), ("work.bpmn", clash))
    assert problems == []  # start, end and flow ids repeat across the files: that is fine
    caller = diagram(
        chain('<bpmn:callActivity id="{id}" calledElement="work"/>', '<bpmn:manualTask id="{id}"/>')
    )
    clashing = WORK.replace('"w1"', '"n1"').replace(">w1<", ">n1<")
    _, problems = check(("main.bpmn", caller), ("work.bpmn", clashing))
    assert messages(problems) == [
        (
            "work.bpmn",
            "n1",
            "id 'n1' is also used in main.bpmn: the ids of tasks and timers must be unique across the files "
            "of one deploy",
        )
    ]


def test_companions_that_cannot_be_read_are_refused_with_the_reason() -> None:
    unsafe_dmn = (
        (BUNDLES / "department_for_category.dmn")
        .read_text()
        .replace("<text>category</text>", "<text>__import__('os')</text>")
    )
    _, problems = check(
        file("route_by_category.bpmn"),
        ("department_for_category.dmn", unsafe_dmn),
        ("broken.form", '{"components": [{"type": "textfield", "key": "a b"}]}'),
        ("list.json", "[1, 2]"),
        ("readme.md", "# hi"),
    )
    assert (
        "readme.md",
        None,
        "readme.md: unknown file type: a deploy takes .bpmn diagrams, .dmn decision "
        "tables and .form or .json forms",
    ) in messages(problems)
    _, problems = check(
        file("route_by_category.bpmn"),
        ("department_for_category.dmn", unsafe_dmn),
        ("broken.form", '{"components": [{"type": "textfield", "key": "a b"}]}'),
        ("list.json", "[1, 2]"),
    )
    found = messages(problems)
    assert (
        "broken.form",
        None,
        "component textfield: key 'a b' is not a plain name (letters, digits and _)",
    ) in found
    assert any(f == "list.json" and m.startswith("not a form Lintel reads") for f, _, m in found)
    assert any(
        f == "department_for_category.dmn" and e == "InputExpression_1" and "'__import__' is not allowed" in m
        for f, e, m in found
    )
    # The business rule task's decision is then not deployed: that is said too.
    assert any(e == "Activity_route" and "in none of the deployed DMN files" in m for _, e, m in found)


def test_several_main_diagrams_on_one_command_line_are_several_deploys() -> None:
    names = [
        "form_data.bpmn",
        "rectify_work.bpmn",
        "rectify_report.json",
        "rectify_main.bpmn",
        "department_for_category.dmn",
        "route_by_category.bpmn",
    ]
    files = [file(n) for n in names]
    groups = [[names[i] for i in group] for group in split_bundles(files, form_keys)]
    assert groups == [
        ["form_data.bpmn"],
        ["rectify_work.bpmn", "rectify_report.json", "rectify_main.bpmn"],
        ["department_for_category.dmn", "route_by_category.bpmn"],
    ]
    assert split_bundles(files[1:4], form_keys) == [[0, 1, 2]]


def test_routing_options_as_people_type_them() -> None:
    options = deploy_options(" finance ", ["Accounting=finance", "Site crew = engineering\n\n工程=工程部"])
    assert options.default_department == "finance"
    assert dict(options.lanes) == {"Accounting": "finance", "Site crew": "engineering", "工程": "工程部"}
    for bad in ("Accounting", "=finance", "Accounting="):
        try:
            deploy_options(None, [bad])
        except BadOption as exc:
            assert "is not written Name=code" in str(exc)
        else:
            raise AssertionError(bad)


def test_a_dmn_file_with_several_decisions_gives_each_of_them() -> None:
    dmn = (BUNDLES / "department_for_category.dmn").read_text(encoding="utf-8")
    second = dmn[dmn.index("  <decision") : dmn.index("</definitions>")].replace(
        'id="department_for_category"', 'id="second_decision"'
    )
    second = second.replace('id="', 'id="b_').replace('id="b_second_decision"', 'id="second_decision"')
    two = dmn.replace("</definitions>", second + "</definitions>")
    bundle, problems = check(file("route_by_category.bpmn"), ("department_for_category.dmn", two))
    assert problems == [] and bundle is not None
    ranged = dmn.replace('<text>"quality"</text>', "<text>[250..1000]</text>")
    _, problems = check(file("route_by_category.bpmn"), ("department_for_category.dmn", ranged))
    assert "FEEL ranges are not read: write it as Python, 250 <= ? <= 1000" in problems[0].message
