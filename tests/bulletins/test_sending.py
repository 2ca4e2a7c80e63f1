"""Sending an approved notice: every owner it is for gets it once on each channel they chose, in chunks
that a crash rolls back whole, and the notice counts what was delivered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.delivery import delivery, resend_failed
from crm.bulletins.drafts import reach_of
from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.bulletins.sending import Sender
from crm.platform import Foundation, Platform
from notifications.models import InAppMessage, OutboxMessage
from notifications.outbox import Outbox
from tests.bulletins.support import Estate, actor, estate, open_task, report

KIND = "bulletin.progress"


def drafted(platform: Platform, site: Estate) -> Bulletin:
    """The project's progress notice reported and drafted, waiting for approval."""
    crc = actor(platform, "crc")
    instance_id = platform.bulletins.start_progress({"project_id": site.project.id}, crc)
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    report(platform, bulletin, site.buildings[0], "主体封顶", 65)
    platform.tasks.complete(open_task(platform, bulletin, "submit_progress").id, {}, actor(platform, "eng"))
    platform.tasks.complete(open_task(platform, bulletin, "draft").id, {}, crc)
    return bulletin


def approve(platform: Platform, bulletin: Bulletin) -> None:
    platform.tasks.complete(
        open_task(platform, bulletin, "approve").id, {"decision": "approve"}, actor(platform, "crc_sup")
    )
    platform.session.commit()


def messages(session: Session, bulletin: Bulletin) -> list[tuple[str, str, str]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.ref == f"bulletin:{bulletin.id}").order_by(OutboxMessage.id)
    )
    return sorted((m.recipient, m.channel, m.address) for m in rows)


def bells(session: Session) -> list[str]:
    return sorted(session.scalars(select(InAppMessage.recipient).where(InAppMessage.kind == KIND)))


def test_the_approved_notice_reaches_each_owner_once_on_the_channels_they_chose(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    site = estate(platform, "LXF", "临溪府", waiting=6, handed_over=1)
    a, b, c, d, e, f = site.waiting.values()
    choose = platform.notice_preferences.choose
    choose(b.id, KIND, ["email"], "crc")  # email only
    choose(c.id, KIND, [], "crc")  # 不接收
    choose(d.id, KIND, ["sms", "email", "inapp"], "crc")
    e.phone = a.phone  # one person held as two owner records: one SMS
    f.phone = "02088886666"  # a landline: no SMS, the portal still
    bulletin = drafted(platform, site)

    before = reach_of(platform.session, bulletin)
    assert (before.owners, before.reached, before.opted_out) == (6, 5, 1)
    assert before.channels == {"sms": 3, "email": 2, "inapp": 4}

    approve(platform, bulletin)
    sender = Sender(session_factory, foundation, chunk=2)
    report_ = sender.run_once()
    assert (report_.recipients, report_.sent) == (6, [bulletin.id])
    platform.session.expire_all()
    assert (bulletin.status, bulletin.recipients_queued, bulletin.recipients_total) == ("sent", 6, 6)
    assert bulletin.sent_at is not None

    assert messages(platform.session, bulletin) == sorted(
        [
            (f"owner:{a.id}", "sms", a.phone),
            (f"owner:{b.id}", "email", b.email),
            (f"owner:{d.id}", "sms", d.phone),
            (f"owner:{d.id}", "email", d.email),
        ]
    )
    assert bells(platform.session) == sorted(f"owner:{o.id}" for o in (a, d, e, f))
    sms = platform.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "sms", OutboxMessage.address == a.phone)
    ).one()
    assert sms.body.startswith(bulletin.sms_text) and sms.body.endswith(f"/portal/bulletins/{bulletin.id}")
    mail = platform.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == KIND, OutboxMessage.address == b.email)
    ).one()
    assert mail.subject == bulletin.title and mail.body.startswith(f"{b.name}您好：")
    assert "临溪府11月工程进度如下：\n1栋：主体封顶，整体完成65%。" in mail.body

    # Run again: nothing more.
    assert not sender.run_once().busy
    assert len(messages(platform.session, bulletin)) == 4

    counts = delivery(platform.session, bulletin)
    assert (counts.recipients, counts.queued, counts.percent) == (6, 6, 100)
    assert (counts.channels["sms"].total, counts.channels["sms"].pending) == (2, 2)
    assert counts.channels["inapp"].delivered == 4


class Boom(RuntimeError):
    pass


def test_a_chunk_that_fails_is_rolled_back_with_its_messages_and_sent_once_on_restart(
    platform: Platform,
    session_factory: sessionmaker[Session],
    foundation: Foundation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = estate(platform, "LXF", "临溪府", waiting=7, handed_over=0)
    bulletin = drafted(platform, site)
    approve(platform, bulletin)

    sender = Sender(session_factory, foundation, chunk=3)
    chunks = 0
    real = Outbox.queue_many

    def second_chunk_fails(self: Outbox, *args: Any, **kwargs: Any) -> int:
        nonlocal chunks
        chunks += 1
        count = real(self, *args, **kwargs)  # its messages queued in the chunk's transaction, then
        if chunks == 2:
            raise Boom("the worker died")
        return count

    monkeypatch.setattr(Outbox, "queue_many", second_chunk_fails)
    with pytest.raises(Boom):
        sender.run_once()
    monkeypatch.undo()
    platform.session.expire_all()
    assert (bulletin.status, bulletin.recipients_queued) == ("sending", 3)
    assert len(messages(platform.session, bulletin)) == 3  # the first chunk's, not the failed one's

    assert Sender(session_factory, foundation, chunk=3).run_once().sent == [bulletin.id]
    platform.session.expire_all()
    every = messages(platform.session, bulletin)
    assert len(every) == 7 and len(set(every)) == 7
    assert sorted(a for _r, c, a in every if c == "sms") == sorted(o.phone for o in site.waiting.values())
    assert len(bells(platform.session)) == 7
    queued = platform.session.scalar(
        select(func.count()).where(
            BulletinRecipient.bulletin_id == bulletin.id, BulletinRecipient.queued_at.is_not(None)
        )
    )
    assert queued == 7 and bulletin.recipients_queued == 7 and bulletin.status == "sent"


def test_the_failed_messages_of_a_notice_are_counted_and_sent_again(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=0)
    bulletin = drafted(platform, site)
    approve(platform, bulletin)
    Sender(session_factory, foundation).run_once()
    rows = list(
        platform.session.scalars(select(OutboxMessage).where(OutboxMessage.ref == f"bulletin:{bulletin.id}"))
    )
    rows[0].status, rows[0].last_error, rows[0].attempts = "dead", "INVALID_PHONE: 手机号格式错误", 8
    rows[1].status = "sent"
    platform.session.flush()
    counts = delivery(platform.session, bulletin).channels["sms"]
    assert (counts.total, counts.delivered, counts.pending, counts.failed) == (3, 1, 1, 1)

    assert resend_failed(platform.session, platform.clock, bulletin) == 1
    platform.session.expire_all()
    assert (rows[0].status, rows[0].attempts) == ("pending", 0)
    assert delivery(platform.session, bulletin).channels["sms"].failed == 0
