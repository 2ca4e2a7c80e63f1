"""The evaluator process: runs a diagram's scripts and expressions where they cannot hurt the server.

Started by engine.evaluator with one end of a socket pair (its file descriptor is the only argument). The
parent first sends the configuration (pickled: the parent is trusted), the process applies its own limits
and answers "ready"; then it answers one request at a time. Requests are pickled, answers are JSON, so
nothing a script builds is ever unpickled by the server. Limits are the operating system's: an address-space
limit (a huge string is a MemoryError here), a CPU-time limit per request (SIGXCPU ends the process), and
the parent kills it when a request outlives its wall-clock limit. A crash (a deep C-iterator chain overflows
the C stack) ends only this process; the parent starts another.
"""

from __future__ import annotations

import gc
import json
import pickle
import resource
import sys
import traceback
from collections.abc import Callable
from functools import lru_cache
from multiprocessing.connection import Connection
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry

from engine.safety import SAFE_BUILTINS
from engine.task_data import UnstorableData, check_value
from engine.timing import engine_clock
from lintel.clock import FixedClock

_registry = DefaultRegistry()


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit(config: dict[str, Any]) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if config["memory_bytes"]:
        # The limit counts from what the interpreter and its modules already take.
        ceiling = _address_space() + int(config["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def _cpu_budget(seconds: float) -> None:
    """Let this request use `seconds` more CPU time; past it the kernel ends the process (SIGXCPU)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = int(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


@lru_cache(maxsize=1024)
def _compile(source: str, mode: str) -> CodeType:
    return compile(source, "<script>", mode)


def _line_of(exc: BaseException) -> int:
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<script>":
            return frame.lineno or 0
    return 0


def _encode(key: str, value: Any, max_bytes: int) -> bytes:
    check_value(value)
    converted = {key: _registry.convert(value)}
    text = json.dumps(converted, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    encoded = text.encode("utf-8")
    if len(encoded) > max_bytes:
        raise UnstorableData(f"the result is {len(encoded):,} bytes, more than the {max_bytes:,} allowed")
    return encoded


class Evaluator:
    def __init__(self, functions: dict[str, Callable[..., Any]], max_output: int) -> None:
        self.functions = functions
        self.max_output = max_output

    def run(self, request: dict[str, Any]) -> tuple[bytes, bool]:
        """Run one request: the answer as JSON bytes, and whether this process should end after sending it
        (a MemoryError or a blown stack leaves an interpreter not worth trusting). Everything the script built
        is released before the answer is returned, so a value that crashes on release crashes here, in its
        own request."""
        scope: dict[str, Any] = {}
        try:
            answer = self._run(request, scope)
        except MemoryError:
            scope.clear()
            return _failure(
                "memory", "MemoryError", "the script used more memory than allowed", 0, True
            ), True
        except RecursionError as exc:
            scope.clear()
            return _failure("recursion", "RecursionError", str(exc), _line_of(exc), True), True
        except UnstorableData as exc:
            scope.clear()
            return _failure("unstorable", "UnstorableData", str(exc), 0), False
        except Exception as exc:
            scope.clear()
            message = str(exc) if exc.args else ""
            return _failure("error", type(exc).__name__, message, _line_of(exc)), False
        scope.clear()
        return answer, False

    def _run(self, request: dict[str, Any], scope: dict[str, Any]) -> bytes:
        source: str = request["source"]
        external: dict[str, Any] = request.get("external") or {}
        context: dict[str, Any] = request["context"]
        code = _compile(source, request["mode"])
        with engine_clock(FixedClock(request["now"])):
            if request["mode"] == "eval":
                scope.update(self.functions)
                scope.update(external)
                scope.update(context)
                scope["__builtins__"] = SAFE_BUILTINS
                value = eval(code, scope)
                answer = _encode("value", value, self.max_output)
                del value
                return answer
            scope.update(context)
            scope.update(self.functions)
            scope.update(external)
            scope["__builtins__"] = SAFE_BUILTINS
            exec(code, scope)
            for key in [k for k, v in scope.items() if callable(v)]:
                del scope[key]
            for key in ("__builtins__", *self.functions, *external):
                scope.pop(key, None)
            return _encode("data", scope, self.max_output)


def _failure(kind: str, error_type: str, message: str, line: int, ending: bool = False) -> bytes:
    body = {"error": kind, "type": error_type, "message": message[:2000], "line": line, "ending": ending}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def serve(connection: Connection) -> None:
    config: dict[str, Any] = pickle.loads(connection.recv_bytes())
    functions: dict[str, Callable[..., Any]] = {}
    for library in config["libraries"]:
        functions.update(library.build())
    evaluator = Evaluator(functions, int(config["max_output"]))
    _limit(config)
    gc.collect()
    connection.send_bytes(b'{"ready":true}')
    while True:
        try:
            raw = connection.recv_bytes()
        except (EOFError, OSError):
            return  # the server closed its end or is gone
        request = pickle.loads(raw)
        del raw
        _cpu_budget(float(config["cpu_seconds"]))
        answer, fatal = evaluator.run(request)
        del request
        connection.send_bytes(answer)
        if fatal:
            return


def main() -> None:
    fd = int(sys.argv[1])
    serve(Connection(fd))


if __name__ == "__main__":
    main()
