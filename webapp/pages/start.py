"""Starting a process (发起流程): the processes one's departments may start, each one's start form, and on
to the new request's page. The complaint keeps its own registration page, which is its intake form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.policy import Permission, Target
from engine.errors import InvalidData
from forms import Form
from webapp import db_session, platform
from webapp.access import allow, may
from webapp.i18n import translate_fields
from webapp.pages.common import actor, commit, ok
from webapp.pages.forms import collect, field_views

bp = Blueprint("start", __name__)

# Processes with a page of their own to start them, and who may use it.
OWN_PAGES = {"complaint": ("register.new", Permission.REGISTER_COMPLAINT)}


def start_url(key: str) -> str:
    page = OWN_PAGES.get(key)
    if page is not None and may(page[1]):
        return url_for(page[0])
    return url_for("start.new", key=key)


def _form(key: str) -> Form | None:
    p = platform()
    form_key = p.process_requests.process(key).properties.start_form
    # The start form of the version a new request starts on: its own forms, then the built-in ones.
    return p.validator.form(form_key, p.definitions.latest(key))


@bp.get("/start")
@allow(Permission.USE_INBOX)
def index() -> Any:
    startable = platform().process_requests.startable(actor())
    return render_template(
        "start/index.html", startable=startable, urls={s.key: start_url(s.key) for s in startable}
    )


def _page(key: str, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    p = platform()
    process = p.process_requests.process(key)
    form = _form(key)
    fields = field_views(form, p.validator.choices, values, errors, {}) if form else []
    return render_template(
        "start/new.html",
        process=process,
        form=form,
        # No request exists yet to hold a file: a start form's file fields are filled in later steps.
        fields=[f for f in fields if f.type != "file"],
        errors=errors,
    ), status


@bp.get("/start/<key>")
@allow(Permission.START_PROCESS, Target.process())
def new(key: str) -> Any:
    return _page(key, {}, {})


@bp.post("/start/<key>")
@allow(Permission.START_PROCESS, Target.process())
def create(key: str) -> Any:
    form = _form(key)
    values = collect(form, request.form) if form is not None else {}
    try:
        started = platform().process_requests.start(key, values, actor())
    except InvalidData as invalid:
        db_session().rollback()
        return _page(key, values, translate_fields(invalid.fields), status=422)
    commit()
    ok(_("已发起 %(number)s。", number=started.number))
    return redirect(url_for("requests.show", instance_id=started.instance_id))
