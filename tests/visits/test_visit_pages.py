"""The visit's page and 我的回访: what the visitor sees beside the questionnaire, recording a call, the
errors beside each question, a stale page, and the generic task page leading to the visit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from crm.estate.models import PersonalDataAccess
from crm.models import Complaint
from crm.platform import Platform
from crm.visits.models import Visit, VisitAnswer
from tests.visits.support import CONTENT, actor, call_step, campaign, visit
from tests.webapp.pages_support import login, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def answered(**changes: Any) -> dict[str, Any]:
    data = {"outcome": "answered", "visit_note": ""}
    data.update({f"a_{k}": "" if v is None else str(v) for k, v in {**CONTENT, **changes}.items()})
    return data


def post(client: Any, made: Visit, data: dict[str, Any], attempt: int | None = None) -> Any:
    return client.post(
        f"/visits/{made.id}/attempts", data={"attempt": str(attempt or made.attempts + 1), **data}
    )


def test_the_visitor_sees_the_owner_the_script_and_the_history_beside_the_questionnaire(
    client: Any, platform: Platform
) -> None:
    earlier = register(platform, description="厨房墙面开裂")  # the owner has an open complaint
    made = visit(platform, campaign(platform))
    platform.session.commit()
    login(client, "crc")
    page = client.get(f"/visits/{made.id}")
    assert page.status_code == 200
    shown = text(page)
    assert "张伟" in shown and "138****0001" in shown and "13800000001" not in shown
    assert "拨打" in shown and "江南府 1栋 1201" in shown
    assert "您好，我是客户关系中心的回访专员" in shown  # the script
    assert "第 1 次回访" in shown
    assert earlier.number in shown and "厨房墙面开裂" in shown  # the open request
    for label in (
        "已接通并完成问卷",
        "无人接听",
        "占线/不便",
        "拒绝回访",
        "号码错误",
        "房屋质量",
        "总体评价",
    ):
        assert label in shown
    html = page.get_data(as_text=True)
    assert html.count('name="a_nps"') == 11 and html.count('name="a_q_quality"') == 5
    assert "no_answer" not in shown and "wrong_number" not in shown  # labels, not codes

    # 拨打: the full number, to call, written to the personal-data log.
    dialled = client.post(f"/visits/{made.id}/dial", headers={"HX-Request": "true"})
    assert 'href="tel:13800000001"' in dialled.get_data(as_text=True)
    logged = platform.session.scalar(
        select(func.count()).select_from(PersonalDataAccess).where(PersonalDataAccess.actor == "crc")
    )
    assert logged == 1


def test_recording_a_low_score_opens_a_complaint_shown_on_both_request_pages(
    client: Any, platform: Platform
) -> None:
    made = visit(platform, campaign(platform))
    platform.session.commit()
    login(client, "crc")
    response = post(client, made, answered(q_quality=2, comment="外墙渗水"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/visits/{made.id}")
    complaint = platform.session.scalars(select(Complaint).where(Complaint.visit_id == made.id)).one()
    page = text(client.get(f"/visits/{made.id}"))
    assert "已生成投诉" in page and complaint.number in page
    assert "已完成" in page and "房屋质量 2 / 5" in page
    visit_number = platform.requests.get(made.instance_id).number
    assert visit_number.startswith("HF-")
    on_complaint = text(client.get(f"/r/{complaint.number}", follow_redirects=True))
    assert "回访与投诉" in on_complaint and "交付回访2026" in on_complaint and visit_number in on_complaint
    on_visit = text(client.get(f"/r/{visit_number}", follow_redirects=True))
    assert complaint.number in on_visit


def test_mistakes_are_shown_beside_each_question_and_nothing_is_kept(client: Any, platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    platform.session.commit()
    login(client, "crc")
    response = post(client, made, answered(q_quality=None, overall=None, comment="有话要说"))
    assert response.status_code == 422
    shown = text(response)
    assert "请修改标出的内容后再保存" in shown and "必填" in shown
    assert "有话要说" in response.get_data(as_text=True)  # what was typed stays
    assert "required" not in shown
    assert platform.session.scalar(select(func.count()).select_from(VisitAnswer)) == 0
    missing = post(client, made, {"visit_note": "x"})
    assert missing.status_code == 422 and "请选择回访结果" in text(missing)


def test_a_stale_page_is_told_so(client: Any, platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    platform.session.commit()
    login(client, "crc")
    assert post(client, made, {"outcome": "no_answer"}, attempt=1).status_code == 302
    again = post(client, made, {"outcome": "no_answer"}, attempt=1)
    assert again.status_code == 409 and "页面已过期" in text(again)
    platform.session.expire_all()
    assert platform.session.get(Visit, made.id).attempts == 1


def test_only_visit_makers_record_and_everyone_reads(client: Any, platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    platform.session.commit()
    login(client, "eng")
    page = client.get(f"/visits/{made.id}")
    assert page.status_code == 200 and "保存回访记录" not in text(page)
    assert post(client, made, {"outcome": "refused"}).status_code == 403
    assert client.post(f"/visits/{made.id}/dial").status_code == 403


def test_the_task_page_of_a_call_leads_to_the_visit(client: Any, platform: Platform) -> None:
    made = visit(platform, campaign(platform))
    step = call_step(platform, made)
    platform.session.commit()
    login(client, "crc")
    response = client.get(f"/tasks/{step.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/visits/{made.id}")
    # Completed there anyway as answered, without answers: refused, pointing to the visit's page.
    refused = client.post(f"/tasks/{step.id}/complete", data={"outcome": "answered", "visit_note": ""})
    assert refused.status_code == 409 and f"/visits/{made.id}" in text(refused)


def test_my_visits_lists_the_next_due_first_and_supervisors_filter_by_visitor(
    client: Any, platform: Platform
) -> None:
    run = campaign(platform, visitors=("crc", "crc_sup"))
    first = visit(platform, run, "13800000001", "crc")
    second = visit(platform, run, "13800000002", "crc")
    theirs = visit(platform, run, "13800000003", "crc_sup")
    platform.visits.record(first.id, actor(platform, "crc"), outcome="no_answer")  # back on Monday
    platform.session.commit()
    login(client, "crc")
    page = text(client.get("/visits"))
    assert page.index("王芳") < page.index("张伟")  # to call now before the one waiting for Monday
    assert "刘洋" not in page and "第 2 次" in page and "第 1 次" in page
    login(client, "crc_sup")
    assert "刘洋" in text(client.get("/visits")) and "张伟" not in text(client.get("/visits"))
    everyone = text(client.get("/visits?visitor=all"))
    assert all(name in everyone for name in ("张伟", "王芳", "刘洋"))
    only = text(client.get("/visits?visitor=crc_sup"))
    assert "刘洋" in only and "张伟" not in only
    assert {second.visitor, theirs.visitor} == {"crc", "crc_sup"}
