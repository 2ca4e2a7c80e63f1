"""Routing diagrams drawn elsewhere: lanes and a default department given at deploy, Camunda's candidateGroups
(group names, expressions, several departments), literal and expression assignees."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.directory import actor_for
from crm.platform import Platform
from crm.worklist import WorklistFilter
from engine.bpmn_meta import DeployOptions
from engine.errors import Conflict, DeployRefused, Forbidden
from engine.inbox import open_candidate_tasks
from engine.models import AuditEvent, HumanTask
from tests.conftest import DATA

SPIFFARENA = DATA / "spiffarena_lanes.bpmn"

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:flowable="http://flowable.org/bpmn" '
    'id="d" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def one_task(task_attrs: str, key: str = "drawn") -> bytes:
    """start -> a user task with `task_attrs` -> end, in no lane."""
    return (
        f'{HEADER}<bpmn:process id="{key}" isExecutable="true">'
        '<bpmn:startEvent id="s"/>'
        f'<bpmn:userTask id="t" name="Handle" camunda:formKey="complaint_handle" {task_attrs}/>'
        '<bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
        "</bpmn:process></bpmn:definitions>\n"
    ).encode()


def actor(platform: Platform, username: str):  # type: ignore[no-untyped-def]
    user = platform.directory.user(username)
    assert user is not None
    return actor_for(user)


def refusal(platform: Platform, content: bytes, options: DeployOptions | None = None) -> list[str]:
    with pytest.raises(DeployRefused) as refused:
        platform.definitions.deploy(content, "drawn.bpmn", options=options)
    return [problem.message for problem in refused.value.problems]


def open_rows(platform: Platform, instance_id: int) -> list[HumanTask]:
    return platform.tasks.open_tasks_of(instance_id)


# --- lanes and the default department -------------------------------------------------------------------


def test_a_spiffarena_diagram_runs_with_its_lanes_mapped_at_deploy(platform: Platform) -> None:
    # Lane names and department names match in any case: "accounting" is the lane "Accounting".
    options = DeployOptions(lanes={"accounting": "Marketing", "Field Service": "工程部"})
    platform.definitions.deploy(SPIFFARENA.read_bytes(), "spiffarena_lanes.bpmn", options=options)
    instance = platform.runtime.start(
        "Process_expense_approval", {"amounts": [600, 700]}, actor(platform, "crc")
    )

    [inspect] = open_rows(platform, instance.id)
    assert (inspect.element_id, inspect.department) == ("Activity_inspect", "engineering")
    platform.tasks.complete(inspect.id, {}, actor(platform, "eng"))

    [review] = open_rows(platform, instance.id)
    assert (review.element_id, review.department) == ("Activity_review", "marketing")
    platform.tasks.complete(review.id, {}, actor(platform, "marketing"))
    assert instance.status == "completed"


def test_lanes_that_are_no_department_are_refused_saying_how_to_map_them(platform: Platform) -> None:
    messages = refusal(platform, SPIFFARENA.read_bytes())
    assert (
        "lane 'Field Service' is not a department and task has no candidateGroups: deploy with "
        '--lane "Field Service=DEPARTMENT" or --default-department'
    ) in messages
    assert any("lane 'Accounting'" in message for message in messages)


def test_the_default_department_takes_every_task_no_lane_routes(platform: Platform) -> None:
    options = DeployOptions(default_department="PROPERTY", lanes={"Field Service": "engineering"})
    definition = platform.definitions.deploy(SPIFFARENA.read_bytes(), "x.bpmn", options=options).definition
    assert definition is not None
    instance = platform.runtime.start("Process_expense_approval", {"amounts": [2000]}, actor(platform, "crc"))
    platform.tasks.complete(open_rows(platform, instance.id)[0].id, {}, actor(platform, "eng"))
    [review] = open_rows(platform, instance.id)
    assert review.department == "property"


def test_a_task_in_no_lane_without_a_default_is_refused(platform: Platform) -> None:
    [message] = refusal(platform, one_task(""))
    assert message == (
        "task has no lane and no candidateGroups: put it in a department's lane, set candidateGroups, "
        "or deploy with --default-department"
    )


def test_departments_the_options_name_must_exist(platform: Platform) -> None:
    options = DeployOptions(default_department="finance", lanes={"Field Service": "工程"})
    messages = refusal(platform, SPIFFARENA.read_bytes(), options)
    assert "the default department 'finance' is not a department's code or name" in messages
    assert "the lane mapping 'Field Service=工程': '工程' is not a department's code or name" in messages


# --- candidateGroups as Camunda means it ----------------------------------------------------------------


def test_a_group_name_is_a_department_in_any_case_or_mapped_at_deploy(platform: Platform) -> None:
    definition = platform.definitions.deploy(
        one_task('camunda:candidateGroups="DESIGN"'), "a.bpmn"
    ).definition
    assert definition is not None and definition.meta["tasks"]["t"]["candidate_groups"] == "design"
    options = DeployOptions(lanes={"repairs": "engineering"})
    result = platform.definitions.deploy(
        one_task('flowable:candidateGroups="Repairs"', key="drawn2"), "b.bpmn", options=options
    )
    assert result.definition is not None
    assert result.definition.meta["tasks"]["t"]["candidate_groups"] == "engineering"


def test_a_group_that_is_no_department_is_refused_saying_how_to_map_it(platform: Platform) -> None:
    [message] = refusal(platform, one_task('camunda:candidateGroups="accounting"'))
    assert message == (
        "candidateGroups 'accounting' is not a department: use a department's code or name, map the group at "
        'deploy (--lane "accounting=DEPARTMENT"), or write ${...} for an expression'
    )


def test_a_comma_list_puts_the_task_in_each_queue_and_either_may_claim_it(platform: Platform) -> None:
    platform.definitions.deploy(one_task('camunda:candidateGroups="design, Property"'), "a.bpmn")
    first = platform.runtime.start("drawn", {}, actor(platform, "crc"))
    second = platform.runtime.start("drawn", {}, actor(platform, "crc"))
    [row1], [row2] = open_rows(platform, first.id), open_rows(platform, second.id)
    assert row1.department == "design"  # the first is its own: deadlines and escalations follow it

    for username in ("design", "property"):
        page = platform.worklist.page(actor(platform, username), WorklistFilter())
        assert {r.task.id for r in page.rows} >= {row1.id, row2.id}, username
        assert platform.worklist.counts(actor(platform, username)).unclaimed >= 2
    api_rows = platform.inbox.rows(departments={"property"})
    assert {row1.id, row2.id} <= {r.id for r in api_rows}
    assert not {row1.id, row2.id} & {
        r.task.id for r in platform.worklist.page(actor(platform, "eng"), WorklistFilter()).rows
    }

    platform.tasks.claim(row1.id, actor(platform, "property"))
    platform.tasks.claim(row2.id, actor(platform, "design"))
    with pytest.raises(Conflict):
        platform.tasks.claim(row1.id, actor(platform, "design"))
    with pytest.raises(Forbidden):
        platform.tasks.claim(row1.id, actor(platform, "eng"))
    mine = platform.worklist.page(actor(platform, "property"), WorklistFilter(view="mine"))
    assert [r.task.id for r in mine.rows] == [row1.id]
    platform.tasks.complete(row1.id, {"resolution": "修好了"}, actor(platform, "property"))
    assert first.status == "completed"
    # Done, it leaves every queue it was in; the one who did it still finds it among their completed tasks.
    assert open_candidate_tasks(platform.session, ["property"]) == [row2.id]
    page = platform.worklist.page(actor(platform, "property"), WorklistFilter())
    assert row1.id not in {r.task.id for r in page.rows} and row2.id in {r.task.id for r in page.rows}
    done = platform.worklist.page(
        actor(platform, "property"), WorklistFilter(view="mine", status="completed")
    )
    assert [r.task.id for r in done.rows] == [row1.id]


def test_an_expression_may_give_several_departments(platform: Platform) -> None:
    platform.definitions.deploy(one_task('camunda:candidateGroups="${teams}"'), "a.bpmn")
    instance = platform.runtime.start("drawn", {"teams": ["工程部", "design"]}, actor(platform, "crc"))
    [row] = open_rows(platform, instance.id)
    assert row.department == "engineering"
    platform.tasks.claim(row.id, actor(platform, "design"))


# --- assignees --------------------------------------------------------------------------------------------


def test_a_literal_assignee_must_be_a_user(platform: Platform) -> None:
    [message] = refusal(platform, one_task('camunda:candidateGroups="design" camunda:assignee="li.na"'))
    assert message.startswith("assignee 'li.na' is not a user: add the account before deploying")
    result = platform.definitions.deploy(
        one_task('camunda:candidateGroups="design" camunda:assignee="design"'), "a.bpmn"
    )
    assert result.definition is not None


def test_an_assignee_without_an_active_account_leaves_the_task_to_its_department(platform: Platform) -> None:
    platform.definitions.deploy(
        one_task('camunda:candidateGroups="design" camunda:assignee="${who}"'), "a.bpmn"
    )
    user = platform.directory.user("design")
    assert user is not None
    user.active = False
    inactive = platform.runtime.start("drawn", {"who": "design"}, actor(platform, "crc"))
    unknown = platform.runtime.start("drawn", {"who": "nobody"}, actor(platform, "crc"))
    for instance in (inactive, unknown):
        [row] = open_rows(platform, instance.id)
        assert row.assignee is None
        note = platform.session.scalars(
            select(AuditEvent).where(
                AuditEvent.instance_id == instance.id, AuditEvent.kind == "task.assignee_ignored"
            )
        ).one()
        assert note.data is not None and note.data["reason"] == "no active account"
