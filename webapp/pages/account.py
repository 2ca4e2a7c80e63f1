"""The signed-in person's own page: their API tokens, issued (shown once), listed and revoked here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.credentials import MAX_TOKEN_NAME, IssuedToken
from crm.policy import Permission
from engine.errors import InvalidData
from webapp.access import allow
from webapp.i18n import translate_fields
from webapp.pages.common import commit, credentials, current_user, ok

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(issued: IssuedToken | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    user = current_user()
    assert user is not None
    return (
        render_template(
            "account.html",
            user=user,
            tokens=credentials().tokens_of(user),
            issued=issued,
            errors=errors or {},
            max_name=MAX_TOKEN_NAME,
        ),
        status,
    )


@bp.get("")
@allow(Permission.OWN_ACCOUNT)
def index() -> Any:
    return _page()


@bp.post("/tokens")
@allow(Permission.OWN_ACCOUNT)
def issue_token() -> Any:
    user = current_user()
    assert user is not None
    try:
        issued = credentials().issue_token(user, request.form.get("name", ""))
    except InvalidData as invalid:
        return _page(errors=translate_fields(invalid.fields), status=422)
    commit()
    # Rendered, not redirected: the token is shown this once and is kept nowhere, not even in the session
    # or a cache.
    page, status = _page(issued, status=201)
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@allow(Permission.OWN_ACCOUNT)
def revoke_token(token_id: int) -> Any:
    user = current_user()
    assert user is not None
    revoked = credentials().revoke_token(user, token_id)
    commit()
    ok(_("已撤销令牌 %(name)s，它不能再使用。", name=revoked.name or f"#{revoked.id}"))
    return redirect(url_for("account.index"))
