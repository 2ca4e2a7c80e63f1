"""Sending an approved notice in the background: its recipients' messages queued a chunk at a time.

Approval writes one BulletinRecipient per owner (`queued_at` empty) and leaves the notice `sending`; the
scheduler job in `lintel serve` and every `lintel worker` (and `lintel bulletins send`) take such notices and
queue their recipients' messages in chunks, each chunk one transaction: the recipients taken (PostgreSQL:
FOR UPDATE SKIP LOCKED, so two workers never take one chunk), their names and details and their channel
choices for the kind read in bulk, one message per address and channel (two owner records with one mobile
get one SMS: the unqueued records sharing a phone with the chunk's owners join the chunk), the messages
queued through the outbox with `ref = bulletin:<id>`, the recipients marked `queued_at` and the notice's
`recipients_queued` raised. The outbox rows are written at the chunk's commit, so a crash mid-chunk rolls
back the chunk with its messages and a restart takes the same recipients again: nobody is queued twice.
When none is left the notice is `sent`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from crm.bulletins.models import Bulletin, BulletinRecipient, portal_path
from crm.estate.models import Owner
from crm.messaging.notices import Wiring, outbox
from crm.messaging.preferences import NoticePreferences
from crm.messaging.recipients import mobile, owner_recipient
from notifications.outbox import Address
from notifications.templates import Rendered, Templates

log = logging.getLogger("lintel.notices")
CHUNK = 2_000
# A recipient with what their messages need of their owner record.
_RECIPIENT = select(
    BulletinRecipient.id.label("recipient_id"), Owner.id, Owner.name, Owner.phone, Owner.email
).join(Owner, Owner.id == BulletinRecipient.owner_id)


def kind_of(bulletin: Bulletin) -> str:
    """The message kind a notice goes out as."""
    return f"bulletin.{bulletin.kind}"


def ref_of(bulletin_id: int) -> str:
    return f"bulletin:{bulletin_id}"


def message_context(bulletin: Bulletin, public_url: str, name: str) -> dict[str, Any]:
    """What the notice's templates are rendered with, for an owner called `name`."""
    return {
        "name": name,
        "project": bulletin.project.name,
        "title": bulletin.title,
        "body": bulletin.body,
        "sms_text": bulletin.sms_text,
        "link": public_url + portal_path(bulletin.id),
    }


@dataclass
class SendReport:
    recipients: int = 0  # owners whose messages were queued
    messages: int = 0  # messages queued (in-app included)
    sent: list[int] = field(default_factory=list)  # notices that have every recipient queued now

    @property
    def busy(self) -> bool:
        return bool(self.recipients or self.sent)


class _Mobiles:
    """`crm.messaging.recipients.mobile` for many owners: a stored phone is normalised (a mobile's 11
    digits), and whether such a number is a valid mobile depends only on its first seven digits, so the
    check (phonenumbers, about 100 µs a number) is made once per prefix."""

    def __init__(self) -> None:
        self._prefixes: dict[str, bool] = {}

    def __call__(self, phone: str | None) -> str | None:
        if not phone or len(phone) != 11 or not phone.isdigit() or phone[0] != "1":
            return mobile(phone)
        prefix = phone[:7]
        valid = self._prefixes.get(prefix)
        if valid is None:
            valid = self._prefixes[prefix] = mobile(phone) == phone
        return phone if valid else None


def addresses_of(
    owners: Sequence[Row[Any]], channels: dict[int, tuple[str, ...]], mobiles: _Mobiles | None = None
) -> list[tuple[Row[Any], list[Address]]]:
    """Each owner's addresses on the channels they chose, as far as their details allow; an SMS number or
    an email address already given to an earlier owner of the list is not given again."""
    mobiles = mobiles or _Mobiles()
    seen: set[tuple[str, str]] = set()
    found = []
    for owner in owners:
        to = []
        who = owner_recipient(owner.id)
        for channel in channels.get(owner.id, ()):
            if channel == "inapp":
                address: str | None = who
            elif channel == "email":
                address = owner.email.strip().lower() if owner.email and owner.email.strip() else None
            elif channel == "sms":
                address = mobiles(owner.phone)
            else:
                address = None
            if address is None or (channel, address) in seen:
                continue
            seen.add((channel, address))
            to.append(Address(channel, owner.email.strip() if channel == "email" else address, who))
        found.append((owner, to))
    return found


class _Personalised:
    """The notice's templates rendered once per channel with a stand-in for the owner's name, which each
    owner's message then gets in its place: the text is the same for a hundred thousand owners but for the
    name. Checked against a real rendering first; a template that does anything else with the name than
    print it is rendered per owner."""

    STAND_IN = "\x00name\x00"

    def __init__(self, templates: Templates) -> None:
        self.templates = templates
        self._once: dict[tuple[str, str], Rendered | None] = {}

    def render(self, kind: str, channel: str, context: dict[str, Any]) -> Rendered:
        key = (kind, channel)
        if key not in self._once:
            self._once[key] = self._shared(kind, channel, context)
        shared = self._once[key]
        name = context.get("name")
        if shared is None or not isinstance(name, str):
            return self.templates.render(kind, channel, context)
        return Rendered(shared.subject.replace(self.STAND_IN, name), shared.body.replace(self.STAND_IN, name))

    def _shared(self, kind: str, channel: str, context: dict[str, Any]) -> Rendered | None:
        shared = self.templates.render(kind, channel, {**context, "name": self.STAND_IN})
        name = context.get("name")
        if not isinstance(name, str) or self.STAND_IN in name:
            return None
        direct = self.templates.render(kind, channel, context)
        substituted = Rendered(
            shared.subject.replace(self.STAND_IN, name), shared.body.replace(self.STAND_IN, name)
        )
        return shared if substituted == direct else None


