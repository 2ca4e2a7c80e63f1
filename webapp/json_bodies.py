"""JSON request bodies, parsed within limits.

Python's json parser raises RecursionError (a 500) on very deeply nested input, and nothing downstream —
marshmallow, the form validator, SpiffWorkflow's serializer — is written for hundreds of levels either.
Every JSON body the app parses is therefore capped in size and in nesting depth, and refused with 413 or
400 and a clear message before any view sees it.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
TOO_DEEP = f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels of objects and arrays)"


def nesting_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether objects and arrays in `value` nest deeper than `limit` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class GuardedJSONProvider(DefaultJSONProvider):
    """The app's JSON: what `request.get_json` parses with is the standard parser with a size and a depth
    limit (the only other text it reads is Flask's signed session cookie, a few hundred bytes)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if len(s) > MAX_JSON_BYTES:
            raise RequestEntityTooLarge(f"a JSON body may be at most {MAX_JSON_BYTES // 1024} KiB")
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise BadRequest(TOO_DEEP) from None
        if nesting_depth_exceeds(value, MAX_JSON_DEPTH):
            raise BadRequest(TOO_DEEP)
        return value
