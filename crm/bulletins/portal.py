"""The notices on the owner portal (/portal/bulletins): which an owner may read, their photos, and the
owner's opening and acknowledgement of them.

The portal knows a person by the phone they proved they hold (crm.messaging.portal): every owner record with
that phone is theirs. They read the sent (sending or sent) progress notices of every project in which one of
their records owns a unit now, and the design changes sent to one of their records. Anything else — another
project's notice, a draft, a design change addressed to others — is not found, exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from crm.bulletins.drafting import progress_rows
from crm.bulletins.models import BuildingProgress, Bulletin, BulletinRecipient, portal_path
from crm.estate.models import Building, Owner, Ownership, Unit
from crm.messaging.recipients import owner_recipient
from crm.models import Attachment
from crm.portal import SCOPE, normalise_phone
from crm.throttle import Throttle
from engine.errors import Conflict, NotFound
from lintel.clock import Clock
from notifications.models import InAppMessage

SENT = ("sending", "sent")
PHOTO_FIELD = "progress_"  # + the building's id: the photos engineering attached to its progress
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
ARCHIVE_LIMIT = 200


def photo_field(building_id: int) -> str:
    return f"{PHOTO_FIELD}{building_id}"


@dataclass(frozen=True)
class BuildingReport:
    """A building's progress as the owner reads it, with its photos."""

    progress: BuildingProgress
    photos: list[Attachment]


@dataclass(frozen=True)
class OwnerNotice:
    """A notice as one person reads it: when they first opened it and acknowledged it (a design change),
    over all their owner records."""

    bulletin: Bulletin
    opened_at: datetime | None
    acknowledged_at: datetime | None

    @property
    def awaits_ack(self) -> bool:
        return self.bulletin.requires_ack and self.acknowledged_at is None


