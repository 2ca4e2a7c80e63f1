"""Owners hear about their own complaint — registered with its number and the portal link, the reply, the
closure with the rating link — by the channels they chose, as far as their details allow."""

from __future__ import annotations

from sqlalchemy import select

from crm.estate.models import Building, Owner, Unit
from crm.messaging.models import OwnerNoticePreference
from crm.messaging.preferences import NoticePreferences
from crm.models import RequestRating
from crm.platform import Foundation, Platform
from engine.errors import InvalidData
from engine.events import InstanceCompleted
from engine.models import ProcessInstance
from tests.crm.messaging_support import bell, forget, queued, where
from tests.webapp.pages_support import OWNER_PHONE, TRIAGE, actor, close, complete, register

PORTAL = "http://127.0.0.1:5000/portal/"
REPLY = "已安排师傅于周六上午上门更换防水层，请您届时在家。"


def owner(platform: Platform, phone: str = OWNER_PHONE) -> Owner:
    found = platform.session.scalars(select(Owner).where(Owner.phone == phone)).one()
    return found


def test_registered_by_sms_and_on_the_portal_with_number_and_link(platform: Platform) -> None:
    zhang = owner(platform)
    complaint = register(platform)
    (sms,) = queued(platform.session, "complaint.registered")
    assert (sms.recipient, sms.channel, sms.address) == (f"owner:{zhang.id}", "sms", OWNER_PHONE)
    assert complaint.number in sms.body and PORTAL + complaint.number in sms.body
    (ring,) = bell(platform.session, "complaint.registered")
    assert ring.recipient == f"owner:{zhang.id}" and complaint.number in ring.subject
    assert ring.link == f"/portal/{complaint.number}"


def test_an_owner_with_email_who_chose_it_gets_an_email_and_one_without_gets_none(
    platform: Platform,
) -> None:
    zhang = owner(platform)
    NoticePreferences(platform.session, platform.clock).choose(
        zhang.id, "complaint.registered", ["sms", "email", "inapp"], by="owner"
    )
    register(platform)
    assert [m.channel for m in queued(platform.session, "complaint.registered")] == ["sms"]  # no address
    forget(platform.session)
    zhang.email = "zhangwei@example.com"
    complaint = register(platform)
    email = next(m for m in queued(platform.session, "complaint.registered") if m.channel == "email")
    assert email.address == "zhangwei@example.com"
    assert email.subject == f"您的投诉已受理：{complaint.number}"
    assert "张伟您好" in email.body and PORTAL + complaint.number in email.body


def test_an_owner_who_chose_only_the_portal_gets_no_sms(platform: Platform) -> None:
    zhang = owner(platform)
    NoticePreferences(platform.session, platform.clock).choose(
        zhang.id, "complaint.registered", ["inapp"], by="owner"
    )
    register(platform)
    assert queued(platform.session, "complaint.registered") == []
    assert [m.recipient for m in bell(platform.session, "complaint.registered")] == [f"owner:{zhang.id}"]


def test_a_service_notice_cannot_be_turned_off_and_an_opted_out_kind_sends_nothing(
    platform: Platform,
) -> None:
    zhang = owner(platform)
    refused = None
    try:
        NoticePreferences(platform.session, platform.clock).choose(
            zhang.id, "complaint.registered", [], by="owner"
        )
    except InvalidData as invalid:
        refused = invalid
    assert refused is not None and "channels" in refused.fields
    # Had the owner opted out (as they may of an optional kind), nothing would go out.
    platform.session.add(
        OwnerNoticePreference(
            owner_id=zhang.id,
            kind="complaint.registered",
            channels="",
            updated_at=platform.clock.now(),
            updated_by="owner",
        )
    )
    register(platform)
    assert queued(platform.session, "complaint.registered") == []
    assert bell(platform.session, "complaint.registered") == []


def test_a_landline_only_owner_gets_no_sms_but_the_portal_message(platform: Platform) -> None:
    zhang = owner(platform)
    zhang.phone = "057188886666"
    platform.session.flush()
    complaint = platform.complaints.register(
        actor(platform, "crc"), channel="hotline", description="门铃不响", owner_id=zhang.id
    )
    assert queued(platform.session, "complaint.registered") == []
    (ring,) = bell(platform.session, "complaint.registered")
    assert complaint.number in ring.body


