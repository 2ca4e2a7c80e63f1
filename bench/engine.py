"""`lintel bench engine`: complaint throughput through the service layer vs raw SpiffWorkflow in memory.

Each service-layer operation is one unit of work as a request would run it: a new session, the platform
wired around it, one call, one commit. The baseline runs the same diagram with SpiffWorkflow alone and
serializes/deserializes the workflow around every completion, as any durable host must. Last, one complaint
sent back by its owner 100 times shows how a step's cost grows with the history, with the saved state pruned
(engine.pruning) and whole, in the same run.
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crm.demo import load_demo
from crm.directory import actor_for
from crm.platform import Foundation, Platform
from engine.actors import Actor
from engine.serialization import InstanceSerializer
from webapp.database import ROOT, make_engine, upgrade

DIAGRAM = ROOT / "workflows" / "complaint.bpmn"
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("triage", "crc", {"category": "quality", "severity": "high", "department": "engineering"}),
    ("handle", "eng", {"resolution": "已更换防水层"}),
    ("reply", "crc", {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes", "score": 5}),
]
INTAKE = {"channel": "hotline", "description": "卫生间渗水", "owner_phone": "13800000001"}


def _prepare(engine: Engine) -> None:
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
        Platform(session, Foundation()).definitions.deploy(DIAGRAM.read_bytes(), DIAGRAM.name, actor="bench")
        session.commit()


def _actors(engine: Engine, foundation: Foundation) -> dict[str, Actor]:
    with Session(engine) as session:
        directory = Platform(session, foundation).directory
        return {
            name: actor_for(user) for name in ("crc", "eng") if (user := directory.user(name)) is not None
        }


def _register(engine: Engine, count: int) -> list[int]:
    """`count` complaints, each registered in its own unit of work; returns their instance ids."""
    foundation = Foundation()
    crc = _actors(engine, foundation)["crc"]
    ids = []
    for _ in range(count):
        with Session(engine, expire_on_commit=False) as session:
            complaint = Platform(session, foundation).complaints.register(crc, **INTAKE)
            session.commit()
            ids.append(complaint.instance_id)
    return ids


def _complete_all(url: str, instance_ids: list[int]) -> int:
    """Walk every given complaint to closure, one task completion per unit of work."""
    engine = make_engine(url)
    foundation = Foundation()
    actors = _actors(engine, foundation)
    wanted = set(instance_ids)
    completions = 0
    for element_id, username, data in STEPS:
        with Session(engine) as session:
            rows = Platform(session, foundation).inbox.rows(
                departments=None, process_key="complaint", limit=100_000
            )
            task_ids = [row.id for row in rows if row.element_id == element_id and row.instance_id in wanted]
        for task_id in task_ids:
            with Session(engine) as session:
                Platform(session, foundation).tasks.complete(task_id, data, actors[username])
                session.commit()
                completions += 1
    engine.dispose()
    return completions


def _service_layer(url: str, instances: int, processes: int = 1) -> dict[str, float]:
    """Registration and completion rates; with `processes` > 1 the completions run in that many processes
    at once (several web processes sharing PostgreSQL), each on its own share of the complaints."""
    engine = make_engine(url)
    _prepare(engine)
    started = time.perf_counter()
    instance_ids = _register(engine, instances)
    start_seconds = time.perf_counter() - started
    engine.dispose()

    shares = [instance_ids[n::processes] for n in range(processes)]
    started = time.perf_counter()
    if processes == 1:
        completions = _complete_all(url, instance_ids)
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            completions = sum(pool.starmap(_complete_all, [(url, share) for share in shares]))
    complete_seconds = time.perf_counter() - started
    return {
        "instances_per_s": instances / start_seconds,
        "completions_per_s": completions / complete_seconds,
        "completions": completions,
    }


def _raw_spiff(instances: int) -> dict[str, float]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subprocesses = parser.get_spec("complaint"), parser.get_subprocess_specs("complaint")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    # SpiffWorkflow's own in-process evaluation, with the same deadline functions.
    engine = PythonScriptEngine(environment=TaskDataEnvironment(Foundation().functions))
    data = {
        "complaint_id": 1,
        "number": "TS-2026-000001",
        "channel": "hotline",
        "owner_id": 1,
        "owner_tier": "regular",
        "unit_id": 1,
        "category": None,
        "description": "卫生间渗水",
    }

    started = time.perf_counter()
    states = []
    for _ in range(instances):
        workflow = BpmnWorkflow(spec, subprocesses, script_engine=engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        workflow.do_engine_steps()
        states.append(serializer.serialize_json(workflow))
    start_seconds = time.perf_counter() - started

    completions = 0
    started = time.perf_counter()
    for _, _, step_data in STEPS:
        for index, state in enumerate(states):
            workflow = serializer.deserialize_json(state)
            workflow.script_engine = engine
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.set_data(**step_data)
            task.run()
            workflow.do_engine_steps()
            states[index] = serializer.serialize_json(workflow)
            completions += 1
    complete_seconds = time.perf_counter() - started
    return {"instances_per_s": instances / start_seconds, "completions_per_s": completions / complete_seconds}


def _rework_growth(url: str, reworks: int, prune_above: int | None, sample: int = 10) -> dict[str, float]:
    """One complaint sent back by its owner `reworks` times, each step (load, advance, save) its own unit of
    work: time per step over the first and the last `sample` rework loops, and the state's final size."""
    engine = make_engine(url)
    _prepare(engine)
    foundation = Foundation(serializer=InstanceSerializer(prune_above=prune_above))
    actors = _actors(engine, foundation)
    with Session(engine, expire_on_commit=False) as session:
        instance_id = Platform(session, foundation).complaints.register(actors["crc"], **INTAKE).instance_id
        session.commit()

    def complete(data: dict[str, Any], username: str) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        with Session(engine) as session:
            platform = Platform(session, foundation)
            row = platform.tasks.open_tasks_of(instance_id)[0]
            platform.tasks.complete(row.id, data, actors[username])
            session.commit()
        return time.perf_counter() - wall, time.process_time() - cpu

    complete(STEPS[0][2], "crc")
    loops: list[tuple[float, float]] = []
    for rework in range(reworks):
        unsatisfied = {**STEPS[2][2], "satisfied": "no", "score": None, "comment": "仍不满意"}
        answer = unsatisfied if rework < reworks - 1 else STEPS[2][2]
        timings = [complete(STEPS[1][2], "eng"), complete(answer, "crc")]
        loops.append((sum(t[0] for t in timings) / 2, sum(t[1] for t in timings) / 2))
    with Session(engine) as session:
        state = Platform(session, foundation).runtime.get(instance_id, with_state=True).state
    engine.dispose()
    first, last = loops[:sample], loops[-sample:]
    figures = {
        "first_ms": sum(t[0] for t in first) / len(first) * 1000,
        "last_ms": sum(t[0] for t in last) / len(last) * 1000,
        "first_cpu_ms": sum(t[1] for t in first) / len(first) * 1000,
        "last_cpu_ms": sum(t[1] for t in last) / len(last) * 1000,
        "state_kb": len(state) / 1024,
    }
    figures["ratio"] = figures["last_ms"] / figures["first_ms"]
    figures["cpu_ratio"] = figures["last_cpu_ms"] / figures["first_cpu_ms"]
    return figures


