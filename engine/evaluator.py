"""A diagram's scripts and expressions run in evaluator processes, under the operating system's limits.

Python cannot interrupt itself inside a C call (`sum(range(3 * 10**9))`, `10**10**8` hold the interpreter for
minutes), cannot bound memory, and a deep enough chain of C iterators overflows the C stack and ends the
process. So nothing a diagram wrote runs in the server: the checked source, the task data and the current
engine time go to a small pool of evaluator processes (engine.evaluator_worker), each with an address-space
limit and a CPU-time limit per request, and the server waits at most the wall-clock limit before killing it.
A killed or crashed evaluator is replaced; the script's step or instance fails with the reason.

Data crosses as pickle into the evaluator (the server is trusted) and comes back as JSON produced by
SpiffWorkflow's own converter, after the task-data check: what a script leaves is exactly what can be stored.
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.timing import engine_now

MiB = 1024 * 1024


@dataclass(frozen=True)
class FunctionLibrary:
    """The functions a diagram may call, as a recipe each evaluator process can build: a module-level
    factory (pickled by reference) and its picklable arguments."""

    factory: Callable[..., Mapping[str, Callable[..., Any]]]
    args: tuple[Any, ...] = ()

    def build(self) -> dict[str, Callable[..., Any]]:
        return dict(self.factory(*self.args))


@dataclass(frozen=True)
class EvaluatorLimits:
    seconds: float = 2.0  # wall-clock and CPU time one script or expression may take
    memory_bytes: int = 256 * MiB  # address space an evaluator may add to what it starts with
    max_data_bytes: int = 2 * MiB  # largest task data a script may hand back, and largest instance state
    processes: int = 2  # evaluators running side by side


class ScriptAborted(SpiffWorkflowException):
    """The evaluator stopped a script (time, memory, a crash): not a mistake a person can correct by
    resubmitting, so its instance fails. A SpiffWorkflowException so SpiffWorkflow passes it on unwrapped."""

    def __str__(self) -> str:
        return ". ".join([Exception.__str__(self), *self.notes])

    def at_step(self, name: str) -> ScriptAborted:
        """The same refusal, naming the step whose script or expression it was."""
        return type(self)(f"{Exception.__str__(self)} (step '{name}')")


class ScriptTimeout(ScriptAborted):
    pass


class ScriptOutOfMemory(ScriptAborted):
    pass


class EvaluatorCrashed(ScriptAborted):
    pass


class ScriptError(Exception):
    """An ordinary exception inside the script (ZeroDivisionError, KeyError...), reported by the evaluator."""

    def __init__(self, type_name: str, message: str, line_number: int = 0) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message
        self.line_number = line_number


def aborted_in(exc: BaseException) -> ScriptAborted | None:
    """The ScriptAborted behind `exc`, however SpiffWorkflow wrapped it, or None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ScriptAborted):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


_SIGNALS: dict[int, str] = {
    signal.SIGSEGV: "the script crashed the evaluator (it overflowed the C stack, e.g. a deep chain of "
    "iterators or nested values)",
    signal.SIGXCPU: "the script used more CPU time than allowed",
    signal.SIGKILL: "the evaluator was stopped",
}


