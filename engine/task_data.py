"""What task data may hold: exactly what SpiffWorkflow's serializer stores and gives back unchanged.

Task data comes from forms, the API and a diagram's scripts. Anything the serializer cannot store, or stores
differently from what it was given, would fail the instance at its next save or, worse, at every load after
it: a dict with a `typename` key is read back as a registered type (an unknown name fails every later load),
NaN is written as invalid JSON, a set or a map object cannot be written at all. So data is checked where it
enters: an API or form submission is refused (422), a script's result fails the step or the instance.

The walk is iterative, so data nested far deeper than Python's recursion limit is reported, not crashed on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from engine.errors import InvalidData

# SpiffWorkflow's DictionaryConverter marks a registered type with this key, and reads any dict carrying it
# back as that type.
RESERVED_KEY = "typename"
MAX_DEPTH = 64

_SCALARS = (str, bool, int, type(None), datetime, timedelta, UUID)


class UnstorableData(ValueError):
    """Data that cannot be stored as task data, with the path to the offending value."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{message} (at {path})" if path else message)
        self.path = path
        self.reason = message


def _describe(value: Any) -> str:
    return type(value).__name__


def check_data(data: Mapping[str, Any], max_depth: int = MAX_DEPTH) -> None:
    """Raise UnstorableData for the first value in `data` that would not round-trip through the serializer."""
    check_value(data, "", max_depth)


def check_value(value: Any, path: str = "", max_depth: int = MAX_DEPTH) -> None:
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                raise UnstorableData(f"{item} is not a number that can be stored", where)
            continue
        if isinstance(item, _SCALARS):
            continue
        if depth >= max_depth:
            raise UnstorableData(f"data nested deeper than {max_depth} levels", where)
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise UnstorableData(f"the key {key!r} is not text", where)
                if key == RESERVED_KEY:
                    raise UnstorableData(f"the key '{RESERVED_KEY}' is reserved", where)
                stack.append((child, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, (list, tuple)):
            for index, child in enumerate(item):
                stack.append((child, f"{where}[{index}]", depth + 1))
        else:
            raise UnstorableData(f"a value of type '{_describe(item)}' cannot be stored", where)


def refuse_unstorable(data: Mapping[str, Any]) -> None:
    """For data people submit: InvalidData (a 422 naming the field) when it could not be stored."""
    try:
        check_data(data)
    except UnstorableData as exc:
        field = exc.path.split(".", 1)[0].split("[", 1)[0] or "_"
        raise InvalidData("the data cannot be stored", {field: exc.reason}) from None
