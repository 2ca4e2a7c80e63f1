"""The script environment diagrams run in: checked source, safe builtins, registered functions, time limit."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.safety import SAFE_BUILTINS, Mode, check


class ScriptTimeout(Exception):
    pass


@lru_cache(maxsize=4096)
def _compile(source: str, mode: Mode) -> CodeType:
    return compile(source, "<string>", mode)


def _bounded(run: Callable[[], Any], seconds: float) -> Any:
    """Run with a wall-clock limit on Python-level execution (loops in scripts; C calls run to their end)."""
    deadline = time.monotonic() + seconds

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise ScriptTimeout(f"script ran longer than {seconds:g} s")
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return run()
    finally:
        sys.settrace(previous)


class SandboxEnvironment(TaskDataEnvironment):
    def __init__(self, functions: Mapping[str, Callable[..., Any]], time_limit: float = 2.0) -> None:
        super().__init__(dict(functions))
        self.function_names = frozenset(functions)
        self.time_limit = time_limit

    def _names(self, external_context: Mapping[str, Any] | None) -> frozenset[str]:
        return self.function_names | frozenset(external_context or ())

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        check(expression, "eval", self._names(external_context))
        scope = {**self.globals, **(external_context or {}), **context, "__builtins__": SAFE_BUILTINS}
        code = _compile(expression, "eval")
        return _bounded(lambda: eval(code, scope), self.time_limit)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        check(script, "exec", self._names(external_context))
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        context["__builtins__"] = SAFE_BUILTINS
        code = _compile(script, "exec")
        try:
            _bounded(lambda: exec(code, context), self.time_limit)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def script_engine(functions: Mapping[str, Callable[..., Any]], time_limit: float = 2.0) -> PythonScriptEngine:
    return PythonScriptEngine(environment=SandboxEnvironment(functions, time_limit))
