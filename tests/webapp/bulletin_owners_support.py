"""Notices worked through their steps to approval (their recipients written), for the owners' side tests."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select, update

from crm.attachments import Attachments
from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.models import BuildingProgress, Bulletin, BulletinRecipient
from crm.bulletins.portal import photo_field
from crm.estate.models import Building
from crm.models import Attachment
from crm.platform import Platform
from tests.bulletins.support import Estate, actor, open_task, report

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def progress_notice(platform: Platform, site: Estate, *, approve: bool = True) -> Bulletin:
    """This month's progress notice of the project: the first building reported (主体封顶, 65%, a note),
    drafted, and approved by the supervisor unless `approve` is False (it then waits for approval)."""
    crc, eng = actor(platform, "crc"), actor(platform, "eng")
    bulletin = bulletin_of(
        platform.session, platform.bulletins.start_progress({"project_id": site.project.id}, crc)
    )
    assert bulletin is not None
    report(platform, bulletin, site.buildings[0], "主体封顶", 65)
    progress = bulletin_progress(platform, bulletin, site.buildings[0])
    progress.note = "屋面防水完成，外立面石材开始安装。"
    submit = open_task(platform, bulletin, "submit_progress")
    platform.tasks.claim(submit.id, eng)
    platform.tasks.complete(submit.id, {}, eng)
    draft = open_task(platform, bulletin, "draft")
    platform.tasks.claim(draft.id, crc)
    platform.tasks.complete(draft.id, {}, crc)
    if approve:
        approve_notice(platform, bulletin)
    return bulletin


def bulletin_progress(platform: Platform, bulletin: Bulletin, building: Building) -> BuildingProgress:
    return platform.session.scalars(
        select(BuildingProgress).where(
            BuildingProgress.bulletin_id == bulletin.id, BuildingProgress.building_id == building.id
        )
    ).one()


def design_change(
    platform: Platform,
    site: Estate,
    *,
    unit_ids: list[int] | None = None,
    building_ids: list[int] | None = None,
    title: str = "1栋北侧景观设计变更通报",
) -> Bulletin:
    """A design change to the chosen units or buildings, drafted and approved."""
    crc = actor(platform, "crc")
    data = {
        "project_id": site.project.id,
        "unit_ids": unit_ids or [],
        "building_ids": building_ids or [],
        "title": title,
    }
    bulletin = bulletin_of(platform.session, platform.bulletins.start_design_change(data, crc))
    assert bulletin is not None
    bulletin.body = "经规划部门批准，1栋北侧景观水系调整为下沉式花园，楼栋位置、户型和面积不变。"
    bulletin.sms_text = f"【{site.project.name}】1栋北侧景观设计变更，请查看并确认。"
    draft = open_task(platform, bulletin, "draft")
    platform.tasks.claim(draft.id, crc)
    platform.tasks.complete(draft.id, {}, crc)
    approve_notice(platform, bulletin)
    return bulletin


def approve_notice(platform: Platform, bulletin: Bulletin) -> None:
    platform.tasks.complete(
        open_task(platform, bulletin, "approve").id, {"decision": "approve"}, actor(platform, "crc_sup")
    )
    assert bulletin.status == "sending"


def attach_photo(
    platform: Platform, folder: Path, bulletin: Bulletin, building: Building, name: str = "现场.jpg"
) -> Attachment:
    """A photo of the building's progress, as engineering attaches it on the notice's page."""
    assert bulletin.instance_id is not None
    store = Attachments(platform.session, platform.clock, folder / "uploads", 1 << 20)
    return store.store(bulletin.instance_id, "eng", name, io.BytesIO(JPEG), field=photo_field(building.id))


def sending_done(platform: Platform, bulletin: Bulletin) -> None:
    """What the sending leaves behind once every recipient's messages are queued."""
    now = platform.clock.now()
    platform.session.execute(
        update(BulletinRecipient).where(BulletinRecipient.bulletin_id == bulletin.id).values(queued_at=now)
    )
    bulletin.status = "sent"
    bulletin.sent_at = now
    bulletin.recipients_queued = bulletin.recipients_total
    platform.session.flush()
