"""A person's completion that leaves the very next gateway unable to choose its way.

An exclusive or inclusive gateway right after a human step reads what the step's form left in the task data.
When the form left a variable it needs undefined (a Camunda form without that field, an optional field left
empty), the condition raises NameError. That is the person's submission being incomplete, not the diagram
failing: the completion is refused (422 naming the variable) and nothing changes. Any other failure — a
later gateway, another error — still fails the instance.
"""

from __future__ import annotations

import re

from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task

from engine.errors import InvalidData
from engine.evaluator import ScriptError

_GATEWAYS = (ExclusiveGateway, InclusiveGateway)
_UNDEFINED = re.compile(r"name '([^']+)' is not defined")


class UndefinedForGateway(InvalidData):
    """The submission left a variable undefined that the next gateway's condition reads."""

    code = "undefined_variable"


def _is_element(spec: TaskSpec) -> bool:
    """A BPMN element of the diagram, as opposed to SpiffWorkflow's own joins and splits."""
    return getattr(spec, "bpmn_id", None) is not None


def leads_to_gateway(spec: TaskSpec) -> bool:
    """Whether the first element after `spec` (past SpiffWorkflow's joins) is a gateway with conditions."""
    seen: set[str] = set()
    pending = list(spec.outputs)
    while pending:
        following = pending.pop()
        if following.name in seen:
            continue
        seen.add(following.name)
        if isinstance(following, _GATEWAYS):
            return True
        if not _is_element(following):
            pending.extend(following.outputs)
    return False


def undefined_variable(exc: BaseException) -> str | None:
    """The name a NameError behind `exc` reports (raised in the server or reported by an evaluator)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NameError):
            return current.name or _name_in(str(current))
        if isinstance(current, ScriptError) and current.type_name == "NameError":
            return _name_in(current.message)
        current = current.__cause__ or current.__context__
    return None


def _name_in(text: str) -> str | None:
    found = _UNDEFINED.search(text)
    return found.group(1) if found else None


def refusal(exc: BaseException, completed: Task) -> UndefinedForGateway | None:
    """The refusal to give instead of failing the instance, when `exc` is a NameError in the condition of
    the gateway that directly follows the `completed` step; otherwise None."""
    gateway = getattr(exc, "task", None)
    if not isinstance(gateway, Task) or not isinstance(gateway.task_spec, _GATEWAYS):
        return None
    step = gateway.parent
    while step is not None and step is not completed and not _is_element(step.task_spec):
        step = step.parent
    if step is not completed:
        return None
    name = undefined_variable(exc)
    if name is None:
        return None
    where = gateway.task_spec.bpmn_name or gateway.task_spec.name
    return UndefinedForGateway(
        f"the form leaves '{name}' undefined, which the gateway '{where}' needs to choose the way on",
        {name: "needed by the next step's condition: fill it in"},
    )
