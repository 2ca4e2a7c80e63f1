"""The sandbox refuses every known way from a diagram to the interpreter, at deploy and at run time."""

from __future__ import annotations

import pytest

from engine.evaluator import EvaluatorLimits, FunctionLibrary, shared_pool
from engine.safety import UnsafeExpression, problems_in
from engine.sandbox import SandboxEnvironment


def _double_library() -> dict[str, object]:
    return {"double": _double}


def _double(x: int) -> int:
    return x * 2


def environment_with(*libraries: FunctionLibrary) -> SandboxEnvironment:
    pool = shared_pool(libraries, EvaluatorLimits(seconds=5))
    names = {name for library in libraries for name in library.build()}
    return SandboxEnvironment(pool, names)


ESCAPES = [
    ("eval", "__import__('os').getpid()"),
    ("eval", "().__class__.__mro__[-1].__subclasses__()"),
    ("eval", "'{0.__class__}'.format(1)"),
    ("eval", "f'{(1).__class__}'"),
    ("eval", "list((g := (g.gi_frame.f_back.f_globals['sys'] for _ in [1])))"),
    ("eval", "[e.__traceback__ for e in [ValueError()]]"),
    ("eval", "int.mro()[-1]"),
    ("exec", "import os"),
    ("exec", "o = int\nmatch o:\n    case o(__subclasses__=s):\n        pass"),
    ("exec", "def f():\n    yield 1\nx = f().gi_frame"),
    ("exec", "try:\n    1 / 0\nexcept Exception as e:\n    t = e.with_traceback"),
]


@pytest.mark.parametrize(("mode", "source"), ESCAPES)
def test_every_known_escape_is_refused(mode, source) -> None:  # type: ignore[no-untyped-def]
    assert problems_in(source, mode)
    environment = environment_with()
    with pytest.raises(UnsafeExpression):
        if mode == "eval":
            environment.evaluate(source, {})
        else:
            environment.execute(source, {})


def test_ordinary_diagram_code_still_runs() -> None:
    environment = environment_with(FunctionLibrary(_double_library))
    data = {"items": [3, 1, 2], "severity": "high"}
    environment.execute(
        "total = sum(x for x in items)\nlabel = f'{severity}-{double(total)}'\nfirst = sorted(items)[0]", data
    )
    assert (data["total"], data["label"], data["first"]) == (6, "high-12", 1)
    assert environment.evaluate("severity == 'high' and len(items) > 2", data) is True
