"""Which finished tasks a saved instance can leave behind, so that its history does not slow it down.

SpiffWorkflow keeps every task it ever ran: a loop hangs each iteration under the previous one, so every
load, engine step and save walks a tree that only grows (about twelve tasks and seven levels per rework
of a complaint). Past about 140 reworks the tree is deeper than SpiffWorkflow's own recursion can walk and
the step fails. The timeline is Lintel's audit rows, not the tree, so once an instance is past a size the
saved state keeps only what the running instance still reads:

- the root, and every unfinished task (ready, waiting, started and the predicted ones);
- the parent of each unfinished task and that parent's other children: a boundary event's join looks at the
  split's children (the activity and every boundary event), a parallel join at the parents of its sibling
  join tasks, `reset_branch` and migration copy a task's data from its parent;
- every child of an unfinished task (a multi-instance or loop task reads its finished instances);
- the workflow's last completed task (a subprocess hands its data back from it);
- for each unfinished task, its nearest ancestor of every element a join looks for among ancestors: the inputs
  of parallel and inclusive gateways (a parallel gateway that a loop comes back to walks up from its
  predicted tasks to the input that first reached it) and the split a boundary event's join belongs to.

A kept task whose parent goes hangs under its nearest kept ancestor, which keeps ancestry between kept tasks
(joins in loops tell earlier iterations from later ones by it) and the depth-first order in which
SpiffWorkflow finds ready tasks. Data is whole in memory and the serializer stores it as a delta against
the new parent. Subprocesses of tasks that are left behind go with them; the trees inside subprocesses are
kept whole (an ad hoc subprocess reads the root's children as its paths).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

# Below this many tasks (subprocesses included) the tree is saved as SpiffWorkflow holds it: an ordinary
# complaint (about 45 tasks, twelve more per rework) reaches it only after six reworks: short instances are
# saved exactly as before and only long-running loops are pruned.
PRUNE_ABOVE = 120


@dataclass
class Pruning:
    """The tree to save: kept task ids in their original order, with their (new) parent and children."""

    keep: list[UUID]
    parent: dict[UUID, UUID | None]
    children: dict[UUID, list[UUID]]
    subprocesses: set[UUID] = field(default_factory=set)

    def reparented(self, task_id: UUID, old_parent: UUID | None) -> bool:
        return self.parent[task_id] != old_parent


def size(workflow: BpmnWorkflow) -> int:
    """Tasks in the workflow and all its subprocesses."""
    return len(workflow.tasks) + sum(len(sp.tasks) for sp in workflow.subprocesses.values())


def plan(workflow: BpmnWorkflow, above: int | None = PRUNE_ABOVE) -> Pruning | None:
    """What to save of `workflow`; None: save it whole (small enough, pruning off or nothing to drop)."""
    if above is None or size(workflow) <= above:
        return None
    tasks = workflow.tasks
    root = workflow.task_tree
    kept: set[UUID] = {root.id}
    for task in tasks.values():
        if not task.has_state(TaskState.NOT_FINISHED_MASK):
            continue
        kept.add(task.id)
        kept.update(task._children)
        parent = tasks.get(task._parent) if task._parent is not None else None
        if parent is not None:
            kept.add(parent.id)
            kept.update(parent._children)
    last = workflow.last_task
    if last is not None and last.id in tasks:
        kept.add(last.id)
    kept.update(_ancestors_joins_look_for(workflow))
    if len(kept) == len(tasks):
        return None

    # Depth-first over the whole tree (iteratively: a long-lived tree is deeper than Python's recursion
    # limit), hanging each kept task under its nearest kept ancestor in the order SpiffWorkflow walks them.
    parent_of: dict[UUID, UUID | None] = {root.id: None}
    children: dict[UUID, list[UUID]] = {task_id: [] for task_id in kept}
    stack: list[tuple[UUID, UUID]] = [(child, root.id) for child in reversed(root._children)]
    while stack:
        task_id, nearest = stack.pop()
        task = tasks[task_id]
        if task_id in kept:
            parent_of[task_id] = nearest
            children[nearest].append(task_id)
            nearest = task_id
        stack.extend((child, nearest) for child in reversed(task._children))

    keep = [task_id for task_id in tasks if task_id in parent_of]
    return Pruning(keep, parent_of, children, _kept_subprocesses(workflow, kept))


def _looked_for(specs: dict[str, TaskSpec]) -> frozenset[str]:
    """Names of the elements joins find among a task's ancestors (Task.find_ancestor and the like)."""
    names: set[str] = set()
    for spec in specs.values():
        if isinstance(spec, UnstructuredJoin):
            names.update(i.name for i in spec.inputs)
        if isinstance(spec, Join) and spec.split_task:
            names.add(spec.split_task)
    return frozenset(names)


def _ancestors_joins_look_for(workflow: BpmnWorkflow) -> set[UUID]:
    """For each unfinished task, its nearest ancestor of each element in _looked_for: a walk up the pruned
    tree then meets the same task first as a walk up the whole tree would."""
    names = _looked_for(workflow.spec.task_specs)
    tasks = workflow.tasks
    found: set[UUID] = set()
    nearest: dict[str, UUID] = {}
    stack: list[tuple[UUID, dict[str, UUID]]] = [(workflow.task_tree.id, nearest)]
    while stack:
        task_id, nearest = stack.pop()
        task = tasks[task_id]
        if task.has_state(TaskState.NOT_FINISHED_MASK):
            found.update(nearest.values())
        if task.task_spec.name in names:
            nearest = {**nearest, task.task_spec.name: task_id}
        stack.extend((child, nearest) for child in task._children)
    return found


def _kept_subprocesses(workflow: BpmnWorkflow, kept: set[UUID]) -> set[UUID]:
    """Subprocesses whose task is kept: directly, or inside a subprocess that is itself kept."""
    result: set[UUID] = set()
    for sp_id, subprocess in sorted(workflow.subprocesses.items(), key=lambda item: item[1].depth):
        owner = subprocess.parent_workflow
        if owner is workflow and sp_id in kept:
            result.add(sp_id)
        elif owner is not workflow and getattr(owner, "parent_task_id", None) in result:
            result.add(sp_id)
    return result
