"""What the studio relies on in the engine: drafts per owner, rolling back to a version's files, and the
timer expressions a version page reads in plain words."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from engine.bpmn_outline import TimerText, boundary_timers
from engine.models import ProcessDefinition, ProcessDraft
from lintel.clock import SHANGHAI
from tests.conftest import COMPLAINT_BPMN, DATA
from tests.webapp.pages_support import actor

REPAIR = (DATA / "studio" / "repair_visit.bpmn").read_bytes()


def test_each_owner_has_their_own_draft_of_a_process(platform, clock) -> None:
    drafts = platform.drafts
    drafts.save("admin", "complaint", "<mine/>", 1)
    drafts.save("other", "complaint", "<theirs/>", 1)
    drafts.save("admin", "complaint", "<mine again/>", 2)
    mine = drafts.get("admin", "complaint")
    assert mine.bpmn_xml == "<mine again/>" and mine.base_version == 1 and mine.updated_at == clock.now()
    assert drafts.get("other", "complaint").bpmn_xml == "<theirs/>"
    assert [d.process_key for d in drafts.of_owner("admin")] == ["complaint"]
    drafts.discard("admin", "complaint")
    assert drafts.get("admin", "complaint") is None and drafts.get("other", "complaint") is not None
    assert platform.session.scalar(select(func.count()).select_from(ProcessDraft)) == 1


def test_rolling_back_stores_the_old_files_as_a_new_version_with_its_note(platform) -> None:
    definitions = platform.definitions
    first = definitions.deploy(REPAIR, "repair_visit.bpmn", actor="admin", note="两个工作日").definition
    changed = REPAIR.replace(b"working_days(2)", b"working_days(3)")
    definitions.deploy(changed, "repair_visit.bpmn", actor="admin", note="三个工作日")
    rolled = definitions.roll_back(first, actor="admin", note="回滚到第1版")
    assert rolled.created and rolled.version == 3
    assert rolled.definition.change_note == "回滚到第1版"
    assert definitions.deployed_files(rolled.definition) == definitions.deployed_files(first)
    again = definitions.roll_back(first, actor="admin", note="回滚到第1版")
    assert not again.created and again.version == 3
    count = select(func.count()).where(ProcessDefinition.key == "repair_visit")
    assert platform.session.scalar(count) == 3


def test_a_timer_says_its_duration_when_it_is_a_simple_one() -> None:
    timers = boundary_timers(REPAIR.decode())
    assert timers["visit_deadline"].duration() == ("working_days", 2.0)
    assert timers["visit_reminder"].duration() == ("calendar_hours", 36.0)
    assert timers["visit_escalation"].duration() == ("business_hours", 20.0)
    assert TimerText("timeDate", '"PT24H"').duration() == ("calendar_hours", 24.0)
    assert TimerText("timeDate", "working_days(days)").duration() is None
    assert TimerText("timeCycle", "working_days(2)").duration() is None
    complaint = boundary_timers(COMPLAINT_BPMN.read_text())
    assert complaint["handle_overdue"] == TimerText("timeDate", "handle_due")
    assert boundary_timers("<not xml") == {}


def test_a_deadline_the_studio_writes_runs_on_working_days(platform, clock) -> None:
    platform.definitions.deploy(REPAIR, "repair_visit.bpmn", actor="admin", note="两个工作日")
    instance = platform.runtime.start("repair_visit", {}, actor(platform, "crc"))
    task = platform.tasks.open_tasks_of(instance.id)[0]
    # Friday 10:00 in Shanghai plus two working days: Tuesday 10:00.
    assert task.due_at == datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    assert task.department == "engineering"
