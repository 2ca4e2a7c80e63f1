"""The owner's side of their messages on the portal: the in-app messages and the channel choices of the
person holding a verified phone.

The portal knows an owner by the phone they proved they hold, not by an owner record. One person may be
several owner records with that phone (bought twice, entered twice by different projects): they read the
messages of all of them as one list, and a choice they make is saved to each, so that whichever record a
notice is about, it comes the way they chose."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.models import Owner
from crm.messaging.preferences import Choice, NoticePreferences
from lintel.clock import Clock
from notifications.inapp import InAppMessages, MessagePage
from notifications.models import InAppMessage

PAGE = 20
CHOSEN_ON_PORTAL = "owner"  # who changed a choice, as NoticePreferences records it


def owner_recipient(owner_id: int) -> str:
    return f"owner:{owner_id}"


class OwnerMessages:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.inapp = InAppMessages(session, clock)
        self.preferences = NoticePreferences(session, clock)

    def owner_ids(self, phone: str) -> list[int]:
        """The owner records with this phone (none: a caller who is not an owner, or a phone not on file)."""
        if not phone:
            return []
        return list(self.session.scalars(select(Owner.id).where(Owner.phone == phone).order_by(Owner.id)))

    def owners(self, phone: str) -> list[Owner]:
        if not phone:
            return []
        return list(self.session.scalars(select(Owner).where(Owner.phone == phone).order_by(Owner.id)))

    def recipients(self, phone: str) -> list[str]:
        return [owner_recipient(owner_id) for owner_id in self.owner_ids(phone)]

    def unread_count(self, phone: str) -> int:
        recipients = self.recipients(phone)
        return self.inapp.unread_count(recipients) if recipients else 0

    def page(self, phone: str, before_id: int | None = None, limit: int = PAGE) -> MessagePage:
        recipients = self.recipients(phone)
        if not recipients:
            return MessagePage([], 0, None)
        return self.inapp.page(recipients, before_id, limit)

    def open(self, phone: str, message_id: int) -> InAppMessage | None:
        """The message, marked read; None when it is not one of this phone's owners'."""
        recipients = self.recipients(phone)
        found = self.inapp.find(recipients, message_id) if recipients else None
        if found is not None:
            self.inapp.mark_read(recipients, found.id)
        return found

    def mark_all_read(self, phone: str) -> int:
        recipients = self.recipients(phone)
        return self.inapp.mark_read(recipients) if recipients else 0

    def choices(self, phone: str) -> list[Choice]:
        owner_ids = self.owner_ids(phone)
        return self.preferences.of_owners(owner_ids) if owner_ids else []

    def choose(self, phone: str, kind: str, channels: Iterable[str]) -> Choice | None:
        """Raises engine.errors.InvalidData as NoticePreferences.choose does (a service notice needs a
        channel); None when the phone has no owner record."""
        return self.preferences.choose_for(self.owner_ids(phone), kind, channels, CHOSEN_ON_PORTAL)
