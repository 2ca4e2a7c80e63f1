"""The draft a progress notice starts from: engineering's progress per building, in the centre's words."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.bulletins.models import BuildingProgress, Bulletin, natural_order

SMS_MAX = 120  # characters of the notice's own SMS text (the portal link is added to it)


def progress_rows(session: Session, bulletin: Bulletin) -> list[BuildingProgress]:
    rows = session.scalars(select(BuildingProgress).where(BuildingProgress.bulletin_id == bulletin.id))
    return sorted(rows, key=lambda r: (natural_order(r.building.name), r.building_id))


def prefill(session: Session, bulletin: Bulletin) -> None:
    """Write the notice's text and SMS from the reported progress, unless the centre already wrote them.

    The text is what the portal shows and what the email and the in-app message carry between their own
    greeting and signature (with the link to the photos), so it is the news itself: a line per building."""
    if bulletin.body.strip():
        return
    rows = progress_rows(session, bulletin)
    month = f"{int(bulletin.period[5:])}月" if bulletin.period else "本月"
    lines = [f"{bulletin.project.name}{month}工程进度如下："]
    for row in rows:
        note = row.note.strip()
        if note and note[-1] not in "。！？.!?":
            note += "。"
        lines.append(f"{row.building.name}：{row.milestone}，整体完成{row.percent}%。{note}")
    lines += ["", "感谢您对我们工作的关注与支持！"]
    bulletin.body = "\n".join(lines)
    parts = "，".join(f"{row.building.name}{row.milestone}（{row.percent}%）" for row in rows)
    sms = f"【{bulletin.project.name}】{month}工程进度：{parts}。"
    bulletin.sms_text = sms if len(sms) <= SMS_MAX else sms[: SMS_MAX - 1] + "…"
