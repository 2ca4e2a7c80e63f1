"""Who has acknowledged a design change (我已知悉 on the portal) and who has not: the counts, the list of
owners still to acknowledge (names, their units the change concerns, phones masked) as the notice's page, its
XLSX download and the API give it, and the reminder (再次提醒) that sends the notice again to them — at most
once a day per notice, each reminder a line on the notice's request timeline."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openpyxl import Workbook
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.bulletins.models import Bulletin, BulletinRecipient, portal_path
from crm.estate.models import Building, Owner, Ownership, Unit
from crm.estate.people import mask_phone
from crm.messaging.recipients import owner_addresses
from engine.actors import Actor
from engine.audit import AuditLog
from engine.errors import Conflict
from engine.models import AuditEvent, ProcessInstance
from lintel.clock import SHANGHAI, Clock
from notifications.outbox import Outbox

KIND = "bulletin.design_change"
REMINDED = "bulletin.reminded"  # the audit line of a reminder on the notice's request
REMIND_INTERVAL = timedelta(hours=24)
SENT = ("sending", "sent")


@dataclass(frozen=True)
class Pending:
    """An owner who has not acknowledged the change yet."""

    owner_id: int
    name: str
    phone: str  # masked
    units: list[str] = field(default_factory=list)  # their units the change concerns: 1栋 1201
    opened_at: datetime | None = None


@dataclass(frozen=True)
class AckSummary:
    recipients: int
    acknowledged: int
    pending: list[Pending]
    last_reminder: datetime | None


class TooSoon(Conflict):
    """A reminder within REMIND_INTERVAL of the last: `next_at` is when the next one may go."""

    def __init__(self, last: datetime) -> None:
        super().__init__("the owners were reminded less than a day ago")
        self.last = last
        self.next_at = last + REMIND_INTERVAL


class Acknowledgements:
    def __init__(self, session: Session, clock: Clock, outbox: Outbox, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.outbox = outbox
        self.public_url = public_url.rstrip("/")

    @staticmethod
    def applies(bulletin: Bulletin) -> bool:
        """A design change on its way to its owners (its recipients are written at approval)."""
        return bulletin.requires_ack and bulletin.status in SENT

    def _check(self, bulletin: Bulletin) -> None:
        if not bulletin.requires_ack:
            raise Conflict(f"notice {bulletin.id} is a progress notice: owners do not acknowledge it")
        if bulletin.status not in SENT:
            raise Conflict(f"notice {bulletin.id} has not been sent yet")

    def summary(self, bulletin: Bulletin) -> AckSummary:
        """Acknowledged N of M, and the owners still to acknowledge, by name."""
        self._check(bulletin)
        recipients, acknowledged = self.session.execute(
            select(func.count(), func.count(BulletinRecipient.acknowledged_at)).where(
                BulletinRecipient.bulletin_id == bulletin.id
            )
        ).one()
        rows = self.session.execute(
            select(Owner.id, Owner.name, Owner.phone, BulletinRecipient.opened_at)
            .join(Owner, Owner.id == BulletinRecipient.owner_id)
            .where(BulletinRecipient.bulletin_id == bulletin.id, BulletinRecipient.acknowledged_at.is_(None))
            .order_by(Owner.name, Owner.id)
        ).all()
        units = self._units(bulletin, [row.id for row in rows])
        pending = [
            Pending(row.id, row.name, mask_phone(row.phone), units.get(row.id, []), row.opened_at)
            for row in rows
        ]
        return AckSummary(int(recipients), int(acknowledged), pending, self.last_reminder(bulletin))

    def _units(self, bulletin: Bulletin, owner_ids: Sequence[int]) -> dict[int, list[str]]:
        """Per owner, their current units of the project among those the change concerns."""
        if not owner_ids:
            return {}
        chosen = bulletin.audience or {}
        concerns = []
        if chosen.get("building_ids"):
            concerns.append(Unit.building_id.in_(list(chosen["building_ids"])))
        if chosen.get("unit_ids"):
            concerns.append(Unit.id.in_(list(chosen["unit_ids"])))
        found: dict[int, list[str]] = {}
        if not concerns:
            return found
        for owner_id, building, number in self.session.execute(
            select(Ownership.owner_id, Building.name, Unit.number)
            .join(Unit, Unit.id == Ownership.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(
                Ownership.owner_id.in_(list(owner_ids)),
                Ownership.ended_on.is_(None),
                Building.project_id == bulletin.project_id,
                or_(*concerns),
            )
            .order_by(Building.name, Unit.number)
        ):
            found.setdefault(owner_id, []).append(f"{building} {number}")
        return found

    def last_reminder(self, bulletin: Bulletin) -> datetime | None:
        if bulletin.instance_id is None:
            return None
        return self.session.scalar(
            select(func.max(AuditEvent.at)).where(
                AuditEvent.instance_id == bulletin.instance_id, AuditEvent.kind == REMINDED
            )
        )

    def remind(self, bulletin: Bulletin, actor: Actor) -> int:
        """Queue the notice again, by each owner's channels, to every owner who has not acknowledged it
        and whom the sending has reached (`queued_at`); how many owners. Raises TooSoon within a day of the
        last reminder."""
        self._check(bulletin)
        last = self.last_reminder(bulletin)
        if last is not None and self.clock.now() - last < REMIND_INTERVAL:
            raise TooSoon(last)
        waiting = (BulletinRecipient.bulletin_id == bulletin.id) & BulletinRecipient.acknowledged_at.is_(None)
        # Only those the sending has reached: an owner whose first messages are still to be queued gets
        # them from the sending itself, not twice.
        owners = list(
            self.session.scalars(
                select(Owner)
                .join(BulletinRecipient, BulletinRecipient.owner_id == Owner.id)
                .where(waiting, BulletinRecipient.queued_at.is_not(None))
                .order_by(Owner.id)
            )
        )
        if not owners:
            unsent = self.session.scalar(select(BulletinRecipient.id).where(waiting).limit(1))
            if unsent is not None:
                raise Conflict(f"notice {bulletin.id} is still being sent")
            raise Conflict("every owner has acknowledged the notice")
        path = portal_path(bulletin.id)
        context = {
            "project": bulletin.project.name,
            "title": bulletin.title,
            "body": bulletin.body,
            "sms_text": bulletin.sms_text,
            "link": f"{self.public_url}{path}",
        }
        for owner in owners:
            to = owner_addresses(self.session, self.clock, owner, KIND)
            if to:
                self.outbox.queue(
                    KIND, to, {**context, "name": owner.name}, link=path, ref=f"bulletin:{bulletin.id}"
                )
        instance = self.session.get(ProcessInstance, bulletin.instance_id) if bulletin.instance_id else None
        if instance is not None:
            AuditLog(self.session, self.clock).record(
                instance, REMINDED, actor.username, data={"owners": len(owners)}
            )
        self.session.flush()
        return len(owners)


HEADINGS = ("业主", "房号", "手机号", "首次查看")


def workbook(bulletin: Bulletin, summary: AckSummary) -> bytes:
    """The owners still to acknowledge, as an XLSX: one row each (phones masked)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("未确认业主")
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 16
    sheet.column_dimensions["D"].width = 18
    sheet.append([bulletin.title])
    sheet.append([f"已确认 {summary.acknowledged} / {summary.recipients}"])
    sheet.append(list(HEADINGS))
    for row in summary.pending:
        opened = row.opened_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if row.opened_at else ""
        sheet.append([row.name, "、".join(row.units), row.phone, opened])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