def rework_growth(reworks: int = 100, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """How a step's cost grows with an instance's history: the complaint's rework loop on SQLite, with the
    saved state pruned (as Lintel runs) and whole (SpiffWorkflow's own tree), measured in the same run."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, prune_above in (("pruned", InstanceSerializer().prune_above), ("whole", None)):
            url = f"sqlite:///{Path(folder) / f'growth_{name}.db'}"
            result = _rework_growth(url, reworks, prune_above)
            figures[name] = result
            echo(
                f"{reworks} reworks of one complaint, SQLite, state {name}: per step (load, advance, save) "
                f"first 10 loops {result['first_ms']:.1f} ms ({result['first_cpu_ms']:.1f} ms CPU), "
                f"last 10 loops {result['last_ms']:.1f} ms ({result['last_cpu_ms']:.1f} ms CPU): "
                f"x{result['ratio']:.2f} wall, x{result['cpu_ratio']:.2f} CPU; "
                f"state {result['state_kb']:.0f} KB"
            )
    return figures


def _evaluator(calls: int = 2000) -> dict[str, float]:
    """One script of the complaint diagram run in an evaluator process vs in SpiffWorkflow's own exec."""
    foundation = Foundation()
    script = "rework_count = 0\nresolve_days = {'urgent': 1, 'high': 3}.get(severity, 5)"
    data = {**INTAKE, "severity": "high", "owner_level": "normal"}
    plain = TaskDataEnvironment(foundation.functions)
    foundation.evaluator.execute(script, data, None)  # the evaluator process is started outside the timing
    timings = {}
    for name, run in (
        ("evaluator_us", lambda: foundation.evaluator.execute(script, data, None)),
        ("in_process_us", lambda: plain.execute(script, dict(data))),
    ):
        started = time.perf_counter()
        for _ in range(calls):
            run()
        timings[name] = (time.perf_counter() - started) / calls * 1e6
    return timings


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 3) if isinstance(value, float) else value