class _Evaluator:
    """One evaluator process and the server's end of its socket."""

    def __init__(self, config: bytes) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "engine.evaluator_worker", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            theirs.close()
        self.connection = Connection(ours.detach())
        self.connection.send_bytes(config)
        if not self.connection.poll(60) or json.loads(self.connection.recv_bytes()) != {"ready": True}:
            self.kill()
            raise RuntimeError("the script evaluator did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, request: bytes, seconds: float, max_bytes: int) -> dict[str, Any]:
        try:
            self.connection.send_bytes(request)
            if not self.connection.poll(seconds):
                self.kill()
                raise ScriptTimeout(f"the script ran longer than {seconds:g} s and was stopped")
            answer = self.connection.recv_bytes(max_bytes)
        except (EOFError, OSError) as exc:
            code = self._ended()
            self.kill()
            if isinstance(exc, OSError) and code is None:
                raise EvaluatorCrashed("the script's result was too large to pass back") from None
            reason = _SIGNALS.get(-code) if code is not None and code < 0 else None
            if code == -signal.SIGXCPU:
                raise ScriptTimeout(reason or "") from None
            raise EvaluatorCrashed(
                reason or f"the evaluator ended unexpectedly (exit status {code})"
            ) from None
        found: dict[str, Any] = json.loads(answer)
        return found

    def _ended(self) -> int | None:
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.connection.close()


class EvaluatorPool:
    """Evaluator processes shared by every thread of one server process, started when first needed."""

    def __init__(self, libraries: Iterable[FunctionLibrary], limits: EvaluatorLimits) -> None:
        self.limits = limits
        self._config = pickle.dumps(
            {
                "libraries": list(libraries),
                "memory_bytes": limits.memory_bytes,
                "max_output": limits.max_data_bytes,
                "cpu_seconds": limits.seconds,
            }
        )
        self._registry = DefaultRegistry()
        self._idle: list[_Evaluator] = []
        self._running = 0
        self._ready = threading.Condition()
        self._pid = os.getpid()

    # -- what the script environment calls -------------------------------------------------------------

    def evaluate(self, source: str, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> Any:
        return self._run("eval", source, context, external)["value"]

    def execute(
        self, source: str, context: Mapping[str, Any], external: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        data: dict[str, Any] = self._run("exec", source, context, external)["data"]
        return data

    def _run(
        self, mode: str, source: str, context: Mapping[str, Any], external: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        request = {
            "mode": mode,
            "source": source,
            "context": dict(context),
            "external": dict(external or {}),
            "now": engine_now(),
        }
        try:
            payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise ScriptError(
                "UnstorableData", f"the task data cannot be passed to the script: {exc}"
            ) from None
        answer = self._call(payload)
        if "error" in answer:
            if answer["error"] == "memory":
                megabytes = self.limits.memory_bytes // MiB
                raise ScriptOutOfMemory(f"the script used more than {megabytes} MB of memory and was stopped")
            if answer["error"] == "unstorable":
                raise ScriptError(
                    "UnstorableData", f"the script left data that cannot be stored: {answer['message']}"
                )
            raise ScriptError(answer["type"], answer["message"], int(answer.get("line") or 0))
        restored: dict[str, Any] = self._registry.restore(answer)
        return restored

    # -- the processes ---------------------------------------------------------------------------------

    def _call(self, payload: bytes) -> dict[str, Any]:
        evaluator = self._acquire()
        keep = False
        try:
            if not evaluator.alive():  # it ended after its last answer: that was not this script's doing
                evaluator.kill()
                evaluator = _Evaluator(self._config)
            answer = evaluator.call(payload, self.limits.seconds, self.limits.max_data_bytes + MiB)
            if answer.get("ending"):  # it ends after a MemoryError or a blown stack
                evaluator.kill()
            keep = evaluator.alive()
            return answer
        finally:
            self._release(evaluator if keep else None)

    def _acquire(self) -> _Evaluator:
        with self._ready:
            if os.getpid() != self._pid:  # a forked copy of the server: the evaluators belong to the parent
                self._idle, self._running, self._pid = [], 0, os.getpid()
            while not self._idle and self._running >= self.limits.processes:
                self._ready.wait()
            self._running += 1
            if self._idle:
                return self._idle.pop()
        try:
            return _Evaluator(self._config)
        except BaseException:
            with self._ready:
                self._running -= 1
                self._ready.notify()
            raise

    def _release(self, evaluator: _Evaluator | None) -> None:
        with self._ready:
            self._running -= 1
            if evaluator is not None:
                self._idle.append(evaluator)
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            idle, self._idle = self._idle, []
        for evaluator in idle:
            evaluator.kill()


@dataclass
class _Shared:
    pools: dict[bytes, EvaluatorPool] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_shared = _Shared()


def shared_pool(libraries: Iterable[FunctionLibrary], limits: EvaluatorLimits) -> EvaluatorPool:
    """The process-wide pool for this configuration: every unit of work of a server shares its evaluators."""
    libraries = list(libraries)
    key = pickle.dumps((libraries, limits))
    with _shared.lock:
        pool = _shared.pools.get(key)
        if pool is None:
            pool = _shared.pools[key] = EvaluatorPool(libraries, limits)
        return pool


@atexit.register
def _close_all() -> None:
    for pool in list(_shared.pools.values()):
        pool.close()
