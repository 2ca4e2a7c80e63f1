"""Every route of the app, pages and API, for every demo user and for someone signed out: each declares who
may use it (crm.policy), and that is what happens — those without the permission are refused, those with it
are not. A new endpoint without a rule fails here."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from crm.attachments import Attachments
from crm.bulletins.bulletins import bulletin_of
from crm.credentials import Credentials
from crm.demo import USERS
from crm.estate.import_jobs import ImportJobs
from crm.handover.inspections import Inspections
from crm.handover.models import CatalogueItem
from crm.handover.walks import Walks
from crm.kpis.models import KpiReport
from crm.models import User
from crm.platform import Platform
from crm.policy import ABOUT, Permission, holds
from crm.worklist import WorklistFilter
from engine.actors import Actor
from engine.models import MigrationRun
from notifications.models import OutboxMessage
from tests.visits import online_support
from tests.visits.support import campaign, visit
from tests.webapp.pages_support import actor, login, open_task, register
from webapp.access import Rule, rule_of

SIGNED_OUT = "(signed out)"
DEMO = [username for username, *_ in USERS]
ROLES = {username: frozenset(roles.split(",")) for username, _name, roles, _departments in USERS}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200

# The sample request waits at triage, a step of the centre (crc), registered by the coordinator crc.
# Who may see it, its notes, files and task — and who may work that task:
SEES_SAMPLE = {"admin", "crc", "crc_sup", "group_crc"}
WORKS_SAMPLE = {"admin", "crc", "crc_sup"}
OBJECT_HOLDERS = {
    Permission.VIEW_REQUEST: SEES_SAMPLE,
    Permission.ANNOTATE_REQUEST: SEES_SAMPLE,
    Permission.VIEW_TASK: SEES_SAMPLE,
    Permission.WORK_TASK: WORKS_SAMPLE,
    Permission.REASSIGN_TASK: {"crc_sup"},  # the centre's supervisor; not the group centre (not of crc)
    # Each user meets their own saved filter.
    Permission.OPEN_SAVED_FILTER: set(DEMO),
    Permission.DELETE_SAVED_FILTER: set(DEMO),
    # The sample process is the complaint, which its diagram lets the centre's members start (startableBy).
    Permission.START_PROCESS: {"admin", "crc", "crc_sup"},
}


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; here every form reaches its view
    return app


@dataclass
class Samples:
    """A value for every URL argument of every route."""

    values: dict[str, Any]

    def url(self, rule: Any, filter_id: int) -> str:
        arguments = {name: self.values[name] for name in rule.arguments if name != "filter_id"}
        if "filter_id" in rule.arguments:
            arguments["filter_id"] = filter_id  # the user's own saved filter
        missing = set(rule.arguments) - set(arguments)
        assert not missing, f"add a sample value for {missing} ({rule.rule})"
        return rule.build(arguments, append_unknown=False)[1]


@pytest.fixture
def samples(app, platform: Platform) -> Samples:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    store = Attachments(
        platform.session, platform.clock, Path(app.config["LINTEL_INSTANCE_PATH"]) / "uploads", 1 << 20
    )
    photo = store.store(complaint.instance_id, "crc", "现场.jpg", io.BytesIO(JPEG))
    design = platform.session.scalars(select(User).where(User.username == "design")).one()
    token = Credentials(platform.session, platform.clock).issue_token(design).record  # design's own token
    job = ImportJobs(platform.session, platform.clock).submit("units", "房号.csv", b"project_code\n", "admin")
    records = platform.records
    project = records.save_project(None, code="SMP", name="样板项目", phases=["一期"])
    building = records.save_building(None, project=project, name="1栋", phase="一期")
    layout = records.save_layout(None, project=project, name="A1", rooms=["客厅"])
    unit = records.save_unit(None, building=building, number="0101", floor="1", layout=layout)
    owner = records.save_owner(None, name="样板业主", phone="13900000100")
    contract = records.record_contract(None, unit=unit, number="SMP-1", signed_on=platform.records.today())
    records.add_owner_to_unit(owner, unit)
    contractor = records.save_contractor(None, name="样板承建商", trades=["土建"])
    handover = platform.handovers.start(unit, Actor("crc", frozenset({"crc"})))
    message = dead_letter(platform)
    walk, defect = open_day(platform, project.id, building.id, unit.id)
    notice = platform.bulletins.start_progress({"project_id": project.id}, actor(platform, "crc"))
    bulletin = bulletin_of(platform.session, notice)
    assert bulletin is not None
    sample_visit = visit(platform, campaign(platform))
    online = online_support.campaign(platform, name="样板在线回访")
    online_support.add_visits(platform, online, [(owner, unit)])
    report = KpiReport(
        month="2026-10",
        created_at=platform.clock.now(),
        recipients=0,
        filename="kpis-2026-10.xlsx",
        data=b"PK",
    )
    platform.session.add(report)
    run = migration_run(platform)
    platform.session.commit()
    return Samples(
        {
            "instance_id": complaint.instance_id,
            "complaint_id": complaint.id,
            "number": complaint.number,
            "task_id": task.id,
            "token": photo.token,
            "user_id": design.id,
            "token_id": token.id,
            "code": "design",
            "key": "complaint",
            "version": 1,
            "element_id": "triage",  # the process heatmap's list of what waits at a step
            "name": "htmx.org/dist/htmx.min.js",
            "filename": "lintel.css",
            "file_name": "complaint.bpmn",
            "job_id": job.id,
            "kind": "units",
            "fmt": "xlsx",
            "project_id": project.id,
            "building_id": building.id,
            "layout_id": layout.id,
            "unit_id": unit.id,
            "owner_id": owner.id,
            "contract_id": contract.id,
            "contractor_id": contractor.id,
            "message_id": message.id,
            "handover_id": handover.id,
            "session_id": walk.session_id,
            "walk_id": walk.id,
            "defect_id": defect.id,
            "item_id": defect.catalogue_id,
            "bulletin_id": bulletin.id,
            "visit_id": sample_visit.id,
            "campaign_id": online.id,
            "questionnaire_id": online.questionnaire_id,
            "report_id": report.id,
            "run_id": run.id,
        }
    )


def open_day(platform: Platform, project_id: int, building_id: int, unit_id: int) -> tuple[Any, Any]:
    """An open day of the sample project, a walk of its unit and the defect found there."""
    inspector = actor(platform, "eng")
    values = {
        "project_id": project_id,
        "kind": "open_day",
        "title": "样板开放日",
        "starts_on": "2026-11-20",
        "ends_on": "2026-11-20",
        "building_ids": [building_id],
    }
    inspection = Inspections(platform.session, platform.clock).save(inspector, values)
    walks = Walks(platform.session, platform.clock, Path("/nonexistent"))
    walk, _ = walks.start(inspector, inspection, unit_id, companion="样板业主")
    item = platform.session.scalars(select(CatalogueItem)).first()
    defect, _ = platform.defects.register(
        inspector, {"walk_id": walk.id, "unit_id": unit_id, "catalogue_id": item.id}
    )
    return walk, defect


def migration_run(platform: Platform) -> MigrationRun:
    """A finished move of the complaint's running requests (none) from its version to itself."""
    definition = platform.definitions.latest("complaint")
    run = MigrationRun(
        process_key="complaint",
        from_definition_id=definition.id,
        to_definition_id=definition.id,
        status="done",
        work={"mapping": {}, "instances": [], "moved": [], "blocked": []},
        total=0,
        done=0,
        created_by="admin",
        created_at=platform.clock.now(),
        finished_at=platform.clock.now(),
    )
    platform.session.add(run)
    platform.session.flush()
    return run