def _fresh_database(url: str, name: str) -> str:
    """A new empty PostgreSQL database `name` on the server of `url` (dropped first if it exists)."""
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def run(
    *, instances: int, postgres_url: str, processes: int = 2, echo: Callable[[str], None] = print
) -> dict[str, Any]:
    # The baseline runs before and after the service layer and the mean is used: on a shared 2-core machine
    # CPU speed drifts by tens of percent over minutes, and a one-sided baseline would skew every ratio.
    before = _raw_spiff(instances)
    figures: dict[str, Any] = {"instances": instances}
    with tempfile.TemporaryDirectory() as folder:
        targets = [
            ("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", 1),
            ("postgresql", _fresh_database(postgres_url, "lintel_bench"), 1),
        ]
        if processes > 1:
            targets.append(
                (f"postgresql_{processes}p", _fresh_database(postgres_url, "lintel_bench_p"), processes)
            )
        results = {name: (_service_layer(url, instances, count), count) for name, url, count in targets}
    after = _raw_spiff(instances)
    raw = {key: (before[key] + after[key]) / 2 for key in before}
    figures["raw_spiff"] = raw
    echo(
        f"raw SpiffWorkflow (in memory, serialized per step; mean of a run before and after): "
        f"{raw['instances_per_s']:.0f} instances/s, {raw['completions_per_s']:.0f} completions/s "
        f"(before {before['completions_per_s']:.0f}, after {after['completions_per_s']:.0f})"
    )
    for name, (result, count) in results.items():
        result["ratio"] = result["completions_per_s"] / raw["completions_per_s"]
        figures[name] = result
        echo(
            f"{name} ({count} process{'es' if count > 1 else ''}): "
            f"{result['instances_per_s']:.0f} complaint instances/s, "
            f"{result['completions_per_s']:.0f} task completions/s, "
            f"ratio to raw {result['ratio']:.2f}"
        )
    figures["rework_growth"] = rework_growth(echo=echo)
    evaluator = _evaluator()
    figures["script"] = evaluator
    echo(
        f"one complaint script: {evaluator['evaluator_us']:.0f} µs in an evaluator process, "
        f"{evaluator['in_process_us']:.0f} µs in SpiffWorkflow's own exec"
    )
    echo(json.dumps(_rounded(figures)))
    return figures
