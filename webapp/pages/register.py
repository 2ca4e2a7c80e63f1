"""Registering a complaint: find the owner (phone, name or unit), then channel, category, description; and
what a registered complaint shows on its request, task and print pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crm.complaints import CALLER, INTAKE_FORM, NEW_OWNER, PROCESS_KEY, TRIAGE_FORM
from crm.estate.models import Caller, Owner
from crm.estate.people import mask_phone
from crm.estate.search import PeopleSearch, PersonMatch, units_matching
from crm.models import Complaint, RequestIndex
from crm.platform import Platform
from crm.policy import Permission
from crm.validation import COORDINATOR_DEPARTMENT
from engine.errors import InvalidData
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import label, translate_fields
from webapp.pages import present
from webapp.pages.common import actor, commit, ok
from webapp.pages.owners import RELATIONS, relation_name
from webapp.pages.present import Details, Shown, choice_label

bp = Blueprint("register", __name__)


TRIAGE_FIELDS = ("severity", "department", "note")


def complaint_details(p: Platform, request: RequestIndex) -> Details | None:
    """A registered complaint on its request, task and print pages: channel, category, severity, the
    responsible department, reworks, and its description."""
    complaint = p.session.get(Complaint, request.record_id) if request.record_id is not None else None
    if complaint is None:
        return None
    departments = dict(p.directory.department_choices())
    rows = [
        Shown(_("渠道"), choice_label(p, INTAKE_FORM, "channel", complaint.channel)),
        Shown(_("类别"), choice_label(p, INTAKE_FORM, "category", complaint.category)),
        Shown(_("紧急程度"), choice_label(p, TRIAGE_FORM, "severity", complaint.severity)),
        Shown(_("责任部门"), departments.get(complaint.department or "", complaint.department or "—")),
        Shown(_("退回次数"), str(complaint.rework_count)),
    ]
    caller = complaint.caller
    if caller is not None:
        relation = relation_name(caller.relation)
        rows.insert(0, Shown(_("来电人"), f"{caller.name}（{relation}）{mask_phone(caller.phone)}"))
    return Details(rows, complaint.description, _("投诉内容"))


present.DETAILS[PROCESS_KEY] = complaint_details


def _choices(field_name: str, form_key: str = INTAKE_FORM) -> list[tuple[str, str]]:
    p = platform()
    form = p.foundation.forms.get(form_key)
    return [(c.value, label(c)) for c in form.choices_for(form.field(field_name), p.validator.choices)]


def _can_triage() -> bool:
    """Only the centre's own people triage (a supervisor or administrator outside it registers only)."""
    return actor().member_of(COORDINATOR_DEPARTMENT)


PERSON_FIELDS = ("person_name", "person_phone", "person_unit", "person_unit_id", "person_relation")


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    query = values.get("q", "")
    matches = PeopleSearch(db_session()).find(query) if query else []
    chosen = values.get("owner", "").partition(":")[0]
    if not matches and chosen.isdigit() and len(chosen) < 19:
        # Registration opened from an owner's page (客户360): that owner, chosen.
        owner = db_session().get(Owner, int(chosen))
        if owner is not None:
            matches = [PersonMatch(rank=0, owner=owner)]
            PeopleSearch(db_session()).describe(matches)
    can_triage = _can_triage()
    unit_text = values.get("person_unit", "")
    return (
        render_template(
            "register.html",
            values=values,
            errors=errors,
            matches=matches,
            channels=_choices("channel"),
            categories=_choices("category"),
            relations=[(k, _(v)) for k, v in RELATIONS.items()],
            units=units_matching(db_session(), unit_text) if unit_text else [],
            can_triage=can_triage,
            severities=_choices("severity", TRIAGE_FORM) if can_triage else [],
            departments=_choices("department", TRIAGE_FORM) if can_triage else [],
        ),
        status,
    )


@bp.get("/complaints/new")
@allow(Permission.REGISTER_COMPLAINT)
def new() -> Any:
    # Without JavaScript the search button sends the whole form here: keep what was typed.
    values = {
        name: request.args.get(name, "").strip()[:4000]
        for name in (
            "q",
            "owner",
            "channel",
            "category",
            "description",
            "triage",
            *TRIAGE_FIELDS,
            *PERSON_FIELDS,
        )
    }
    values["q"] = values["q"][:100]
    values["channel"] = values["channel"] or "hotline"
    return _page(values, {})


