"""The monthly progress notice and the design-change notice through their workflows: who gets one each month,
what each step needs, the manager's send-back, and who the approved notice goes to."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.bulletins.bulletins import PROGRESS_PROCESS, bulletin_of
from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.estate.models import Contract
from crm.platform import Foundation, Platform
from engine.errors import Conflict, InvalidData
from engine.models import ProcessInstance
from engine.timers import TimerJob
from lintel.clock import SHANGHAI, FixedClock
from tests.bulletins.support import actor, estate, open_task, report


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def progress_notices(session: Session) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for bulletin in session.scalars(
        select(Bulletin).where(Bulletin.kind == "progress").order_by(Bulletin.id)
    ):
        found.setdefault(bulletin.period or "", []).append(bulletin.project.name)
    return found


def test_the_monthly_timer_starts_one_notice_per_project_under_construction(
    session_factory: sessionmaker[Session], foundation: Foundation, clock: FixedClock
) -> None:
    with session_factory() as session:
        platform = Platform(session, foundation)
        estate(platform, "LXF", "临溪府", waiting=2, handed_over=1)
        estate(platform, "HPY", "湖畔苑", waiting=0, handed_over=3, phone_base=100)  # fully handed over
        estate(platform, "YJY", "云境园", waiting=1, handed_over=0, cancelled=1, phone_base=200)
        estate(
            platform, "TQY", "天禧苑", waiting=0, handed_over=0, cancelled=2, phone_base=300
        )  # none signed
        session.commit()
    job = TimerJob(session_factory, lambda session: Platform(session, foundation).runtime)

    # The diagram was deployed long ago and no cycle has fired: the latest (November's) fires now, once.
    job.run_due(clock.now())
    assert job.run_due(clock.now()).starts == 0
    with session_factory() as session:
        assert progress_notices(session) == {"2026-11": ["临溪府", "云境园"]}

    job.run_until(sh(2026, 12, 1, 9, 30), clock)
    with session_factory() as session:
        assert progress_notices(session) == {"2026-11": ["临溪府", "云境园"], "2026-12": ["临溪府", "云境园"]}
        bulletin = session.scalars(select(Bulletin).where(Bulletin.period == "2026-12")).first()
        assert bulletin is not None and bulletin.title == "临溪府2026年12月楼盘进度通报"
        assert bulletin.status == "progress"
        instance = session.get(ProcessInstance, bulletin.instance_id)
        assert instance is not None and instance.process_key == PROGRESS_PROCESS
        platform = Platform(session, foundation)
        [task] = platform.tasks.open_tasks_of(instance.id)
        assert (task.element_id, task.department) == ("submit_progress", "engineering")
        assert task.due_at is not None and task.due_at.astimezone(SHANGHAI).replace(microsecond=0) == sh(
            2026, 12, 8, 9, 0
        )

        # Started by hand for a project that already has its notice this month: refused, nothing started.
        with pytest.raises(Conflict, match="already has its progress notice"):
            platform.bulletins.start_progress({"project_id": bulletin.project_id}, actor(platform, "crc"))

    # The last signed unit of 云境园 is handed over during December: January leaves it out.
    with session_factory() as session:
        contract = session.scalars(select(Contract).where(Contract.number == "YJY-0101")).one()
        contract.status = "handed_over"
        session.commit()
    job.run_until(sh(2027, 1, 1, 9, 30), clock)
    with session_factory() as session:
        assert progress_notices(session) == {
            "2026-11": ["临溪府", "云境园"],
            "2026-12": ["临溪府", "云境园"],
            "2027-01": ["临溪府"],
        }


def test_a_notice_is_reported_drafted_sent_back_and_approved_for_exactly_its_owners(
    platform: Platform,
) -> None:
    site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=1, cancelled=1, buildings=2)
    other = estate(platform, "YJY", "云境园", waiting=1, handed_over=0, phone_base=200)
    crc, eng, sup = (actor(platform, name) for name in ("crc", "eng", "crc_sup"))
    instance_id = platform.bulletins.start_progress({"project_id": site.project.id}, crc)
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None and (bulletin.period, bulletin.status) == ("2026-11", "progress")

    # Engineering cannot submit before a building's progress is reported.
    submit = open_task(platform, bulletin, "submit_progress")
    platform.tasks.claim(submit.id, eng)
    with pytest.raises(InvalidData, match="report at least one building"):
        platform.tasks.complete(submit.id, {}, eng)
    report(platform, bulletin, site.buildings[0], "主体封顶", 65)
    report(platform, bulletin, site.buildings[1], "外立面施工", 58)
    platform.tasks.complete(submit.id, {"progress_note": "2栋外立面本月完成过半"}, eng)
    assert bulletin.status == "drafting"
    assert (
        "1栋：主体封顶，整体完成65%。" in bulletin.body and "2栋：外立面施工，整体完成58%。" in bulletin.body
    )
    assert bulletin.sms_text == "【临溪府】11月工程进度：1栋主体封顶（65%），2栋外立面施工（58%）。"

    # A draft without its SMS text does not reach the manager.
    draft = open_task(platform, bulletin, "draft")
    platform.tasks.claim(draft.id, crc)
    bulletin.sms_text = ""
    with pytest.raises(InvalidData) as refused:
        platform.tasks.complete(draft.id, {}, crc)
    assert refused.value.fields == {"sms_text": "the notice needs its SMS text"}
    bulletin.sms_text = "【临溪府】11月工程进度：1栋主体封顶，2栋外立面施工。"
    platform.tasks.complete(draft.id, {"draft_note": "已按模板起草"}, crc)
    assert bulletin.status == "approving"

    # A coordinator cannot approve; the supervisor sends it back with a comment.
    approve = open_task(platform, bulletin, "approve")
    with pytest.raises(Conflict, match="only a supervisor or a department manager"):
        platform.tasks.complete(approve.id, {"decision": "approve"}, crc)
    with pytest.raises(InvalidData):
        platform.tasks.complete(approve.id, {"decision": "return"}, sup)  # a send-back needs its reason
    platform.tasks.complete(approve.id, {"decision": "return", "approve_comment": "请补充2栋的照片说明"}, sup)
    assert (bulletin.status, bulletin.return_comment, bulletin.returned_by) == (
        "drafting",
        "请补充2栋的照片说明",
        "crc_sup",
    )
    redraft = open_task(platform, bulletin, "draft")
    assert redraft.id != draft.id
    assert not platform.session.scalars(select(BulletinRecipient)).all()  # nothing goes out before approval

    platform.tasks.claim(redraft.id, crc)
    platform.tasks.complete(redraft.id, {}, crc)
    platform.tasks.complete(open_task(platform, bulletin, "approve").id, {"decision": "approve"}, sup)
    assert (bulletin.status, bulletin.approved_by) == ("sending", "crc_sup")
    owners = set(
        platform.session.scalars(
            select(BulletinRecipient.owner_id).where(BulletinRecipient.bulletin_id == bulletin.id)
        )
    )
    assert owners == {o.id for o in site.waiting.values()}
    assert bulletin.recipients_total == 3
    assert not owners & {
        o.id for o in (*site.handed_over.values(), *site.cancelled.values(), *other.waiting.values())
    }


def test_a_design_change_goes_to_the_owners_of_the_chosen_buildings_and_units(platform: Platform) -> None:
    site = estate(platform, "LXF", "临溪府", waiting=2, handed_over=1, cancelled=1, buildings=2)
    crc = actor(platform, "crc")
    other = estate(platform, "YJY", "云境园", waiting=1, handed_over=0, phone_base=200)
    with pytest.raises(InvalidData) as refused:
        platform.bulletins.start_design_change(
            {"project_id": site.project.id, "building_ids": [other.buildings[0].id], "title": " "}, crc
        )
    assert refused.value.fields == {
        "building_ids": f"not buildings of 临溪府: {other.buildings[0].id}",
        "title": "required",
    }
    with pytest.raises(InvalidData) as refused:
        platform.bulletins.start_design_change({"project_id": site.project.id, "title": "景观调整"}, crc)
    assert refused.value.fields == {"building_ids": "choose the buildings or units whose owners are told"}

    unit = site.units["0101"]
    instance_id = platform.bulletins.start_design_change(
        {
            "project_id": site.project.id,
            "unit_ids": [unit.id, site.units["0201"].id],
            "title": "1栋北侧景观调整",
        },
        crc,
    )
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    assert (bulletin.kind, bulletin.status, bulletin.requires_ack) == ("design_change", "drafting", True)
    draft = open_task(platform, bulletin, "draft")
    bulletin.body = "经规划部门批准，1栋北侧景观水系调整为下沉式花园。"
    bulletin.sms_text = "【临溪府】1栋北侧景观设计变更，请查看并确认。"
    platform.tasks.claim(draft.id, crc)
    platform.tasks.complete(draft.id, {}, crc)
    platform.tasks.complete(
        open_task(platform, bulletin, "approve").id, {"decision": "approve"}, actor(platform, "crc_sup")
    )
    owners = set(platform.session.scalars(select(BulletinRecipient.owner_id)))
    # 0101 is signed and waiting, 0201 handed over (still its owner's to hear about); not the others.
    assert owners == {site.waiting["0101"].id, site.handed_over["0201"].id}
