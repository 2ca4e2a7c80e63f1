"""The runtime: versions side by side, the sandbox at run time, durable state across a restart."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.directory import actor_for
from crm.platform import Foundation, Platform
from engine.errors import DeployRefused
from engine.models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance
from tests.conftest import DATA, fresh_database_url, prepare

TRIAGE = {"category": "quality", "severity": "high", "department": "engineering"}


def actor(platform: Platform, username: str):  # type: ignore[no-untyped-def]
    user = platform.directory.user(username)
    assert user is not None
    return actor_for(user)


def register(platform: Platform):  # type: ignore[no-untyped-def]
    return platform.complaints.register(
        actor(platform, "crc"), channel="forum", description="外墙开裂", owner_phone="13800000002"
    )


def open_row(platform: Platform, instance_id: int) -> HumanTask:
    rows = platform.tasks.open_tasks_of(instance_id)
    assert len(rows) == 1, [r.element_id for r in rows]
    return rows[0]


def test_running_instances_keep_their_version_when_a_new_one_is_deployed(platform: Platform) -> None:
    old = register(platform)
    result = platform.definitions.deploy((DATA / "complaint_v2.bpmn").read_bytes(), "complaint_v2.bpmn")
    assert (result.key, result.version, result.created) == ("complaint", 2, True)
    new = register(platform)

    crc, eng = actor(platform, "crc"), actor(platform, "eng")
    for complaint in (old, new):
        platform.tasks.complete(open_row(platform, complaint.instance_id).id, TRIAGE, crc)
        platform.tasks.complete(open_row(platform, complaint.instance_id).id, {"resolution": "已修复"}, eng)

    assert open_row(platform, old.instance_id).element_id == "reply"
    assert open_row(platform, new.instance_id).element_id == "review"
    versions = {
        i.id: i.definition.version
        for i in platform.session.scalars(
            select(ProcessInstance).where(ProcessInstance.id.in_([old.instance_id, new.instance_id]))
        )
    }
    assert versions == {old.instance_id: 1, new.instance_id: 2}


def test_deploying_the_same_file_again_keeps_the_version(platform: Platform) -> None:
    content = (Path(__file__).parents[2] / "workflows" / "complaint.bpmn").read_bytes()
    result = platform.definitions.deploy(content, "complaint.bpmn")
    assert (result.version, result.created) == (1, False)


def test_a_diagram_that_tries_to_escape_is_refused_at_deploy(platform: Platform) -> None:
    with pytest.raises(DeployRefused) as refused:
        platform.definitions.deploy((DATA / "sandbox_escape.bpmn").read_bytes(), "sandbox_escape.bpmn")
    problem = next(p for p in refused.value.problems if p.element_id == "evil")
    assert "__import__" in problem.message and problem.line
    assert platform.definitions.latest_or_none("escape") is None


def test_an_escape_stored_behind_the_validators_back_fails_its_instance_cleanly(
    platform: Platform, tmp_path: Path
) -> None:
    target = tmp_path / "pwned"
    xml = (DATA / "sandbox_escape.bpmn").read_text().replace("/tmp/lintel-pwned", str(target))
    definition = ProcessDefinition(
        key="escape",
        version=1,
        name="escape",
        filename="sandbox_escape.bpmn",
        checksum="x",
        bpmn_xml=xml,
        meta={"key": "escape", "name": "escape", "tasks": {}, "timer_starts": []},
        deployed_at=platform.clock.now(),
    )
    platform.session.add(definition)
    platform.session.flush()

    instance = platform.runtime.start("escape", {}, actor(platform, "crc"))

    assert instance.status == "error"
    assert "__import__" in (instance.error or "")
    assert not target.exists()
    kinds = list(
        platform.session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == instance.id))
    )
    assert kinds[-1] == "instance.failed"


RESTART_SCRIPT = textwrap.dedent(
    """
    import sys
    from sqlalchemy.orm import Session
    from crm.directory import actor_for
    from crm.platform import Foundation, Platform
    from webapp.database import make_engine

    url, step = sys.argv[1], sys.argv[2]
    engine = make_engine(url)
    with Session(engine) as session:
        platform = Platform(session, Foundation())
        crc = actor_for(platform.directory.user("crc"))
        eng = actor_for(platform.directory.user("eng"))
        if step == "start":
            complaint = platform.complaints.register(crc, channel="email", description="门锁损坏",
                                                     owner_phone="13800000003")
            row = platform.tasks.open_tasks_of(complaint.instance_id)[0]
            platform.tasks.complete(row.id, {"category": "quality", "severity": "normal",
                                             "department": "engineering"}, crc)
            session.commit()
            print(complaint.id)
        else:
            complaint = platform.complaints.get(int(step))
            row = platform.tasks.open_tasks_of(complaint.instance_id)[0]
            print(row.element_id, row.department)
            platform.tasks.complete(row.id, {"resolution": "已更换门锁"}, eng)
            session.commit()
            print(platform.tasks.open_tasks_of(complaint.instance_id)[0].element_id)
    """
)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_restarted_process_continues_the_same_instance_from_the_database(kind: str, tmp_path: Path) -> None:
    from datetime import datetime

    from lintel.clock import SHANGHAI, FixedClock
    from webapp.database import make_engine

    url = fresh_database_url(kind, tmp_path, name="restart")
    engine = make_engine(url)
    prepare(engine, FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)))
    engine.dispose()

    def run(step: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", RESTART_SCRIPT, url, step],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).parents[2],
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    complaint_id = run("start")[0]
    assert run(complaint_id) == ["handle", "engineering", "reply"]


def test_every_transition_is_audited_with_actor_and_states(platform: Platform) -> None:
    complaint = register(platform)
    row = open_row(platform, complaint.instance_id)
    crc = actor(platform, "crc")
    platform.tasks.claim(row.id, crc)
    platform.tasks.complete(row.id, TRIAGE, crc)
    events = platform.runtime.audit.timeline(complaint.instance_id)
    summary = [(e.kind, e.actor, e.from_state, e.to_state) for e in events]
    assert summary[:4] == [
        ("instance.started", "crc", None, "running"),
        ("task.created", "crc", None, "open"),
        ("task.claimed", "crc", "open", "open"),
        ("task.completed", "crc", "open", "completed"),
    ]
    assert events[3].data == TRIAGE and events[3].task_id == row.id
    assert summary[4][0] == "task.created"


def test_foundation_is_shared_but_state_lives_in_the_database(platform: Platform, session) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    fresh = Platform(session, Foundation(clock=platform.clock))
    row = open_row(fresh, complaint.instance_id)
    fresh.tasks.complete(row.id, TRIAGE, actor(fresh, "crc"))
    assert open_row(fresh, complaint.instance_id).department == "engineering"


def test_an_event_nothing_catches_is_kept_in_the_timeline_not_in_the_state(platform: Platform) -> None:
    platform.definitions.deploy((DATA / "throws_escalation.bpmn").read_bytes(), "throws_escalation.bpmn")
    instance = platform.runtime.start("throws", {}, actor(platform, "crc"))
    uncaught = [e for e in platform.runtime.audit.timeline(instance.id) if e.kind == "event.uncaught"]
    assert [e.data for e in uncaught] == [{"event": "EscalationEventDefinition", "name": "late"}]
    assert '"bpmn_events":[]' in platform.session.get(ProcessInstance, instance.id).state


def test_a_camunda_drawn_diagram_routes_assigns_and_dates_its_tasks(platform: Platform) -> None:
    platform.definitions.deploy((DATA / "camunda_complaint.bpmn").read_bytes(), "camunda_complaint.bpmn")
    data = {"coordinator": "crc_sup", "due": "2026-11-21T18:00:00+08:00", "department": "design"}
    instance = platform.runtime.start("camunda_complaint", data, actor(platform, "crc"))
    triage = open_row(platform, instance.id)
    assert (triage.department, triage.assignee, triage.form_key) == ("crc", "crc_sup", "complaint_triage")
    assert triage.due_at is not None and triage.due_at.isoformat() == "2026-11-21T10:00:00+00:00"

    platform.tasks.complete(
        triage.id,
        {"category": "design", "severity": "low", "department": "design"},
        actor(platform, "crc_sup"),
    )
    handle = open_row(platform, instance.id)
    assert (handle.element_id, handle.department, handle.assignee) == ("handle", "design", None)
