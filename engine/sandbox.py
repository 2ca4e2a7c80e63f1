"""The script environment diagrams run in: source checked here, run in an evaluator (engine.evaluator).

Every script, condition and expression is checked against the sandbox rules (engine.safety) before it is
sent, so a diagram stored before a rule tightened still cannot escape; then it runs out of the server's
process, under the evaluator's time and memory limits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.task import Task

from engine.evaluator import EvaluatorPool, ScriptAborted, ScriptError
from engine.safety import check, constant_assignments, plain_lookup


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, pool: EvaluatorPool, function_names: Collection[str]) -> None:
        super().__init__({})
        self.pool = pool
        self.function_names = frozenset(function_names)

    def _names(self, external_context: Mapping[str, Any] | None) -> frozenset[str]:
        # The same set each time when there is no context: its hash is kept, and the check's cache hits.
        if not external_context:
            return self.function_names
        return self.function_names | frozenset(external_context)

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        check(expression, "eval", self._names(external_context))
        lookup = plain_lookup(expression)
        if lookup is not None:
            return eval(lookup, {"__builtins__": {}}, {**(external_context or {}), **context})
        return self.pool.evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        check(script, "exec", self._names(external_context))
        overwritten = self.function_names.intersection(context) | frozenset(
            external_context or ()
        ).intersection(context)
        if overwritten:
            names = ", ".join(sorted(overwritten))
            raise ValueError(f"task data overwrites the diagram functions {names}: rename these fields")
        constants = constant_assignments(script)
        if constants is not None:
            context.update(constants)
            return True
        result = self.pool.execute(script, context, external_context)
        context.clear()
        context.update(result)
        return True


def _step(task: Task) -> str:
    return str(task.task_spec.bpmn_name or task.task_spec.name)


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, reporting the line of the script where the evaluator saw it fail, and
    the step whose script or expression the evaluator stopped."""

    def evaluate(self, task: Task, expression: str, external_context: Any = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except ScriptAborted as stopped:
            raise stopped.at_step(_step(task)) from None

    def create_task_exec_exception(self, task: Task, script: str, err: Exception) -> Exception:
        if isinstance(err, ScriptAborted):
            return err.at_step(_step(task))  # no line to point at: the whole script was stopped
        if not isinstance(err, ScriptError):
            return super().create_task_exec_exception(task, script, err)
        lines = script.splitlines()
        line = err.line_number
        error_line = lines[line - 1] if 0 < line <= len(lines) else ""
        return WorkflowTaskException(
            str(err), task=task, exception=err, line_number=line, error_line=error_line
        )


def script_engine(pool: EvaluatorPool, function_names: Collection[str]) -> PythonScriptEngine:
    return SandboxScriptEngine(environment=SandboxEnvironment(pool, function_names))
