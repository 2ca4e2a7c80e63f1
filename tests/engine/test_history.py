"""An instance's history does not slow it down: past a size the saved state leaves finished tasks behind,
and every diagram runs to the same tasks, data and end with that pruning as without it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from crm.platform import Foundation
from engine.serialization import InstanceSerializer
from engine.timing import engine_clock
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import COMPLAINT_BPMN, DATA

LOOPS = DATA / "history_loops.bpmn"
FUNCTIONS = Foundation().functions
Answer = Callable[[int, list[Task]], tuple[Task, dict[str, Any]]]


def parse(path: Any, process: str) -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    return parser.get_spec(process), parser.get_subprocess_specs(process)


class Run:
    """One instance saved and loaded around every step, as the runtime does."""

    def __init__(self, path: Any, process: str, data: dict[str, Any], prune_above: int | None) -> None:
        self.spec, self.subprocesses = parse(path, process)
        self.serializer = InstanceSerializer(prune_above=prune_above)
        # SpiffWorkflow's own evaluation with the deadline functions the complaint diagram calls.
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment(FUNCTIONS))
        workflow = BpmnWorkflow(self.spec, self.subprocesses, script_engine=self.engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        workflow.do_engine_steps()
        self.state = self.serializer.dumps(workflow)
        self.seen: list[Any] = []
        self.largest = 0

    def load(self) -> BpmnWorkflow:
        workflow = self.serializer.loads(self.state, self.spec, self.subprocesses)
        workflow.script_engine = self.engine
        return workflow

    def save(self, workflow: BpmnWorkflow) -> None:
        self.state = self.serializer.dumps(workflow)
        self.largest = max(self.largest, len(self.state))

    def step(self, number: int, answer: Answer) -> bool:
        workflow = self.load()
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        self.seen.append(sorted((t.task_spec.name, repr(sorted(t.data.items()))) for t in ready))
        if not ready:
            self.seen.append(("end", workflow.is_completed(), repr(sorted(workflow.data.items()))))
            return False
        task, data = answer(number, ready)
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
        self.save(workflow)
        return True


def run_both(path: Any, process: str, data: dict[str, Any], answer: Answer, steps: int) -> tuple[Run, Run]:
    whole, pruned = (Run(path, process, data, prune_above) for prune_above in (None, 0))
    for run in (whole, pruned):
        for number in range(steps):
            if not run.step(number, answer):
                break
    assert pruned.seen == whole.seen
    assert pruned.seen[-1][:2] == ("end", True)
    return whole, pruned


def by_name(choices: dict[str, Callable[[int], dict[str, Any]]], rounds: int) -> Answer:
    """Answer the first ready task (in the order given by `choices`) with its data for this step."""

    def answer(number: int, ready: list[Task]) -> tuple[Task, dict[str, Any]]:
        names = {t.task_spec.name: t for t in ready}
        for name, data in choices.items():
            if name in names:
                return names[name], data(number)
        task = ready[0]  # a multi-instance child
        return task, choices[task.task_spec.name.split(" [", 1)[0]](number)

    return answer


def parallel_rounds(rounds: int, *, alternate: bool) -> Answer:
    def answer(number: int, ready: list[Task]) -> tuple[Task, dict[str, Any]]:
        names = {t.task_spec.name: t for t in ready}
        if "p_decide" in names:
            return names["p_decide"], {"again": "yes" if number < rounds * 3 - 1 else "no"}
        first, second = ("p_b", "p_a") if alternate and number // 3 % 2 else ("p_a", "p_b")
        name = first if first in names else second
        return names[name], {name[-1]: number}

    return answer


def test_a_parallel_split_and_join_in_a_loop_runs_the_same_pruned() -> None:
    rounds = 40
    whole, pruned = run_both(
        LOOPS, "parallel_loop", {}, parallel_rounds(rounds, alternate=False), rounds * 3 + 2
    )
    assert f"'rounds', {rounds}" in pruned.seen[-1][2]  # every round went through the join once
    assert pruned.largest * 4 < whole.largest


def test_a_pruned_join_in_a_loop_waits_for_both_branches_whichever_finishes_first() -> None:
    # SpiffWorkflow alone counts the join of an earlier round's other branch as an arrival, so when the
    # branches finish in another order than the round before the join fires with one branch still open.
    rounds = 10
    pruned = Run(LOOPS, "parallel_loop", {}, prune_above=0)
    for number in range(rounds * 3 + 1):
        if not pruned.step(number, parallel_rounds(rounds, alternate=True)):
            break
    assert pruned.seen[-1][:2] == ("end", True)
    names = [sorted(name for name, _ in seen) for seen in pruned.seen[:-2]]
    assert len(names) == rounds * 3
    assert all(seen == ["p_a", "p_b"] for seen in names[0::3])
    assert [seen for seen in names[1::3]] == [["p_b"], ["p_a"]] * (rounds // 2)  # the other branch waits
    assert all(seen == ["p_decide"] for seen in names[2::3])
    assert f"'rounds', {rounds}" in pruned.seen[-1][2]


def test_a_call_activity_and_a_subprocess_in_a_loop_run_the_same_pruned() -> None:
    rounds = 30
    answer = by_name(
        {
            "s_prepare": lambda n: {"prepared": n},
            "i_work": lambda n: {"work": n},
            "e_check": lambda n: {"checked": n},
            "s_decide": lambda n: {"again": "yes" if n < rounds * 4 - 1 else "no"},
        },
        rounds,
    )
    whole, pruned = run_both(LOOPS, "subprocess_loop", {"calls": 0}, answer, rounds * 4 + 5)
    assert f"'calls', {rounds}" in pruned.seen[-1][2]
    assert pruned.largest * 4 < whole.largest


def test_multi_instance_tasks_in_a_loop_run_the_same_pruned() -> None:
    rounds = 15
    answer = by_name(
        {
            "m_list": lambda n: {"owners": ["张伟", "王芳", "李娜"], "visits": []},
            "m_visit": lambda n: {"visit": f"visited {n}"},
            "m_recheck": lambda n: {"done": "yes" if n % 3 else "no"},
            "m_decide": lambda n: {"again": "yes" if n < rounds * 7 else "no"},
        },
        rounds,
    )
    whole, pruned = run_both(LOOPS, "multi_instance_loop", {}, answer, rounds * 8 + 10)
    assert "visited" in pruned.seen[-1][2]
    assert pruned.largest * 2 < whole.largest


def complaint_round(rounds: int) -> Answer:
    """Triage, then the department handles, the centre replies and the owner is not satisfied `rounds`
    times before being satisfied."""
    steps = {
        "triage": lambda n: {"category": "quality", "severity": "high", "department": "engineering"},
        "handle": lambda n: {"resolution": f"第{n}次整改"},
        "review": lambda n: {"reply": "已复核"},
        "reply": lambda n: {
            "reached": "yes",
            "reply": "已维修完毕",
            "satisfied": "no" if n < rounds * 2 else "yes",
        },
    }
    return by_name(steps, rounds)


COMPLAINT_DATA = {"owner_tier": "regular", "channel": "forum"}


@pytest.fixture(autouse=True)
def fixed_engine_clock() -> Any:
    with engine_clock(FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))):
        yield


def test_a_pruned_complaint_migrates_to_a_new_version_like_a_whole_one() -> None:
    rounds = 12
    answer = complaint_round(rounds)
    new_spec, new_deps = parse(DATA / "complaint_v2.bpmn", "complaint")
    outcomes = []
    for prune_above in (None, 0):
        run = Run(COMPLAINT_BPMN, "complaint", COMPLAINT_DATA, prune_above)
        for number in range(rounds * 2 - 1):  # handling of the last round is open
            run.step(number, answer)
        workflow = run.load()
        top, subprocesses = diff_workflow(run.serializer.registry, workflow, new_spec, new_deps)
        # What the application checks before moving an instance: nothing running was removed.
        assert not [t for t in top.removed if not t.has_state(TaskState.FINISHED_MASK)]
        migrate_workflow(top, workflow, new_spec)
        workflow.subprocess_specs = new_deps
        workflow.do_engine_steps()
        run.spec, run.subprocesses = new_spec, new_deps
        run.save(workflow)
        for number in range(rounds * 2 - 1, rounds * 2 + 8):
            if not run.step(number, answer):
                break
        outcomes.append(run.seen)
    whole, pruned = outcomes
    assert pruned == whole
    # The new version's review step runs after the migration, then the complaint closes.
    assert [seen[0][0] for seen in whole[-5:-2]] == ["handle", "review", "reply"]
    assert whole[-1][:2] == ("end", True)


def test_a_complaint_sent_back_160_times_still_closes_and_its_state_stops_growing() -> None:
    # With its whole tree, SpiffWorkflow fails the step of about the 140th rework: the tree is then deeper
    # than the recursion of Task.is_descendant_of can walk (RecursionError).
    rounds = 161  # the last one satisfies the owner
    run = Run(COMPLAINT_BPMN, "complaint", COMPLAINT_DATA, InstanceSerializer().prune_above)
    sizes = []
    for number in range(rounds * 3 + 3):
        if not run.step(number, complaint_round(rounds)):
            break
        sizes.append(len(run.state))
    assert run.seen[-1][:2] == ("end", True)
    assert f"'rework_count', {rounds - 1}" in run.seen[-1][2]
    assert max(sizes) < 2 * max(sizes[:30])
