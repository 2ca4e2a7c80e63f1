"""Limits on what a request may carry, checked before any view sees it.

Python's json parser raises RecursionError (a 500) on very deeply nested input, and nothing downstream —
marshmallow, the form validator, SpiffWorkflow's serializer — is written for hundreds of levels either, so
every JSON body the app parses is capped in size and in nesting depth, and refused with 413 or 400 and a
clear message. PostgreSQL cannot store a NUL character in text (the driver raises, a 500), so a NUL in the
path, the query, a form field or a JSON string is refused with 400 too, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
TOO_DEEP = f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels of objects and arrays)"
NUL = "the request contains a NUL character (\\u0000), which cannot be stored"


def _json_problem(value: Any, limit: int) -> str | None:
    """Why `value` cannot be taken: nested deeper than `limit`, or a NUL in a key or string (walked without
    recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return NUL
            continue
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                return NUL
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return TOO_DEEP
        stack.extend((child, depth + 1) for child in children)
    return None


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
        problem = _json_problem(value, MAX_JSON_DEPTH)
        if problem:
            raise BadRequest(problem)
        return value


def refuse_nul_characters() -> None:
    """Before every request: no NUL in the path, the query or a submitted form's fields."""
    if "\x00" in request.path:
        raise BadRequest(NUL)
    for values in (request.args, request.form):
        if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
            raise BadRequest(NUL)