class OwnerBulletins:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def owner_ids(self, phone: str) -> list[int]:
        if not phone:
            return []
        return list(self.session.scalars(select(Owner.id).where(Owner.phone == phone).order_by(Owner.id)))

    def _visible(self, owner_ids: Sequence[int]) -> ColumnElement[bool]:
        """The notices these owner records may read."""
        owns_in_project = (
            exists()
            .where(
                Ownership.owner_id.in_(list(owner_ids)),
                Ownership.ended_on.is_(None),
                Ownership.unit_id == Unit.id,
                Unit.building_id == Building.id,
            )
            .where(Building.project_id == Bulletin.project_id)
        )
        addressed = exists().where(
            BulletinRecipient.bulletin_id == Bulletin.id, BulletinRecipient.owner_id.in_(list(owner_ids))
        )
        return and_(
            Bulletin.status.in_(SENT),
            or_(
                and_(Bulletin.kind == "progress", owns_in_project),
                and_(Bulletin.kind == "design_change", addressed),
            ),
        )

    def archive(self, owner_ids: Sequence[int]) -> list[OwnerNotice]:
        """The notices these owner records may read, newest first."""
        if not owner_ids:
            return []
        when = func.coalesce(Bulletin.approved_at, Bulletin.created_at)
        bulletins = list(
            self.session.scalars(
                select(Bulletin)
                .where(self._visible(owner_ids))
                .order_by(when.desc(), Bulletin.id.desc())
                .limit(ARCHIVE_LIMIT)
            )
        )
        marks = self._marks(owner_ids, [b.id for b in bulletins])
        return [OwnerNotice(b, *marks.get(b.id, (None, None))) for b in bulletins]

    def _marks(
        self, owner_ids: Sequence[int], bulletin_ids: Sequence[int]
    ) -> dict[int, tuple[datetime | None, datetime | None]]:
        """Per notice, the first opening and acknowledgement by any of these owner records."""
        if not bulletin_ids:
            return {}
        rows = self.session.execute(
            select(
                BulletinRecipient.bulletin_id,
                func.min(BulletinRecipient.opened_at),
                func.min(BulletinRecipient.acknowledged_at),
            )
            .where(
                BulletinRecipient.bulletin_id.in_(list(bulletin_ids)),
                BulletinRecipient.owner_id.in_(list(owner_ids)),
            )
            .group_by(BulletinRecipient.bulletin_id)
        )
        return {bulletin_id: (opened, acked) for bulletin_id, opened, acked in rows}

    def get(self, owner_ids: Sequence[int], bulletin_id: int) -> OwnerNotice:
        """The notice when these owner records may read it; NotFound otherwise, as for a missing one."""
        found = None
        if owner_ids and 0 < bulletin_id <= 2**31 - 1:
            found = self.session.scalar(
                select(Bulletin).where(Bulletin.id == bulletin_id, self._visible(owner_ids))
            )
        if found is None:
            raise NotFound(f"notice {bulletin_id} does not exist")
        marks = self._marks(owner_ids, [found.id])
        return OwnerNotice(found, *marks.get(found.id, (None, None)))

    def verify(self, throttle: Throttle, bulletin_id: int, phone: object, client: str) -> str | None:
        """The phone (normalised) when an owner with it may read the notice, else None — the same None for
        a missing notice. Counted like the portal's look-ups: a client guessing phones waits longer after
        each miss (raises crm.throttle.Throttled meanwhile)."""
        subject = f"bulletin:{bulletin_id}"
        throttle.check(SCOPE, subject, client)
        number = normalise_phone(phone)
        try:
            self.get(self.owner_ids(number), bulletin_id)
        except NotFound:
            throttle.fail(SCOPE, subject, client)
            return None
        throttle.succeed(SCOPE, subject, client)
        return number

    def reports(self, bulletin: Bulletin) -> list[BuildingReport]:
        """Each building's progress of a progress notice, with the photos attached to it."""
        rows = progress_rows(self.session, bulletin)
        if not rows:
            return []
        photos: dict[str, list[Attachment]] = {}
        if bulletin.instance_id is not None:
            for attachment in self.session.scalars(
                select(Attachment)
                .where(
                    Attachment.instance_id == bulletin.instance_id,
                    Attachment.field.in_([photo_field(row.building_id) for row in rows]),
                    Attachment.content_type.in_(IMAGE_TYPES),
                )
                .order_by(Attachment.id)
            ):
                photos.setdefault(attachment.field or "", []).append(attachment)
        return [BuildingReport(row, photos.get(photo_field(row.building_id), [])) for row in rows]

    def photo(self, notice: OwnerNotice, token: str) -> Attachment:
        """A photo of the notice's progress; NotFound for any other file."""
        bulletin = notice.bulletin
        found = None
        if bulletin.kind == "progress" and bulletin.instance_id is not None and token.isalnum():
            found = self.session.scalar(
                select(Attachment).where(
                    Attachment.instance_id == bulletin.instance_id,
                    Attachment.token == token,
                    Attachment.field.like(f"{PHOTO_FIELD}%"),
                    Attachment.content_type.in_(IMAGE_TYPES),
                )
            )
        if found is None:
            raise NotFound("the photo does not exist")
        return found

    def opened(self, owner_ids: Sequence[int], notice: OwnerNotice) -> None:
        """The person opened the notice: noted once, on each of their records it was sent to; the in-app
        messages that brought it (and any reminder of it) are read with it."""
        now = self.clock.now()
        self.session.execute(
            update(InAppMessage)
            .where(
                InAppMessage.recipient.in_([owner_recipient(i) for i in owner_ids]),
                InAppMessage.link == portal_path(notice.bulletin.id),
                InAppMessage.read_at.is_(None),
            )
            .values(read_at=now)
        )
        if notice.opened_at is not None:
            return
        self.session.execute(
            update(BulletinRecipient)
            .where(
                BulletinRecipient.bulletin_id == notice.bulletin.id,
                BulletinRecipient.owner_id.in_(list(owner_ids)),
                BulletinRecipient.opened_at.is_(None),
            )
            .values(opened_at=now)
        )

    def acknowledge(self, owner_ids: Sequence[int], notice: OwnerNotice) -> datetime:
        """The person confirms they have read a design change (我已知悉), once; raises Conflict when they
        already did (its `at`: when) or the notice asks for no acknowledgement."""
        if not notice.bulletin.requires_ack:
            raise Conflict("this notice asks for no acknowledgement")
        if notice.acknowledged_at is not None:
            raise AlreadyAcknowledged(notice.acknowledged_at)
        now = self.clock.now()
        self.session.execute(
            update(BulletinRecipient)
            .where(
                BulletinRecipient.bulletin_id == notice.bulletin.id,
                BulletinRecipient.owner_id.in_(list(owner_ids)),
                BulletinRecipient.acknowledged_at.is_(None),
            )
            .values(acknowledged_at=now, opened_at=func.coalesce(BulletinRecipient.opened_at, now))
        )
        return now


class AlreadyAcknowledged(Conflict):
    def __init__(self, at: datetime) -> None:
        super().__init__("the notice was already acknowledged")
        self.at = at
