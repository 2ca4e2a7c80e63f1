"""The owner's side of their messages (crm.messaging.portal): one person known by a phone that several owner
records share reads their messages as one list and chooses for all of them; a choice keeps who made it."""

from __future__ import annotations

from datetime import timedelta

from crm.messaging.portal import OwnerMessages
from notifications.models import InAppMessage

PHONE = "13900000055"


def test_messages_and_choices_of_every_owner_record_with_the_phone(platform, clock) -> None:
    first = platform.records.save_owner(None, name="刘洋", phone=PHONE)
    second = platform.records.save_owner(None, name="刘洋（二期）", phone=PHONE)
    stranger = platform.records.save_owner(None, name="陈静", phone="13900000066")
    for owner, subject in ((first, "一期"), (second, "二期"), (stranger, "别人的")):
        platform.session.add(
            InAppMessage(
                recipient=f"owner:{owner.id}",
                kind="complaint.replied",
                subject=subject,
                body="…",
                link=None,
                created_at=clock.now(),
            )
        )
    platform.session.flush()
    service = OwnerMessages(platform.session, clock)
    page = service.page(PHONE)
    assert [m.subject for m in page.messages] == ["二期", "一期"] and page.unread == 2
    strangers = [m for m in service.inapp.latest(f"owner:{stranger.id}")]
    assert service.open(PHONE, strangers[0].id) is None and service.unread_count("13900000066") == 1
    assert service.mark_all_read(PHONE) == 2 and service.unread_count(PHONE) == 0

    service.choose(PHONE, "complaint.closed", ["email"])
    for owner in (first, second):
        assert platform.notice_preferences.channels_for(owner.id, "complaint.closed") == ("email",)
    # A coordinator later changes one record; the phone's view shows the latest choice, with who made it.
    clock.advance(timedelta(minutes=5))
    platform.notice_preferences.choose(second.id, "complaint.closed", ["sms"], by="crc")
    closed = next(c for c in service.choices(PHONE) if c.kind.code == "complaint.closed")
    assert closed.channels == ("sms",) and closed.changed_by == "crc" and closed.chosen
    registered = next(c for c in service.choices(PHONE) if c.kind.code == "complaint.registered")
    assert not registered.chosen and registered.channels == registered.defaults


def test_a_phone_of_no_owner_has_no_messages_and_nothing_to_choose(platform, clock) -> None:
    service = OwnerMessages(platform.session, clock)
    assert service.page("13700000077").messages == [] and service.choices("13700000077") == []
    assert service.choose("13700000077", "complaint.closed", ["sms"]) is None
    assert service.unread_count("") == 0