@bp.get("/complaints/owners")
@allow(Permission.REGISTER_COMPLAINT)
def owners() -> Any:
    """The owner matches alone: what htmx swaps in while the coordinator types."""
    query = request.args.get("q", "").strip()[:100]
    return render_template(
        "register_owners.html", matches=PeopleSearch(db_session()).find(query), q=query, selected=""
    )


@bp.get("/complaints/units")
@allow(Permission.REGISTER_COMPLAINT)
def units() -> Any:
    """The units a caller not on file may mean, as they type it: what htmx swaps in to pick one."""
    text = request.args.get("person_unit", "").strip()[:100]
    return render_template(
        "register_units.html", units=units_matching(db_session(), text), text=text, selected=""
    )


def _person(values: dict[str, str]) -> dict[str, Any]:
    """A caller not on file, as typed: name, phone, the unit picked or written, the relation."""
    return {
        "name": values["person_name"],
        "phone": values["person_phone"],
        "unit_id": values["person_unit_id"] or None,
        "unit": values["person_unit"],
        "relation": values["person_relation"],
    }


def _caller_on_file(key: str) -> dict[str, Any] | None:
    """A caller found again (`c<id>`): registered as before, with the unit they called about."""
    caller = db_session().get(Caller, int(key[1:])) if key[1:].isdigit() and len(key) < 19 else None
    if caller is None:
        return None
    return {
        "name": caller.name,
        "phone": caller.phone,
        "relation": caller.relation,
        "unit_id": caller.unit_id,
    }


@bp.post("/complaints/new")
@allow(Permission.REGISTER_COMPLAINT)
def create() -> Any:
    form = request.form
    values = {
        name: form.get(name, "").strip()
        for name in (
            "q",
            "owner",
            "channel",
            "category",
            "description",
            "triage",
            *TRIAGE_FIELDS,
            *PERSON_FIELDS,
        )
    }
    # "Register and triage": the coordinator has what triage needs, the case goes straight to the department.
    triage = {name: values[name] for name in TRIAGE_FIELDS} if values["triage"] and _can_triage() else None
    chosen = values["owner"]
    who: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if chosen == NEW_OWNER:
        who["new_owner"] = _person(values)
    elif chosen == CALLER:
        who["caller"] = _person(values)
    elif chosen.startswith("c"):
        who["caller"] = _caller_on_file(chosen)
        if who["caller"] is None:
            errors["owner"] = _("请选择列表中的来电人")
    else:
        owner_id, _sep, unit_id = chosen.partition(":")
        if not owner_id:
            errors["owner"] = _("请先查找并选择业主，或当场为来电人建档")
        elif not owner_id.isdigit() or (unit_id and not unit_id.isdigit()):
            errors["owner"] = _("请选择列表中的业主")
        else:
            who = {"owner_id": int(owner_id), "unit_id": int(unit_id) if unit_id else None}
    if not errors:
        try:
            complaint = platform().complaints.register(
                actor(),
                channel=values["channel"],
                description=values["description"],
                category=values["category"] or None,
                triage=triage,
                **who,
            )
        except InvalidData as invalid:
            fields = translate_fields(invalid.fields)
            for key in ("owner_id", "owner_phone", "unit_id"):
                if key in fields:
                    errors["owner"] = fields.pop(key)
            for key in list(fields):
                prefix, dot, field = key.partition(".")
                if dot and prefix in (NEW_OWNER, CALLER):
                    errors[f"person_{field}"] = fields.pop(key)
            errors.update(fields)
            db_session().rollback()
        else:
            commit()
            if triage is not None:
                ok(_("已登记投诉 %(number)s 并分派。", number=complaint.number))
            else:
                ok(_("已登记投诉 %(number)s。", number=complaint.number))
            return redirect(url_for("requests.show", instance_id=complaint.instance_id))
    return _page(values, errors, status=422)
