"""My messages (我的消息): the in-app messages of the signed-in staff member — the bell on every page with
their unread count, refreshed by htmx polling, and the list, newest first, where opening a message marks
it read and leads to what it is about."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from crm.models import User
from crm.policy import Permission
from notifications.inapp import InAppMessages
from webapp import platform
from webapp.access import allow, public
from webapp.pages import notice_choices
from webapp.pages.common import commit, current_user, ok, safe_next
from webapp.pages.outbox import kind_label

bp = Blueprint("messages", __name__, url_prefix="/messages")
PAGE = 20
# htmx stops polling on this status: the bell of a page whose sign-in ended stays quiet.
STOP_POLLING = 286


def recipient(user: User) -> str:
    return f"user:{user.username}"


def inapp() -> InAppMessages:
    return platform().inapp


def before_id() -> int | None:
    value = request.args.get("before_id", "")
    if not (value.isascii() and value.isdigit() and len(value) <= 19):  # anything else: the first page
        return None
    return int(value) if 0 < int(value) < 2**63 else None


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    """The bell in every staff page's header: its count is read only when a page with a signed-in user
    draws it, with the polling interval from the settings."""

    def unread() -> int:
        if "bell_unread" not in g:
            user = current_user()
            try:
                g.bell_unread = inapp().unread_count(recipient(user)) if user is not None else 0
            except SQLAlchemyError:  # the error page of a failed transaction still shows, without a number
                g.bell_unread = 0
        found: int = g.bell_unread
        return found

    seconds: float = current_app.extensions["lintel.bell_poll"]
    return {"bell_unread": unread, "bell_poll": f"{seconds:g}s"}


@bp.app_context_processor
def _notice_choices() -> dict[str, Any]:
    return notice_choices.template_helpers()


@bp.get("/bell")
@public  # answers for whoever is signed in; signed out (a sign-in that ended) it stops the polling
def bell() -> Any:
    """The bell alone, for the header's htmx poll: one count query, nothing written (the sign-in's
    expiry is fixed when it opens, so the poll keeps no session alive)."""
    user = current_user()
    fresh = {"Cache-Control": "no-store"}
    if user is None:
        return render_template("_bell.html", signed_out=True), STOP_POLLING, fresh
    return render_template("_bell.html"), 200, fresh


@bp.get("")
@allow(Permission.OWN_MESSAGES)
def index() -> Any:
    user = current_user()
    assert user is not None
    page = inapp().page(recipient(user), before_id(), PAGE)
    return render_template("messages.html", page=page, kind_label=kind_label, older=before_id() is not None)


@bp.post("/<int:message_id>/open")
@allow(Permission.OWN_MESSAGES)
def open_message(message_id: int) -> Any:
    """Mark the message read and go to what it is about (a task, a request), or back to the list."""
    user = current_user()
    assert user is not None
    found = inapp().find(recipient(user), message_id)
    if found is None:
        return render_template(
            "error.html", status=404, heading=_("找不到消息"), message=_("这条消息不存在，或不是发给您的。")
        ), 404
    inapp().mark_read(recipient(user), found.id)
    commit()
    return redirect(safe_next(found.link, url_for("messages.index")))


@bp.post("/read")
@allow(Permission.OWN_MESSAGES)
def read_all() -> Any:
    user = current_user()
    assert user is not None
    marked = inapp().mark_read(recipient(user))
    commit()
    ok(_("已将 %(n)d 条消息标为已读。", n=marked) if marked else _("没有未读消息。"))
    return redirect(url_for("messages.index"))
