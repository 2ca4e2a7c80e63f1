"""Online questionnaires: the invitation each owner gets when their visit starts, and the answer given on
the portal that ends the visit — with the same rules as a call (the complaint from a low score)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.models import Complaint
from crm.platform import Platform
from crm.visits.models import VisitAnswer
from crm.visits.online import AlreadyAnswered, Expired
from engine.actors import SYSTEM
from engine.errors import InvalidData, NotFound
from engine.models import ProcessInstance
from engine.timers import TimerJob
from lintel.clock import FixedClock
from notifications.models import InAppMessage, OutboxMessage
from tests.bulletins.support import Estate, estate
from tests.visits.online_support import add_visits, campaign

GOOD = {
    "q_handover": "5",
    "q_quality": "4",
    "q_rectification": "4",
    "q_property": "3",
    "overall": "satisfied",
    "nps": "9",
    "comment": "交付很顺利",
}


@pytest.fixture
def site(platform: Platform) -> Estate:
    return estate(platform, "LXF", "临溪府", waiting=1, handed_over=3)


def people(site: Estate):  # type: ignore[no-untyped-def]
    return [(owner, site.units[number]) for number, owner in site.handed_over.items()]


def test_each_owner_of_an_online_campaign_is_invited_by_their_channels_with_the_portal_link(
    platform: Platform, site: Estate
) -> None:
    first, second, third = site.handed_over.values()
    platform.notice_preferences.choose(second.id, "visit.questionnaire", ["email"], "owner")
    platform.notice_preferences.choose(third.id, "visit.questionnaire", [], "owner")  # 不接收
    visits = add_visits(platform, campaign(platform), people(site))
    platform.session.flush()

    sent = list(
        platform.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "visit.questionnaire")
            .order_by(OutboxMessage.id)
        )
    )
    assert [(m.channel, m.address) for m in sent] == [("sms", first.phone), ("email", second.email)]
    assert f"/portal/visits/{visits[0].id}" in sent[0].body and "临溪府交付回访" in sent[0].body
    inapp = list(
        platform.session.scalars(select(InAppMessage).where(InAppMessage.kind == "visit.questionnaire"))
    )
    assert [(m.recipient, m.link) for m in inapp] == [(f"owner:{first.id}", f"/portal/visits/{visits[0].id}")]


def test_a_phone_campaign_invites_nobody(platform: Platform, site: Estate) -> None:
    add_visits(platform, campaign(platform, method="phone"), people(site))
    platform.session.flush()
    count = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "visit.questionnaire")
    assert platform.session.scalar(count) == 0


def test_the_owner_answers_and_the_visit_is_answered_its_instance_completed_nothing_opened(
    platform: Platform, site: Estate
) -> None:
    visit = add_visits(platform, campaign(platform), people(site))[0]
    owner_ids = [visit.owner_id]
    assert [v.visit.id for v in platform.online_visits.open_for(owner_ids)] == [visit.id]

    complaint = platform.online_visits.answer(owner_ids, visit.id, GOOD)

    assert complaint is None
    assert visit.status == "answered" and visit.answered_at == platform.clock.now()
    assert (visit.lowest_score, visit.average_score, visit.nps, visit.dissatisfied) == (3, 4.0, 9, False)
    instance = platform.session.get(ProcessInstance, visit.instance_id)
    assert instance is not None and instance.status == "completed"
    answers = {
        a.question: (a.score, a.value)
        for a in platform.session.scalars(select(VisitAnswer).where(VisitAnswer.visit_id == visit.id))
    }
    assert answers == {
        "q_handover": (5, None),
        "q_quality": (4, None),
        "q_rectification": (4, None),
        "q_property": (3, None),
        "overall": (None, "satisfied"),
        "nps": (9, None),
        "comment": (None, "交付很顺利"),
    }
    assert platform.online_visits.open_for(owner_ids) == []


def test_answering_twice_writes_nothing_twice(platform: Platform, site: Estate) -> None:
    visit = add_visits(platform, campaign(platform), people(site))[0]
    platform.online_visits.answer([visit.owner_id], visit.id, GOOD)
    with pytest.raises(AlreadyAnswered):
        platform.online_visits.answer([visit.owner_id], visit.id, {**GOOD, "q_quality": "1"})
    count = select(func.count()).select_from(VisitAnswer).where(VisitAnswer.visit_id == visit.id)
    assert platform.session.scalar(count) == 7
    assert visit.lowest_score == 3 and visit.complaint_id is None


def test_another_owner_finds_no_such_questionnaire(platform: Platform, site: Estate) -> None:
    mine, theirs = add_visits(platform, campaign(platform), people(site))[:2]
    with pytest.raises(NotFound):
        platform.online_visits.get([theirs.owner_id], mine.id)
    with pytest.raises(NotFound):
        platform.online_visits.answer([theirs.owner_id], mine.id, GOOD)
    assert mine.status == "open"


def test_a_visitors_visit_is_not_a_questionnaire_on_the_portal(platform: Platform, site: Estate) -> None:
    visit = add_visits(platform, campaign(platform, method="phone"), people(site))[0]
    with pytest.raises(NotFound):
        platform.online_visits.get([visit.owner_id], visit.id)


def test_missing_answers_are_named_per_question_and_nothing_is_written(
    platform: Platform, site: Estate
) -> None:
    visit = add_visits(platform, campaign(platform), people(site))[0]
    with pytest.raises(InvalidData) as refused:
        platform.online_visits.answer([visit.owner_id], visit.id, {**GOOD, "q_quality": "", "nps": "11"})
    assert refused.value.fields == {"q_quality": "required", "nps": "must be an integer between 0 and 10"}
    count = select(func.count()).select_from(VisitAnswer).where(VisitAnswer.visit_id == visit.id)
    assert platform.session.scalar(count) == 0 and visit.status == "open"


def test_a_low_online_score_opens_a_complaint_linked_both_ways(platform: Platform, site: Estate) -> None:
    visit = add_visits(platform, campaign(platform), people(site))[0]
    complaint = platform.online_visits.answer(
        [visit.owner_id], visit.id, {**GOOD, "q_quality": "2", "comment": "卫生间渗水"}
    )
    assert complaint is not None
    assert complaint.visit_id == visit.id and visit.complaint_id == complaint.id
    assert complaint.channel == "return_visit" and complaint.owner_id == visit.owner_id
    assert complaint.unit_id == visit.unit_id and complaint.instance_id is not None
    assert "房屋质量：2 分" in complaint.description and "卫生间渗水" in complaint.description
    assert visit.dissatisfied is True and visit.lowest_score == 2


def test_overall_dissatisfied_opens_a_complaint_too(platform: Platform, site: Estate) -> None:
    visit = add_visits(platform, campaign(platform), people(site))[0]
    complaint = platform.online_visits.answer([visit.owner_id], visit.id, {**GOOD, "overall": "dissatisfied"})
    assert complaint is not None and "总体评价：不满意" in complaint.description
    opened = select(func.count()).select_from(Complaint).where(Complaint.visit_id == visit.id)
    assert platform.session.scalar(opened) == 1


def test_when_its_days_run_out_the_questionnaire_is_closed(
    platform: Platform, site: Estate, clock: FixedClock
) -> None:
    visit = add_visits(platform, campaign(platform), people(site))[0]
    instance = platform.session.get(ProcessInstance, visit.instance_id)
    assert instance is not None and instance.next_timer_at is not None
    clock.set(instance.next_timer_at + timedelta(seconds=1))
    # Due, though the timer job has not ended it yet: closed for the owner already.
    assert platform.online_visits.get([visit.owner_id], visit.id).state == "expired"
    with pytest.raises(Expired):
        platform.online_visits.answer([visit.owner_id], visit.id, GOOD)
    # The timer job ends the instance: the visit is given up, and stays closed for the owner.
    assert TimerJob._fire(platform.runtime, instance, clock.now())
    assert instance.status == "completed" and visit.status == "given_up"
    assert platform.online_visits.get([visit.owner_id], visit.id).state == "expired"
    assert platform.online_visits.open_for([visit.owner_id]) == []


def test_a_batch_of_visits_started_at_once_invites_each_owner_in_one_go(
    platform: Platform, site: Estate
) -> None:
    """A campaign's launcher starts its visits with start_many: the invitations of the whole batch are
    queued together, each with its own questionnaire's link, and every questionnaire can be answered."""
    made = campaign(platform)
    visits = add_visits(platform, made, people(site), start=False)
    shared = {"method": "online", "visit_days": made.visit_days, "visitor": None, "attempts": 0}
    items = [
        {
            "visit_id": v.id,
            "title": f"{made.name}：{v.owner.name}",
            "owner_id": v.owner_id,
            "unit_id": v.unit_id,
        }
        for v in visits
    ]
    ids = platform.runtime.start_many("return_visit", shared, items, SYSTEM)
    for visit, instance_id in zip(visits, ids, strict=True):
        visit.instance_id, visit.status = instance_id, "open"
    platform.session.flush()

    inapp = platform.session.scalars(
        select(InAppMessage).where(InAppMessage.kind == "visit.questionnaire").order_by(InAppMessage.id)
    ).all()
    assert sorted(m.link for m in inapp) == sorted(f"/portal/visits/{v.id}" for v in visits)
    sms = platform.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "visit.questionnaire", OutboxMessage.channel == "sms"
        )
    ).all()
    assert sorted(m.address for m in sms) == sorted(v.owner.phone for v in visits)
    platform.online_visits.answer([visits[1].owner_id], visits[1].id, GOOD)
    instance = platform.session.get(ProcessInstance, visits[1].instance_id)
    assert instance is not None and instance.status == "completed" and visits[1].status == "answered"