def dead_letter(platform: Platform) -> OutboxMessage:
    now = platform.clock.now()
    message = OutboxMessage(
        kind="task.new",
        channel="email",
        address="eng@example.com",
        recipient="user:eng",
        subject="新任务",
        body="有一条新任务",
        params={},
        idempotency_key="sample-dead-letter",
        status="dead",
        attempts=8,
        not_before=now,
        created_at=now,
        last_error="550 mailbox unavailable",
    )
    platform.session.add(message)
    platform.session.flush()
    return message


def routes(app: Any) -> list[tuple[Any, str, Rule]]:
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        declared = rule_of(app.view_functions[rule.endpoint])
        assert declared is not None, rule.endpoint
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule, method, declared))
    return found


def test_every_route_declares_who_may_use_it(app) -> None:  # type: ignore[no-untyped-def]
    undeclared = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if rule_of(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == [], "give each view @allow(Permission...) or @public (webapp/access.py)"


def test_every_permission_is_granted_and_used(app) -> None:  # type: ignore[no-untyped-def]
    used = {rule.permission for rule in (rule_of(v) for v in app.view_functions.values()) if rule}
    assert set(Permission) - used == {
        Permission.SEE_OVERDUE_BY_DEPARTMENT,  # a part of the home page
    }


def expected(username: str, rule: Rule) -> str:
    """allowed, refused (403), hidden (the API's 404, the pages' 403) or sign-in."""
    if rule.permission is None:
        return "allowed"
    if username == SIGNED_OUT:
        return "sign-in"
    if not holds(ROLES[username], rule.permission):
        return "refused"
    if rule.permission not in ABOUT:
        return "allowed"
    holders = OBJECT_HOLDERS[rule.permission]
    if username in holders:
        return "allowed"
    if rule.permission in (Permission.WORK_TASK, Permission.REASSIGN_TASK) and username in SEES_SAMPLE:
        return "refused"  # sees the task, is not of its department
    if rule.permission is Permission.START_PROCESS:
        return "refused"  # the process is there for everyone to see; starting it is for its departments
    return "hidden"


def outcome(response: Any, api: bool) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status == 401 or (status == 302 and response.headers["Location"].startswith("/login")):
        return "sign-in"
    if status == 403:
        return "refused"
    if status == 404 and api:
        return "hidden"
    return "allowed"


@pytest.mark.parametrize("username", [*DEMO, SIGNED_OUT])
def test_each_route_refuses_exactly_those_its_rule_refuses(
    app, client, auth, platform: Platform, samples: Samples, connection: Connection, username: str
) -> None:  # type: ignore[no-untyped-def]
    headers: dict[str, str] = {}
    filter_id = 999999
    if username != SIGNED_OUT:
        saved = platform.saved_filters.save(actor(platform, username), "我的", WorklistFilter(), None)
        filter_id = saved.id
        platform.session.commit()
        headers = auth(username)
        login(client, username)
    wrong = []
    for rule, method, declared in routes(app):
        api = rule.rule.startswith("/api/")
        want = expected(username, declared)
        if want == "hidden" and not api:
            want = "refused"  # the pages keep their 403
        url = samples.url(rule, filter_id)
        savepoint = connection.begin_nested()  # every route meets the same sample, untouched
        try:
            with client.open(url, method=method, headers=headers if api else {}) as response:
                got = outcome(response, api)
                if declared.public and got == "sign-in" and not api:
                    got = "allowed"  # the page's own answer: a wrong password (401), signing out
                if got != want:
                    status = response.status_code
                    wrong.append(f"{method} {url} [{declared.permission}]: {want}, got {status}")
        finally:
            savepoint.rollback()
        if rule.endpoint == "auth.logout" and username != SIGNED_OUT:
            login(client, username)
    assert wrong == []
