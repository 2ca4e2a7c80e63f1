"""What the engine refuses, as exceptions the edges turn into HTTP statuses and CLI messages."""

from __future__ import annotations

from collections.abc import Mapping

from engine.bpmn_meta import Problem


class EngineError(Exception):
    code = "engine_error"
    # The refusal comes with changes the caller must commit all the same (the instance was marked failed).
    keep_changes = False


class NotFound(EngineError):
    code = "not_found"


class Conflict(EngineError):
    """The task or instance moved on since the caller looked (completed, claimed, stale revision)."""

    code = "conflict"


class StepFailed(Conflict):
    """The diagram's own script for this step failed: the step is not taken, nothing changes."""

    code = "step_failed"


class InstanceStopped(Conflict):
    """The step's script was stopped by the evaluator's limits: the instance is marked failed (committed)."""

    code = "instance_failed"
    keep_changes = True


class Forbidden(EngineError):
    code = "forbidden"


class InvalidData(EngineError):
    """Submitted data fails the task's form; `fields` maps each field to what is wrong with it."""

    code = "invalid_data"

    def __init__(self, message: str, fields: Mapping[str, str]) -> None:
        super().__init__(message)
        self.fields = dict(fields)


class DeployRefused(EngineError):
    code = "invalid_definition"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the diagram")
        self.problems = problems