def test_the_reply_reaches_the_owner_in_their_words(platform: Platform) -> None:
    zhang = owner(platform)
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "更换防水层"})
    forget(platform.session)
    complete(platform, complaint.instance_id, "crc", {"reached": "no", "reply": REPLY})
    (sms,) = queued(platform.session, "complaint.replied")
    assert sms.address == OWNER_PHONE and REPLY in sms.body and complaint.number in sms.body
    (ring,) = bell(platform.session, "complaint.replied")
    assert ring.recipient == f"owner:{zhang.id}" and ring.body == REPLY
    assert "更换防水层" not in ring.subject  # the handler's own notes never reach the owner


def test_a_rework_is_no_replay_each_reply_reaches_the_owner(platform: Platform) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "更换防水层"})
    unhappy = {"reached": "yes", "reply": "已更换防水层", "satisfied": "no", "comment": "仍渗水"}
    complete(platform, complaint.instance_id, "crc", unhappy)
    complete(platform, complaint.instance_id, "eng", {"resolution": "重做防水并闭水试验"})
    complete(platform, complaint.instance_id, "crc", {"reached": "yes", "reply": REPLY, "satisfied": "no"})
    replies = [m.body for m in queued(platform.session, "complaint.replied")]
    assert len(replies) == 2 and "已更换防水层" in replies[0] and REPLY in replies[1]


def test_closed_with_thanks_for_the_score_given_on_the_phone(platform: Platform) -> None:
    complaint = register(platform)
    close(platform, complaint.instance_id)
    (sms,) = queued(platform.session, "complaint.closed")
    assert sms.body.startswith(f"您的投诉{complaint.number}已办结")
    assert "欢迎评价" not in sms.body  # rated on the phone already
    assert platform.session.scalars(select(RequestRating)).first() is not None


def test_closed_without_a_rating_invites_one_on_the_portal(
    platform: Platform, foundation: Foundation
) -> None:
    complaint = register(platform)
    instance = platform.session.get(ProcessInstance, complaint.instance_id)
    assert instance is not None
    foundation.events.publish(platform.session, InstanceCompleted(instance, {}))
    (sms,) = queued(platform.session, "complaint.closed")
    assert f"欢迎评价：{PORTAL}{complaint.number}" in sms.body
    (ring,) = bell(platform.session, "complaint.closed")
    assert "欢迎为本次处理评价" in ring.body and ring.link == f"/portal/{complaint.number}"
    foundation.events.publish(platform.session, InstanceCompleted(instance, {}))  # seen again
    assert len(queued(platform.session, "complaint.closed")) == 1


def _empty_unit(platform: Platform) -> Unit:
    """A unit with nobody on file (1栋 0801)."""
    return platform.session.scalars(
        select(Unit).join(Building).where(Building.name == "1栋", Unit.number == "0801")
    ).one()


def test_a_tenant_hears_by_sms_that_it_was_registered_and_closed_not_the_reply(platform: Platform) -> None:
    unit = _empty_unit(platform)
    complaint = platform.complaints.register(
        actor(platform, "crc"),
        channel="hotline",
        description="楼道灯不亮",
        caller={"name": "租户小林", "phone": "13912345678", "relation": "tenant", "unit_id": unit.id},
    )
    platform.session.commit()
    (sms,) = queued(platform.session, "complaint.registered")
    assert (sms.channel, sms.address) == ("sms", "13912345678")
    assert PORTAL + complaint.number in sms.body  # registered with their phone: they can follow it
    assert bell(platform.session) and all(m.kind != "complaint.registered" for m in bell(platform.session))
    close(platform, complaint.instance_id)
    assert queued(platform.session, "complaint.replied") == []
    assert [m.address for m in queued(platform.session, "complaint.closed")] == ["13912345678"]


def test_a_family_member_calling_for_the_owner_hears_without_a_link_they_cannot_open(
    platform: Platform,
) -> None:
    zhang = owner(platform)
    unit = zhang.units[0]
    complaint = platform.complaints.register(
        actor(platform, "crc"),
        channel="hotline",
        description="阳台渗水",
        caller={"name": "张伟之子", "phone": "13912340000", "relation": "family", "unit_id": unit.id},
    )
    messages = queued(platform.session, "complaint.registered")
    assert where(messages) == [
        ("caller:" + str(complaint.caller_id), "sms", "13912340000"),
        (
            f"owner:{zhang.id}",
            "sms",
            OWNER_PHONE,
        ),
    ]
    son = next(m for m in messages if m.address == "13912340000")
    assert "可凭编号致电热线查询" in son.body and "portal" not in son.body
