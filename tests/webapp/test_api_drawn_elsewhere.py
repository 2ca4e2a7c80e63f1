"""A diagram drawn in Camunda Modeler deploys unchanged (with a default department) and runs to its end
through the API: a literal candidateGroups, JUEL conditions, cron timers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from crm.directory import actor_for
from crm.platform import Foundation, Platform
from engine.bpmn_meta import DeployOptions
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import DATA
from tests.webapp.pages_support import login, text

CAMUNDA = DATA / "camunda_modeler_repair.bpmn"


def start(session_factory: sessionmaker[Session], foundation: Foundation) -> int:
    with session_factory() as session:
        platform = Platform(session, foundation)
        result = platform.definitions.deploy(
            CAMUNDA.read_bytes(), CAMUNDA.name, options=DeployOptions(default_department="客户关系中心")
        )
        assert result.definition is not None and result.definition.bpmn_xml == CAMUNDA.read_text("utf-8")
        user = platform.directory.user("crc")
        assert user is not None
        instance = platform.runtime.start("camunda_repair", {}, actor_for(user))
        session.commit()
        return instance.id


def open_task(client, auth, username: str, department: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/tasks?department={department}&state=open", headers=auth(username))
    assert response.status_code == 200, response.get_json()
    [task] = [t for t in response.get_json()["tasks"] if t["process_key"] == "camunda_repair"]
    return task


def work(client, auth, username: str, department: str, data: dict) -> str:  # type: ignore[no-untyped-def]
    task = open_task(client, auth, username, department)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth(username)).status_code == 200
    response = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=auth(username)
    )
    assert response.status_code == 200, response.get_json()
    return str(task["element_id"])


def test_a_camunda_modeler_diagram_runs_to_its_end_through_the_api(  # type: ignore[no-untyped-def]
    client, auth, session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI))  # a Thursday
    instance_id = start(session_factory, foundation)

    # candidateGroups="Engineering" is the engineering department; the reply has neither lane nor group.
    assert work(client, auth, "eng", "engineering", {"resolution": "已更换门锁"}) == "Activity_assess"
    # ${reached == 'yes' && ...} is false: #{reached ne 'yes' || ...} sends it back to engineering.
    assert work(client, auth, "crc", "crc", {"reached": "no", "reply": "未接通"}) == "Activity_reply"
    assert work(client, auth, "eng", "engineering", {"resolution": "再次检查"}) == "Activity_assess"
    reply = {"reached": "yes", "reply": "已回复", "satisfied": "yes", "score": 5}
    assert work(client, auth, "crc", "crc", reply) == "Activity_reply"

    # It waits for the next working morning ("0 9 * * 1-5"): Friday 09:00.
    with session_factory() as session:
        platform = Platform(session, foundation)
        instance = platform.runtime.get(instance_id)
        assert (instance.status, instance.next_timer_at) == (
            "running",
            datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI),
        )
    job = TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)
    clock.set(datetime(2026, 12, 4, 9, 0, 1, tzinfo=SHANGHAI))
    assert job.run_due(clock.now()).timers == 1
    with session_factory() as session:
        assert Platform(session, foundation).runtime.get(instance_id).status == "completed"


def test_a_member_of_any_candidate_department_claims_on_the_task_page(  # type: ignore[no-untyped-def]
    app, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    content = CAMUNDA.read_text(encoding="utf-8").replace(
        'camunda:candidateGroups="Engineering"', 'camunda:candidateGroups="design, property"'
    )
    with session_factory() as session:
        platform = Platform(session, foundation)
        platform.definitions.deploy(
            content.encode(), CAMUNDA.name, options=DeployOptions(default_department="crc")
        )
        user = platform.directory.user("crc")
        assert user is not None
        instance = platform.runtime.start("camunda_repair", {}, actor_for(user))
        [row] = platform.tasks.open_tasks_of(instance.id)
        session.commit()
    app.config["WTF_CSRF_ENABLED"] = False  # signing in the way the page tests do
    member, outsider = app.test_client(), app.test_client()
    login(member, "property")
    assert "认领" in text(member.get(f"/tasks/{row.id}"))
    login(outsider, "eng")
    assert outsider.get(f"/tasks/{row.id}").status_code in (403, 404)


def test_the_version_page_lists_the_notices_in_chinese(  # type: ignore[no-untyped-def]
    app, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    content = (
        CAMUNDA.read_text(encoding="utf-8")
        .replace(
            "<bpmn:textAnnotation",
            '<bpmn:manualTask id="Activity_orphan" name="Forgotten"/>'
            '<bpmn:dataStoreReference id="Store_ref" dataStoreRef="Store_1"/><bpmn:textAnnotation',
        )
        .replace("<bpmn:process ", '<bpmn:dataStore id="Store_1" name="CRM"/><bpmn:process ')
    )
    with session_factory() as session:
        platform = Platform(session, foundation)
        result = platform.definitions.deploy(
            content.encode(), CAMUNDA.name, options=DeployOptions(default_department="crc")
        )
        session.commit()
    assert [n.element_id for n in result.notices] == ["Store_1", "Activity_orphan"]
    app.config["WTF_CSRF_ENABLED"] = False
    admin = app.test_client()
    login(admin, "admin")
    page = text(admin.get(f"/processes/{result.key}/{result.version}"))
    assert "没有顺序流连到这个人工任务：它永远不会执行（请连上或删除）" in page
    assert "数据存储「CRM」仅作说明：流程不会读写它" in page


REPLY_FORM_DATA = """<bpmn:userTask id="Activity_reply" name="Reply to the owner">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="reached" label="Owner reached" type="enum">
            <camunda:validation><camunda:constraint name="required" /></camunda:validation>
            <camunda:value id="yes" name="Yes" />
            <camunda:value id="no" name="No" />
          </camunda:formField>
          <camunda:formField id="satisfied" label="Satisfied" type="enum">
            <camunda:value id="yes" name="Yes" />
            <camunda:value id="no" name="No" />
          </camunda:formField>
          <camunda:formField id="reply" label="Reply" type="string">
            <camunda:validation><camunda:constraint name="maxlength" config="20" /></camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>"""


def test_the_same_diagram_with_camunda_form_data_checks_each_reply_and_runs_to_its_end(  # type: ignore[no-untyped-def]
    client, auth, session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI))  # a Thursday
    drawn = CAMUNDA.read_text(encoding="utf-8")
    content = drawn.replace(
        '<bpmn:userTask id="Activity_reply" name="Reply to the owner" camunda:formKey="complaint_reply">',
        REPLY_FORM_DATA,
    )
    assert content != drawn
    with session_factory() as session:
        platform = Platform(session, foundation)
        platform.definitions.deploy(
            content.encode(), CAMUNDA.name, options=DeployOptions(default_department="crc")
        )
        user = platform.directory.user("crc")
        assert user is not None
        instance_id = platform.runtime.start("camunda_repair", {}, actor_for(user)).id
        session.commit()

    assert work(client, auth, "eng", "engineering", {"resolution": "已更换门锁"}) == "Activity_assess"
    task = open_task(client, auth, "crc", "crc")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=auth("crc"))
    refused = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": {"reached": "maybe", "reply": "x" * 21}},
        headers=auth("crc"),
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["fields"]) == {"reached", "reply"}
    done = {"reached": "yes", "satisfied": "yes", "reply": "已回复"}
    assert work(client, auth, "crc", "crc", done) == "Activity_reply"

    job = TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)
    clock.set(datetime(2026, 12, 4, 9, 0, 1, tzinfo=SHANGHAI))
    assert job.run_due(clock.now()).timers == 1
    with session_factory() as session:
        assert Platform(session, foundation).runtime.get(instance_id).status == "completed"
