"""Who may do what, asked of the policy directly: the README's table, and the object rules for requests
and tasks."""

from __future__ import annotations

import pytest

from crm.directory import actor_for
from crm.models import User
from crm.platform import Platform
from crm.policy import Permission, Policy, Target
from crm.worklist import WorklistFilter
from tests.webapp.pages_support import TRIAGE, complete, open_task, register

P = Permission
EVERYONE = {
    P.USE_INBOX,
    P.VIEW_REQUEST,
    P.ANNOTATE_REQUEST,
    P.VIEW_TASK,
    P.WORK_TASK,
    P.OPEN_SAVED_FILTER,
    P.DELETE_SAVED_FILTER,
    P.OWN_ACCOUNT,
    P.START_PROCESS,  # then asked of each process: its startableBy departments
    P.VIEW_RECORDS,
    P.VIEW_DEFECTS,
    P.OWN_MESSAGES,
    P.VIEW_BULLETINS,
    P.VIEW_VISITS,
}
CENTRE = {P.REGISTER_COMPLAINT, P.MANAGE_RECORDS, P.VIEW_PERSONAL_DATA, P.CHOOSE_OWNER_NOTICES}
# Before the keys: the centre plans inspections, records defects and hands over; managers oversee the loop.
CENTRE_HANDOVER = {P.MANAGE_INSPECTIONS, P.CAPTURE_DEFECTS, P.MANAGE_HANDOVER}
OVERSEE_DEFECTS = {P.MANAGE_DEFECTS, P.EXPORT_DEFECT_REPORTS}
# Notices to buyers: engineering reports progress, the centre drafts, a manager approves.
BULLETINS_ALL = {P.REPORT_PROGRESS, P.DRAFT_BULLETINS, P.APPROVE_BULLETINS}
# Return visits: the centre plans campaigns and makes the visits.
VISITS = {P.MAKE_VISITS, P.MANAGE_CAMPAIGNS}
KPIS = {P.VIEW_KPIS}
# The README's "who may do what", for the demo staff (before any request or task is asked about).
TABLE = {
    "admin": EVERYONE
    | {P.REGISTER_COMPLAINT, P.VIEW_DEFINITIONS, P.DEPLOY_DEFINITION, P.HANDLE_INCIDENTS, P.ADMINISTER_STAFF}
    | {P.SEE_OVERDUE_BY_DEPARTMENT}
    | CENTRE
    | {P.IMPORT_RECORDS, P.PREVIEW_MESSAGES, P.MANAGE_NOTICES}
    | CENTRE_HANDOVER
    | OVERSEE_DEFECTS
    | {P.EDIT_CATALOGUE}
    | BULLETINS_ALL
    | VISITS
    | KPIS,
    "crc": EVERYONE | CENTRE | CENTRE_HANDOVER | {P.DRAFT_BULLETINS} | VISITS | KPIS,
    "crc_sup": EVERYONE
    | CENTRE
    | {P.SEE_OVERDUE_BY_DEPARTMENT, P.REASSIGN_TASK}
    | CENTRE_HANDOVER
    | OVERSEE_DEFECTS
    | BULLETINS_ALL
    | VISITS
    | KPIS,
    "eng": EVERYONE | {P.CAPTURE_DEFECTS, P.REPORT_PROGRESS},
    "eng_mgr": EVERYONE
    | {P.SEE_OVERDUE_BY_DEPARTMENT, P.REASSIGN_TASK, P.MANAGE_INSPECTIONS}
    | OVERSEE_DEFECTS
    | {P.REPORT_PROGRESS, P.APPROVE_BULLETINS}
    | KPIS,
    "group_crc": EVERYONE | {P.SEE_OVERDUE_BY_DEPARTMENT, P.REASSIGN_TASK, P.EXPORT_DEFECT_REPORTS} | KPIS,
    "design": EVERYONE | {P.REPORT_PROGRESS},
    "property": EVERYONE | {P.REPORT_PROGRESS},
    "marketing": EVERYONE | {P.REPORT_PROGRESS},
    # A contractor's person is outside the staff: only what is granted to the role by name.
    "builder": {P.OWN_ACCOUNT, P.CONTRACTOR_WORK},
}


def user(platform: Platform, username: str) -> User:
    found = platform.directory.user(username)
    assert found is not None
    return found


