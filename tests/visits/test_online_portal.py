"""The owner's questionnaire on the portal: the invitation's link asks a new browser for the owner's phone,
only the visit's owner may answer, answering closes the visit, a second answer and an expired questionnaire
get their own friendly pages, and the portal's list shows the questionnaires still waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.platform import Platform
from crm.visits.models import Visit, VisitAnswer
from engine.models import ProcessInstance
from lintel.clock import FixedClock
from tests.bulletins.support import Estate, estate
from tests.visits.online_support import add_visits, campaign
from tests.webapp.pages_support import text

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
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def visits(platform: Platform) -> list[Visit]:
    site: Estate = estate(platform, "LXF", "临溪府", waiting=0, handed_over=2)
    people = [(owner, site.units[number]) for number, owner in site.handed_over.items()]
    made = add_visits(platform, campaign(platform), people)
    platform.session.commit()
    return made


def phone_of(visit: Visit) -> str:
    return visit.owner.phone or ""


def sign_in(client, visit: Visit) -> None:  # type: ignore[no-untyped-def]
    asked = client.get(f"/portal/visits/{visit.id}")
    assert asked.status_code == 200 and "请输入购房时登记的业主手机号" in text(asked)
    answer = client.post(f"/portal/visits/{visit.id}/verify", data={"phone": phone_of(visit)})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/portal/visits/{visit.id}"


def test_the_owner_opens_the_link_gives_their_phone_and_sees_the_questionnaire(
    client, visits: list[Visit]
) -> None:  # type: ignore[no-untyped-def]
    mine = visits[0]
    wrong = client.post(f"/portal/visits/{mine.id}/verify", data={"phone": phone_of(visits[1])})
    assert wrong.status_code == 401 and "手机号与此问卷的业主登记信息不符" in text(wrong)
    sign_in(client, mine)
    page = client.get(f"/portal/visits/{mine.id}")
    shown = text(page)
    assert page.status_code == 200
    assert "交付回访问卷" in shown and "临溪府交付回访" in shown and "临溪府 1栋" in shown
    assert "交付流程与现场服务" in shown and "您向亲友推荐我们的可能性有多大" in shown
    assert "提交问卷" in shown and "dissatisfied" not in shown.replace('value="dissatisfied"', "")


def test_another_owners_questionnaire_is_not_found(client, visits: list[Visit]) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, visits[1])
    assert client.get(f"/portal/visits/{visits[0].id}").status_code == 404
    assert client.post(f"/portal/visits/{visits[0].id}", data=GOOD).status_code == 404
    assert client.get("/portal/visits/999999").status_code == 404


def test_missing_answers_are_shown_beside_their_questions_in_chinese(
    client, platform: Platform, visits: list[Visit]
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, visits[0])
    page = client.post(f"/portal/visits/{visits[0].id}", data={**GOOD, "q_quality": ""})
    assert page.status_code == 422
    shown = text(page)
    assert "还有题目没有答好" in shown and "必填" in shown and "required" not in shown
    count = select(func.count()).select_from(VisitAnswer).where(VisitAnswer.visit_id == visits[0].id)
    assert platform.session.scalar(count) == 0


def test_answering_closes_the_visit_and_a_second_answer_writes_nothing(
    client, platform: Platform, visits: list[Visit]
) -> None:  # type: ignore[no-untyped-def]
    visit = visits[0]
    sign_in(client, visit)
    assert "待填写的回访问卷" in text(client.get("/portal/mine"))
    done = client.post(f"/portal/visits/{visit.id}", data=GOOD)
    assert done.status_code == 302
    page = client.get(f"/portal/visits/{visit.id}")
    assert "问卷已提交，感谢您的评价" in text(page) and "您已提交过，谢谢" in text(page)

    again = client.post(f"/portal/visits/{visit.id}", data={**GOOD, "q_quality": "1"})
    assert again.status_code == 409 and "您已提交过，谢谢" in text(again)
    platform.session.expire_all()
    stored = platform.session.get(Visit, visit.id)
    assert stored is not None and stored.status == "answered" and stored.complaint_id is None
    instance = platform.session.get(ProcessInstance, stored.instance_id)
    assert instance is not None and instance.status == "completed"
    count = select(func.count()).select_from(VisitAnswer).where(VisitAnswer.visit_id == visit.id)
    assert platform.session.scalar(count) == 7
    assert "待填写的回访问卷" not in text(client.get("/portal/mine"))


def test_a_low_score_on_the_portal_tells_the_owner_the_centre_will_follow_it_up(
    client, platform: Platform, visits: list[Visit]
) -> None:  # type: ignore[no-untyped-def]
    visit = visits[0]
    sign_in(client, visit)
    client.post(f"/portal/visits/{visit.id}", data={**GOOD, "q_property": "1", "comment": "物业不理人"})
    page = text(client.get(f"/portal/visits/{visit.id}"))
    assert "您提到的问题已转给客服中心跟进" in page
    platform.session.expire_all()
    stored = platform.session.get(Visit, visit.id)
    assert stored is not None and stored.complaint_id is not None


def test_an_expired_questionnaire_says_so(
    client, platform: Platform, visits: list[Visit], clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    visit = visits[0]
    instance = platform.session.get(ProcessInstance, visit.instance_id)
    assert instance is not None and instance.next_timer_at is not None
    clock.set(instance.next_timer_at + timedelta(minutes=1))
    sign_in(client, visit)
    page = client.get(f"/portal/visits/{visit.id}")
    assert "问卷已截止" in text(page) and "提交问卷" not in text(page)
    refused = client.post(f"/portal/visits/{visit.id}", data=GOOD)
    assert refused.status_code == 409 and "问卷已截止" in text(refused)
    count = select(func.count()).select_from(VisitAnswer).where(VisitAnswer.visit_id == visit.id)
    assert platform.session.scalar(count) == 0
