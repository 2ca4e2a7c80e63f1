"""The draft a progress notice starts from: engineering's progress per building, in the centre's words."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.bulletins.models import BuildingProgress, Bulletin
from crm.estate.models import Building


def progress_rows(session: Session, bulletin: Bulletin) -> list[BuildingProgress]:
    return list(
        session.scalars(
            select(BuildingProgress)
            .join(Building, Building.id == BuildingProgress.building_id)
            .where(BuildingProgress.bulletin_id == bulletin.id)
            .order_by(Building.name, Building.id)
        )
    )


def prefill(session: Session, bulletin: Bulletin) -> None:
    """Write the notice's text and SMS from the reported progress, unless the centre already wrote them."""
    if bulletin.body.strip():
        return
    rows = progress_rows(session, bulletin)
    month = f"{int(bulletin.period[5:])}月" if bulletin.period else "本月"
    lines = ["尊敬的业主：", "", f"{bulletin.project.name}{month}工程进度如下："]
    for row in rows:
        note = f"{row.note.strip()}" if row.note.strip() else ""
        lines.append(f"{row.building.name}：{row.milestone}，整体完成{row.percent}%。{note}")
    lines += ["", "感谢您对我们工作的关注与支持，现场照片请在业主服务页查看。"]
    bulletin.body = "\n".join(lines)
    parts = "，".join(f"{row.building.name}{row.milestone}（{row.percent}%）" for row in rows)
    sms = f"【{bulletin.project.name}】{month}工程进度：{parts}。"
    bulletin.sms_text = sms if len(sms) <= 120 else sms[:119] + "…"