@pytest.mark.parametrize("username", sorted(TABLE))
def test_each_demo_role_holds_what_the_readme_says(platform: Platform, username: str) -> None:
    policy = Policy(platform.session)
    held = {p for p in Permission if policy.may(user(platform, username), p)}
    assert held == TABLE[username]


def test_a_deactivated_account_may_do_nothing(platform: Platform) -> None:
    admin = user(platform, "admin")
    admin.active = False
    assert not any(Policy(platform.session).may(admin, p) for p in Permission)


def test_a_request_is_seen_by_its_departments_its_registrar_and_the_overseers(platform: Platform) -> None:
    policy = Policy(platform.session)
    complaint = register(platform)
    request = Target.request()

    def sees(username: str) -> bool:
        return policy.decide(user(platform, username), P.VIEW_REQUEST, request, complaint.instance_id).allowed

    assert {u for u in TABLE if sees(u)} == {"admin", "crc", "crc_sup", "group_crc"}
    complete(platform, complaint.instance_id, "crc", TRIAGE)  # now engineering has a step in it
    assert {u for u in TABLE if sees(u)} == {"admin", "crc", "crc_sup", "group_crc", "eng", "eng_mgr"}
    hidden = policy.decide(user(platform, "design"), P.VIEW_REQUEST, request, complaint.instance_id)
    assert hidden.hidden and hidden.absent == f"request {complaint.instance_id} does not exist"
    by_complaint = policy.decide(user(platform, "design"), P.VIEW_REQUEST, Target.complaint(), complaint.id)
    assert by_complaint.hidden and by_complaint.absent == f"complaint {complaint.id} does not exist"


def test_a_task_is_worked_by_its_department_and_only_seen_by_the_overseers(platform: Platform) -> None:
    policy = Policy(platform.session)
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    task = open_task(platform, complaint.instance_id)

    def decision(username: str, permission: Permission):  # type: ignore[no-untyped-def]
        return policy.decide(user(platform, username), permission, Target.task(), task.id)

    assert {u for u in TABLE if decision(u, P.WORK_TASK).allowed} == {"eng", "eng_mgr"}
    assert {u for u in TABLE if decision(u, P.VIEW_TASK).allowed} == {
        "eng",
        "eng_mgr",
        "admin",
        "crc_sup",
        "group_crc",
    }
    assert {u for u in TABLE if decision(u, P.REASSIGN_TASK).allowed} == {"eng_mgr"}
    overseer = decision("group_crc", P.WORK_TASK)
    assert not overseer.allowed and not overseer.hidden  # refused, not hidden: they can see it
    assert decision("crc", P.WORK_TASK).hidden
    assert decision("crc", P.VIEW_TASK).hidden
    assert actor_for(user(platform, "group_crc")).sees_all


def test_a_saved_filter_is_opened_by_its_author_and_its_department_and_deleted_by_its_author(
    platform: Platform,
) -> None:
    policy = Policy(platform.session)
    shared = platform.saved_filters.save(actor_for(user(platform, "crc")), "待分派", WorklistFilter(), "crc")

    def decision(username: str, permission: Permission):  # type: ignore[no-untyped-def]
        return policy.decide(user(platform, username), permission, Target.saved_filter(), shared.id)

    assert {u for u in TABLE if decision(u, P.OPEN_SAVED_FILTER).allowed} == {"crc", "crc_sup", "admin"}
    assert {u for u in TABLE if decision(u, P.DELETE_SAVED_FILTER).allowed} == {"crc"}
    colleague = decision("crc_sup", P.DELETE_SAVED_FILTER)
    assert not colleague.allowed and not colleague.missing
    assert decision("eng", P.OPEN_SAVED_FILTER).missing  # someone else's filter is simply not there


def test_an_object_that_does_not_exist_is_missing_for_everyone(platform: Platform) -> None:
    policy = Policy(platform.session)
    admin = user(platform, "admin")
    for permission, target, key in [
        (P.VIEW_TASK, Target.task(), 999999),
        (P.VIEW_REQUEST, Target.request(), 999999),
        (P.VIEW_REQUEST, Target.complaint(), 999999),
        (P.VIEW_REQUEST, Target.request_number(), "TS-2026-999999"),
        (P.VIEW_REQUEST, Target.attachment(), "../../etc/passwd"),
        (P.OPEN_SAVED_FILTER, Target.saved_filter(), 999999),
    ]:
        found = policy.decide(admin, permission, target, key)
        assert found.missing and not found.allowed, (permission, target)
