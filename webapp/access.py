"""Every view's rule, declared on the view and enforced there: `@allow(permission[, target])` asks
crm.policy before the view runs; `@public` says the view needs no account (sign-in, the owner portal,
assets, the API document). tests/webapp/test_access_matrix.py walks every route and fails on a view with
neither.

A refusal is 403 (the API's JSON error, the pages' error page). An object the user may not see is
answered by the API exactly as if it did not exist (404), so sequential ids reveal nothing; the pages
keep their 403. Signed out, a page sends the reader to sign in and the API answers 401."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, url_for
from werkzeug.exceptions import Unauthorized

from crm.models import User
from crm.policy import ABOUT, Permission, Policy, Target
from engine.errors import Forbidden, NotFound
from webapp import db_session

F = TypeVar("F", bound=Callable[..., Any])
RULE = "access_rule"


@dataclass(frozen=True)
class Rule:
    permission: Permission | None  # None: public
    target: Target | None = None

    @property
    def public(self) -> bool:
        return self.permission is None


def rule_of(view: Callable[..., Any]) -> Rule | None:
    found: Rule | None = getattr(view, RULE, None)
    return found


def public(view: F) -> F:
    """No account needed: the view decides by itself what it shows (the portal asks number and phone)."""
    setattr(view, RULE, Rule(None))
    return view


def allow(permission: Permission, target: Target | None = None) -> Callable[[F], F]:
    """Only for signed-in staff the policy allows; with a target, about the object the URL names."""
    if (permission in ABOUT) != (target is not None):
        raise TypeError(f"{permission.value} needs {'a' if permission in ABOUT else 'no'} target")
    rule = Rule(permission, target)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refused = _enforce(rule, kwargs)
            return refused if refused is not None else view(*args, **kwargs)

        setattr(guarded, RULE, rule)
        return guarded  # type: ignore[return-value]

    return decorate


def policy() -> Policy:
    if "policy" not in g:
        g.policy = Policy(db_session())
    found: Policy = g.policy
    return found


def may(permission: Permission | str) -> bool:
    """For the templates: whether to offer a link or a button at all."""
    user: User | None = g.get("user")
    return policy().may(user, Permission(permission))


def _in_api() -> bool:
    return request.path.startswith("/api/")  # as the error handlers tell the API from the pages


def _enforce(rule: Rule, arguments: dict[str, Any]) -> Any:
    if rule.permission is None:
        return None
    user: User | None = g.get("user")
    if user is None:
        if _in_api():
            raise Unauthorized("send 'Authorization: Bearer <token>' (get one with `lintel token USER`)")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    key = arguments.get(rule.target.argument) if rule.target is not None else None
    decision = policy().decide(user, rule.permission, rule.target, key)
    if decision.allowed:
        return None
    if decision.missing:
        raise NotFound(decision.reason)
    if decision.hidden and _in_api():
        raise NotFound(decision.absent)  # word for word what a missing one answers
    if decision.by_role and not _in_api():
        abort(403, description="page_needs_role")
    raise Forbidden(decision.reason)


def declare_static_public(app: Flask) -> None:
    """Flask's own static route has no decorator of ours: the stylesheet and scripts are public."""
    static = app.view_functions.get("static")
    if static is not None:

        @wraps(static)
        def serve(*args: Any, **kwargs: Any) -> Any:
            return static(*args, **kwargs)

        app.view_functions["static"] = public(serve)
