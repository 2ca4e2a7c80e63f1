"""The inbox pages: a department's queue and my own, overdue first, filters, saved filters, claiming."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from lintel.clock import SHANGHAI
from tests.webapp.pages_support import OWNER_PHONE, TRIAGE, actor, complete, login, open_task, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r"TS-\d{4}-\d{6}", text(response))


def test_a_handler_sees_only_the_queue_of_their_own_department(client, platform) -> None:
    complaint = register(platform)
    login(client, "eng")
    assert complaint.number not in text(client.get("/inbox"))
    refused = client.get("/inbox?department=crc")
    assert refused.status_code == 403 and "您不是部门「客户关系中心」的成员" in text(refused)
    assert client.get("/inbox?department=*").status_code == 403

    complete(platform, complaint.instance_id, "crc", TRIAGE)
    page = client.get("/inbox")
    assert complaint.number in text(page) and "责任部门处理" in text(page)


def test_supervisors_can_list_every_department(client, platform) -> None:
    first = register(platform)
    second = register(platform)
    complete(platform, second.instance_id, "crc", TRIAGE)
    login(client, "crc_sup")
    assert set(numbers(client.get("/inbox?department=*"))) >= {first.number, second.number}


def test_overdue_tasks_come_first_then_by_due_time_with_the_time_left(client, platform, clock) -> None:
    later, undated, overdue, sooner = (register(platform) for _ in range(4))
    now = clock.now()
    for complaint, due in (
        (later, now + timedelta(days=2)),
        (undated, None),
        (overdue, now - timedelta(hours=3)),
        (sooner, now + timedelta(hours=2)),
    ):
        open_task(platform, complaint.instance_id).due_at = due
    platform.session.commit()
    login(client, "crc")
    page = client.get("/inbox")
    listed = [n for n in numbers(page) if n in {later.number, undated.number, overdue.number, sooner.number}]
    assert listed == [overdue.number, sooner.number, later.number, undated.number]
    shown = text(page)
    assert "已逾期3小时" in shown and "剩余2小时" in shown and "剩余2天" in shown and "无期限" in shown
    assert numbers(client.get("/inbox?due=overdue")) == [overdue.number]
    assert set(numbers(client.get("/inbox?due=today"))) >= {overdue.number, sooner.number}
    assert later.number not in numbers(client.get("/inbox?due=today"))


def test_a_business_time_deadline_shows_the_working_time_left(client, platform, clock) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)  # high: 3 working days from Friday 10:00
    login(client, "eng")
    assert "剩余3个工作日" in text(client.get("/inbox"))
    clock.set(clock.now() + timedelta(days=1))  # Saturday: Friday's working hours are gone
    login(client, "eng")  # a sign-in lasts one working day
    assert "剩余2个工作日1小时" in text(client.get("/inbox"))
    clock.set(clock.now() + timedelta(days=1, hours=10))  # Sunday evening: the weekend took nothing
    login(client, "eng")
    assert "剩余2个工作日1小时" in text(client.get("/inbox"))
    # Late on the same clock: six working days after the deadline, with a weekend between, is not eight.
    clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI))  # due Wed 25th 10:00; now Thursday next week
    login(client, "eng")
    assert "已逾期6个工作日" in text(client.get("/inbox"))


def test_filters_find_requests_by_number_owner_phone_unit_and_category(client, platform) -> None:
    mine = register(platform, phone=OWNER_PHONE)  # 张伟, 江南府 1栋 1201
    other = register(platform, phone="13800000004")  # 陈静, 2栋 0802
    complete(platform, other.instance_id, "crc", {**TRIAGE, "department": "crc"})
    login(client, "crc")
    for query in (
        mine.number,
        mine.number.lower(),
        "张伟",
        "张",
        "13800000001",
        "1栋1201",
        "1-1201",
        "1栋 1201",
    ):
        found = numbers(client.get("/inbox", query_string={"q": query}))
        assert mine.number in found and other.number not in found, query
    assert set(numbers(client.get("/inbox", query_string={"q": "1380000000"}))) == {mine.number, other.number}
    assert numbers(client.get("/inbox", query_string={"q": "没有这个人"})) == []
    assert numbers(client.get("/inbox", query_string={"q": "%"})) == []  # no wildcards from the outside
    assert numbers(client.get("/inbox?category=quality")) == [other.number]
    assert set(numbers(client.get("/inbox?project=JNF"))) >= {mine.number, other.number}
    assert numbers(client.get("/inbox?project=NOPE")) == []
    assert other.number not in numbers(client.get("/inbox?process=nothing"))


def test_malformed_filters_are_refused_with_a_message_not_an_error(client) -> None:
    login(client, "crc")
    for query in ("status=lost", "due=yesterday", "view=everything", "after=garbage", "q=" + "x" * 101):
        response = client.get("/inbox?" + query)
        assert response.status_code == 400, query
        assert "筛选条件有误" in text(response)


def test_my_view_lists_what_i_claimed_and_the_next_page_continues_the_list(client, platform) -> None:
    complaints = [register(platform) for _ in range(3)]
    login(client, "crc")
    task = open_task(platform, complaints[0].instance_id)
    claimed = client.post(f"/tasks/{task.id}/claim", data={"next": "/inbox"})
    assert claimed.headers["Location"] == "/inbox"
    assert numbers(client.get("/inbox?view=mine")) == [complaints[0].number]
    assert numbers(client.get("/inbox?status=unclaimed"))[:2] == [c.number for c in complaints[1:]]
    assert complaints[0].number in numbers(client.get("/inbox?status=claimed"))
    home = text(client.get("/"))
    assert "我的待办" in home and complaints[0].number in home


def test_completed_tasks_are_listed_most_recent_first(client, platform) -> None:
    first, second = register(platform), register(platform)
    complete(platform, first.instance_id, "crc", TRIAGE)
    complete(platform, second.instance_id, "crc", TRIAGE)
    login(client, "crc")
    assert numbers(client.get("/inbox?status=completed"))[:2] == [second.number, first.number]


def test_a_saved_filter_can_be_shared_with_the_department(app, client, platform) -> None:
    register(platform)
    login(client, "crc")
    saved = client.post(
        "/inbox/filters",
        data={"name": "逾期的质量投诉", "due": "overdue", "category": "quality", "share_with": "crc"},
    )
    assert saved.status_code == 302 and "due=overdue" in saved.headers["Location"]
    client.post("/inbox/filters", data={"name": "只给自己", "status": "unclaimed"})
    page = text(client.get("/inbox"))
    assert "逾期的质量投诉" in page and "只给自己" in page

    colleague = app.test_client()
    login(colleague, "crc_sup")
    page = text(colleague.get("/inbox"))
    assert "逾期的质量投诉" in page and "只给自己" not in page
    shared = platform.saved_filters.visible_to(actor(platform, "crc_sup"))[0]
    opened = colleague.get(f"/inbox/filters/{shared.id}")
    assert "category=quality" in opened.headers["Location"] and "due=overdue" in opened.headers["Location"]
    assert colleague.post(f"/inbox/filters/{shared.id}/delete").status_code == 403

    outsider = app.test_client()
    login(outsider, "eng")
    assert "逾期的质量投诉" not in text(outsider.get("/inbox"))
    assert outsider.get(f"/inbox/filters/{shared.id}").status_code == 404

    refused = client.post("/inbox/filters", data={"name": "", "share_with": "engineering"})
    assert refused.status_code == 302
    assert "必填" in text(client.get(refused.headers["Location"]))
    assert client.post(f"/inbox/filters/{shared.id}/delete").status_code == 302
    assert "逾期的质量投诉" not in text(client.get("/inbox"))