@dataclass
class Sender:
    """Queues the messages of the notices being sent; owns its transactions (one per chunk)."""

    sessions: sessionmaker[Session]
    wiring: Wiring
    chunk: int = CHUNK
    _mobiles: _Mobiles = field(default_factory=_Mobiles, init=False, repr=False)

    def run_once(self) -> SendReport:
        """Every notice being sent, until each has all its recipients queued (or another worker holds the
        rest)."""
        report = SendReport()
        with self.sessions() as session:
            waiting = list(
                session.scalars(
                    select(Bulletin.id)
                    .where(Bulletin.status == "sending")
                    .order_by(Bulletin.approved_at, Bulletin.id)
                )
            )
        for bulletin_id in waiting:
            self.send(bulletin_id, report)
        return report

    def send(self, bulletin_id: int, report: SendReport | None = None) -> SendReport:
        report = report or SendReport()
        while True:
            with self.sessions.begin() as session:
                queued = self._chunk(session, bulletin_id, report)
            if queued == 0:
                return report

    def _chunk(self, session: Session, bulletin_id: int, report: SendReport) -> int:
        """One chunk in the caller's transaction; how many recipients it queued (0: none left for us)."""
        bulletin = session.get(Bulletin, bulletin_id)
        if bulletin is None or bulletin.status != "sending":
            return 0
        postgres = session.get_bind().dialect.name == "postgresql"
        waiting = (
            _RECIPIENT.where(
                BulletinRecipient.bulletin_id == bulletin_id, BulletinRecipient.queued_at.is_(None)
            )
            .order_by(BulletinRecipient.id)
            .limit(self.chunk)
        )
        if postgres:
            waiting = waiting.with_for_update(of=BulletinRecipient, skip_locked=True)
        owners = list(session.execute(waiting))
        if not owners:
            self._finish(session, bulletin, report)
            return 0
        taken = {owner.id: owner.recipient_id for owner in owners}
        joined = self._join_shared_phones(session, bulletin_id, owners, taken, postgres)
        if joined:
            owners = sorted([*owners, *joined], key=lambda o: o.id)
        kind = kind_of(bulletin)
        channels = NoticePreferences(session, self.wiring.clock).channels_for_owners(list(taken), kind)
        config = self.wiring.messaging
        box = outbox(session, self.wiring)
        box.templates = _Personalised(config.templates)  # type: ignore[assignment]
        base = message_context(bulletin, config.public_url, "")
        messages = (
            (to, {**base, "name": owner.name})
            for owner, to in addresses_of(owners, channels, self._mobiles)
            if to
        )
        count = box.queue_many(kind, messages, link=portal_path(bulletin_id), ref=ref_of(bulletin_id))
        now = self.wiring.clock.now()
        ids = list(taken.values())
        for start in range(0, len(ids), 1_000):
            session.execute(
                update(BulletinRecipient)
                .where(BulletinRecipient.id.in_(ids[start : start + 1_000]))
                .values(queued_at=now)
                .execution_options(synchronize_session=False)
            )
        session.execute(
            update(Bulletin)
            .where(Bulletin.id == bulletin_id)
            .values(recipients_queued=Bulletin.recipients_queued + len(ids), updated_at=now)
            .execution_options(synchronize_session=False)
        )
        report.recipients += len(ids)
        report.messages += count
        return len(ids)

    def _join_shared_phones(
        self,
        session: Session,
        bulletin_id: int,
        owners: Sequence[Row[Any]],
        taken: dict[int, int],
        postgres: bool,
    ) -> list[Row[Any]]:
        """The recipients not yet queued whose owner record has the phone of one of the chunk's owners
        join the chunk: one person held as two owner records gets one SMS even across chunks."""
        phones = sorted({o.phone for o in owners if o.phone})
        if not phones:
            return []
        others = _RECIPIENT.where(
            BulletinRecipient.bulletin_id == bulletin_id,
            BulletinRecipient.queued_at.is_(None),
            Owner.phone.in_(phones),
        )
        if postgres:
            others = others.with_for_update(of=BulletinRecipient, skip_locked=True)
        joined = [row for row in session.execute(others) if row.id not in taken]
        taken.update((row.id, row.recipient_id) for row in joined)
        return joined

    def _finish(self, session: Session, bulletin: Bulletin, report: SendReport) -> None:
        """Every recipient queued (none merely held by another worker): the notice is sent."""
        left = exists().where(
            BulletinRecipient.bulletin_id == bulletin.id, BulletinRecipient.queued_at.is_(None)
        )
        now = self.wiring.clock.now()
        done = session.execute(
            update(Bulletin)
            .where(Bulletin.id == bulletin.id, Bulletin.status == "sending", ~left)
            .values(status="sent", sent_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            report.sent.append(bulletin.id)
            total = session.scalar(select(func.count()).where(BulletinRecipient.bulletin_id == bulletin.id))
            log.info("notice %d sent: every one of its %d recipients queued", bulletin.id, total or 0)
