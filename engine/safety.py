"""What a diagram's scripts, conditions and expressions may contain.

The same check runs at deploy (so a process owner hears about a forbidden construct before anything
runs) and before every evaluation (so a diagram stored before a rule tightened still cannot escape).
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Collection
from functools import lru_cache
from types import CodeType
from typing import Literal

Mode = Literal["eval", "exec"]

SAFE_BUILTIN_NAMES = frozenset(
    {
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "map",
        "max",
        "min",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "True",
        "False",
        "None",
        "ValueError",
        "KeyError",
        "TypeError",
        "Exception",
    }
)
SAFE_BUILTINS: dict[str, object] = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}

_FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.Yield: "generators are not allowed",
    ast.YieldFrom: "generators are not allowed",
    # Class patterns name attributes as plain strings (`case object(__subclasses__=s)`), out of reach of the
    # attribute rule below; diagrams have no need of pattern matching.
    ast.Match: "match statements are not allowed",
}

# Attributes that lead from a value to the interpreter: frames, code, tracebacks and class hierarchies of
# generators, coroutines and exceptions (`(g for _ in x).gi_frame.f_globals`), and format strings, which can
# reach any attribute (`"{0.__class__}".format(x)`). Everything starting with "_" is refused as well.
_FORBIDDEN_ATTRIBUTE_PREFIXES = ("_", "gi_", "cr_", "ag_", "f_", "tb_", "co_")
_FORBIDDEN_ATTRIBUTES = frozenset({"mro", "format", "format_map", "with_traceback"})


class UnsafeExpression(ValueError):
    """A script or expression that is malformed or uses a construct the sandbox forbids."""


def problems_in(source: str, mode: Mode, functions: Collection[str] = ()) -> list[str]:
    """Every reason `source` may not run in the sandbox, as plain sentences; empty when it may.

    `functions` are the registry names a diagram may call besides the safe builtins.
    """
    return list(_problems(source, mode, frozenset(functions)))


@lru_cache(maxsize=4096)
def _problems(source: str, mode: Mode, functions: frozenset[str]) -> tuple[str, ...]:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return (f"Python syntax error{where}: {exc.msg}",)
    found: list[str] = []
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for node in ast.walk(tree):
        message = _FORBIDDEN_NODES.get(type(node))
        if message:
            found.append(message)
        elif isinstance(node, ast.Attribute) and node.attr in ("format", "format_map"):
            found.append(f"'.{node.attr}()' is not allowed: use an f-string")
        elif isinstance(node, ast.Attribute) and (
            node.attr.startswith(_FORBIDDEN_ATTRIBUTE_PREFIXES) or node.attr in _FORBIDDEN_ATTRIBUTES
        ):
            found.append(f"access to the attribute '{node.attr}' is not allowed")
        elif isinstance(node, ast.Name) and node.id.startswith("__"):
            found.append(f"the name '{node.id}' is not allowed")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in SAFE_BUILTIN_NAMES and name not in functions and name not in defined:
                if not name.startswith("__"):
                    found.append(f"unknown function '{name}': only safe builtins and registered functions")
    return tuple(dict.fromkeys(found))


def check(source: str, mode: Mode, functions: Collection[str] = ()) -> None:
    found = problems_in(source, mode, functions)
    if found:
        raise UnsafeExpression("; ".join(found))


# Expressions made only of names, constants, comparisons and `and`/`or`/`not` (a gateway's
# `satisfied == "yes"`, a timer's `handle_due`) cannot loop, call or allocate: they are evaluated in the
# server, saving the trip to an evaluator process for most of a diagram's expressions.
_LOOKUP_NODES = (
    ast.Expression,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)


@lru_cache(maxsize=4096)
def plain_lookup(source: str) -> CodeType | None:
    """The compiled expression when it is a plain lookup or comparison (see above), else None."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return None
    if not all(isinstance(node, _LOOKUP_NODES) for node in ast.walk(tree)):
        return None
    if any(isinstance(node, ast.Name) and node.id.startswith("_") for node in ast.walk(tree)):
        return None
    return compile(tree, "<expression>", "eval")


# A script made only of `name = constant` lines (an initialisation: `rounds = 0`, `contractor = None`) cannot
# loop, call or allocate either: the values are set in the server, saving the evaluator's round trip on
# every instance started.
_CONSTANT_TYPES = (type(None), bool, int, float, str)


@lru_cache(maxsize=4096)
def constant_assignments(source: str) -> tuple[tuple[str, object], ...] | None:
    """The (name, value) pairs such a script sets, in order; None for any other script."""
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError:
        return None
    pairs: list[tuple[str, object]] = []
    for statement in tree.body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and not statement.targets[0].id.startswith("_")
            and isinstance(statement.value, ast.Constant)
            and type(statement.value.value) in _CONSTANT_TYPES
        ):
            return None
        pairs.append((statement.targets[0].id, statement.value.value))
    return tuple(pairs) if pairs else None
