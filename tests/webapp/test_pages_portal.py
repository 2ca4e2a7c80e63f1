"""The owner portal: both keys or nothing, plain words, the reply written for the owner, the owner's own
requests, adding information and chasing, one satisfaction record per request."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from crm.models import RequestRating
from engine.tasks import TaskService
from tests.webapp.pages_support import (
    OWNER_PHONE,
    TRIAGE,
    actor,
    close,
    complete,
    login,
    open_task,
    register,
    text,
)


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def look_up(client, number: str, phone: str, **extra):  # type: ignore[no-untyped-def]
    return client.post("/portal", data={"number": number, "phone": phone}, **extra)


def answer(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """What an outsider learns from a refused look-up: the status and the page, minus the form's token."""
    body = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
    return response.status_code, re.sub(r'name="number" value="[^"]*"', "", body)


def test_the_owner_finds_the_request_with_its_number_and_phone_in_plain_words(client, platform) -> None:
    complaint = register(platform)
    platform.comments.add(complaint.instance_id, "crc", "内部备注：业主情绪激动")
    platform.session.commit()
    found = look_up(client, complaint.number.lower(), "+86 138-0000-0001")
    assert found.status_code == 302 and found.headers["Location"] == f"/portal/{complaint.number}"
    page = text(client.get(found.headers["Location"]))
    assert "已受理，正在安排责任部门" in page and "已受理您的投诉" in page and "卫生间天花板渗水" in page
    for private in ("李娜", "crc", "内部备注", "客服分派"):
        assert private not in page


def test_a_wrong_phone_gets_the_same_answer_as_an_unknown_number(client, platform) -> None:
    complaint = register(platform)
    wrong_phone = look_up(client, complaint.number, "13900000000")
    unknown_number = look_up(client, "TS-2026-999999", OWNER_PHONE)
    nothing = look_up(client, "", "")
    assert wrong_phone.status_code == 200 and "没有找到与此编号和手机号对应的记录" in text(wrong_phone)
    assert answer(wrong_phone) == answer(unknown_number) == answer(nothing)
    assert client.get(f"/portal/{complaint.number}").status_code == 302  # no way round the look-up


def test_failed_look_ups_slow_that_client_down_in_every_process(app, client, platform) -> None:
    from webapp import create_app

    app.config["LINTEL_THROTTLE_ATTEMPTS"] = "3"
    complaint = register(platform)
    # a second web process: its own app, the same database
    other = create_app(
        {
            **{k: v for k, v in app.config.items() if k.startswith("LINTEL_")},
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
        },
        foundation=app.extensions["lintel.foundation"],
        session_factory=app.extensions["lintel.sessions"],
    ).test_client()
    look_up(client, complaint.number, "1")
    look_up(other, complaint.number, "2")
    look_up(client, complaint.number, "3")
    blocked = look_up(other, complaint.number, OWNER_PHONE)
    assert blocked.status_code == 429 and "尝试次数过多，请 5 秒后再试" in text(blocked)
    assert blocked.headers["Retry-After"] == "5"


def test_someone_guessing_phones_never_locks_the_owner_out_of_their_request(app, platform, clock) -> None:
    app.config["LINTEL_THROTTLE_ATTEMPTS"] = "3"
    complaint = register(platform)
    guesser, owner = app.test_client(), app.test_client()
    from_guesser = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    for n in range(3):
        assert look_up(guesser, complaint.number, f"1390000000{n}", **from_guesser).status_code == 200
    assert look_up(guesser, complaint.number, "13900000009", **from_guesser).status_code == 429
    found = look_up(owner, complaint.number, OWNER_PHONE, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert found.status_code == 302
    # the guesser waits longer after every further miss
    clock.advance(timedelta(seconds=5))
    assert look_up(guesser, complaint.number, "13900000005", **from_guesser).status_code == 200
    refused = look_up(guesser, complaint.number, "13900000006", **from_guesser)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"


def test_wrong_phones_from_many_clients_never_lock_the_number_and_the_refusal_is_a_portal_page(
    app, platform
) -> None:
    app.config["LINTEL_HOTLINE"] = "400-820-8820"
    complaint = register(platform)
    for n in range(12):  # ten wrong phones used to lock the number for everyone
        guesser = {"environ_base": {"REMOTE_ADDR": f"203.0.113.{n}"}}
        assert look_up(app.test_client(), complaint.number, f"139000000{n:02d}", **guesser).status_code == 200
    owner = app.test_client()
    found = look_up(owner, complaint.number, OWNER_PHONE, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert found.status_code == 302
    assert "卫生间天花板渗水" in text(owner.get(found.headers["Location"]))

    guesser, where = app.test_client(), {"environ_base": {"REMOTE_ADDR": "203.0.113.0"}}
    for n in range(10):
        refused = look_up(guesser, complaint.number, f"1370000000{n}", **where)
    assert refused.status_code == 429
    page = text(refused)
    # The portal's own page: its header, the look-up form and the hotline, none of the staff menus.
    assert (
        "业主服务 · 投诉进度查询" in page and "尝试次数过多" in page and "客户服务热线 400-820-8820" in page
    )
    assert "收件箱" not in page and "登录" not in page


def test_a_client_trying_many_numbers_is_slowed_down_too(app, client, platform) -> None:
    app.config["LINTEL_THROTTLE_CLIENT_ATTEMPTS"] = "3"
    for n in range(3):
        assert look_up(client, f"TS-2026-00077{n}", "13900000000").status_code == 200
    assert look_up(client, "TS-2026-000779", "13900000000").status_code == 429


class _Unchecked:
    """A confirmation form a process owner drew without a score: the data goes through as entered."""

    def validate(self, form_key: str, data: Any, definition: Any = None) -> dict[str, Any]:
        return dict(data)


def close_without_score(platform, instance_id: int) -> None:  # type: ignore[no-untyped-def]
    """Closed with the owner satisfied but no score taken on the phone: the owner may rate it online."""
    complete(platform, instance_id, "crc", TRIAGE)
    complete(platform, instance_id, "eng", {"resolution": "已更换防水层"})
    task = open_task(platform, instance_id)
    unchecked = TaskService(platform.session, platform.runtime, _Unchecked())
    answer = {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes"}
    unchecked.complete(task.id, answer, actor(platform, "crc"))
    platform.session.commit()


def test_the_owner_rates_a_closed_request_once(client, platform) -> None:
    complaint = register(platform)
    look_up(client, complaint.number, OWNER_PHONE)
    assert "请为本次办理评分" not in text(client.get(f"/portal/{complaint.number}"))
    early = client.post(f"/portal/{complaint.number}/rating", data={"score": "5"}, follow_redirects=True)
    assert "办结后才能评价" in text(early)

    close_without_score(platform, complaint.instance_id)
    page = text(client.get(f"/portal/{complaint.number}"))
    assert "已办结" in page and "请为本次办理评分" in page
    invalid = client.post(f"/portal/{complaint.number}/rating", data={"score": "9", "comment": "很好"})
    assert (
        invalid.status_code == 422 and "请填写 1 到 5 之间的数" in text(invalid) and "很好" in text(invalid)
    )
    rated = client.post(
        f"/portal/{complaint.number}/rating",
        data={"score": "4", "comment": "师傅很专业"},
        follow_redirects=True,
    )
    assert "感谢您的评价" in text(rated) and "★★★★☆" in text(rated)
    again = client.post(f"/portal/{complaint.number}/rating", data={"score": "1"}, follow_redirects=True)
    assert "已经评价过了" in text(again)
    ratings = platform.session.query(RequestRating).filter_by(instance_id=complaint.instance_id).all()
    assert [(r.score, r.comment) for r in ratings] == [(4, "师傅很专业")]


def test_the_portal_is_in_english_on_request(client, platform) -> None:
    complaint = register(platform)
    client.post("/lang", data={"lang": "en"})
    look_up(client, complaint.number, OWNER_PHONE)
    page = text(client.get(f"/portal/{complaint.number}"))
    assert (
        "Received; the responsible department is being chosen" in page
        and "We received your complaint" in page
    )


def test_the_owner_reads_the_reply_written_for_them_the_expected_date_and_the_hotline(
    app, client, platform
) -> None:
    app.config["LINTEL_HOTLINE"] = "400-820-8820"
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)  # high severity: 3 working days
    look_up(client, complaint.number, OWNER_PHONE)
    page = text(client.get(f"/portal/{complaint.number}"))
    # Friday 10:00 + 3 working days: Wednesday.
    assert "预计答复 2026-11-25 前" in page and "客户服务热线 400-820-8820" in page
    assert "客服中心的答复" not in page

    complete(platform, complaint.instance_id, "eng", {"resolution": "内部：防水层由供方返工，费用待核"})
    platform.comments.add(complaint.instance_id, "crc", "内部备注：业主曾投诉两次")
    reply = {"reached": "no", "reply": "您好，卫生间防水已重做，请48小时后试水。"}  # the owner did not answer
    complete(platform, complaint.instance_id, "crc", reply)
    page = text(client.get(f"/portal/{complaint.number}"))
    assert "客服中心的答复 您好，卫生间防水已重做，请48小时后试水。" in page
    for private in ("防水层由供方返工", "内部备注", "李娜"):
        assert private not in page


def test_once_the_phone_is_verified_the_owner_sees_every_request_of_theirs_and_no_one_elses(
    client, platform
) -> None:
    first = register(platform, description="卫生间天花板渗水")
    second = register(platform, description="入户门关不严")
    stranger = register(platform, phone="13800000002", description="车位划线不清")
    assert client.get("/portal/mine").headers["Location"] == "/portal"  # nothing verified yet

    look_up(client, first.number, OWNER_PHONE)
    mine = client.get("/portal/mine")
    page = text(mine)
    assert mine.status_code == 200 and "我的全部诉求" in page
    assert page.index("入户门关不严") < page.index("卫生间天花板渗水")  # newest first
    assert "车位划线不清" not in page and "138****0001" in page
    # The list's own requests open without looking each up; another owner's does not.
    assert "入户门关不严" in text(client.get(f"/portal/{second.number}"))
    assert client.get(f"/portal/{stranger.number}").status_code == 302


def test_the_owner_adds_information_and_chases_and_both_land_on_the_case_timeline(
    client, platform, clock
) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    look_up(client, complaint.number, OWNER_PHONE)
    number = complaint.number

    empty = client.post(f"/portal/{number}/information", data={"text": "  "})
    assert empty.status_code == 422 and "必填" in text(empty)
    added = client.post(
        f"/portal/{number}/information", data={"text": "周末家里有人，可上门"}, follow_redirects=True
    )
    assert "已收到您补充的信息" in text(added) and "您补充了信息 周末家里有人，可上门" in text(added)
    chased = client.post(f"/portal/{number}/chase", follow_redirects=True)
    assert "已催办" in text(chased) and "您催办了这项诉求" in text(chased)
    clock.advance(timedelta(hours=3))
    look_up(client, number, OWNER_PHONE)  # the portal forgets a look-up after half an hour
    again = client.post(f"/portal/{number}/chase", follow_redirects=True)
    assert "您今天已经催办过了" in text(again)
    assert text(again).count("您催办了这项诉求") == 1
    clock.advance(timedelta(days=1))
    look_up(client, number, OWNER_PHONE)
    assert "已催办，" in text(client.post(f"/portal/{number}/chase", follow_redirects=True))

    # The staff read both on the case's timeline, in the owner's name.
    staff_client = client.application.test_client()
    login(staff_client, "eng")
    timeline = text(staff_client.get(f"/requests/{complaint.instance_id}"))
    assert "业主 业主在服务平台补充了信息" in timeline and "周末家里有人，可上门" in timeline
    assert timeline.count("业主在服务平台催办") == 2

    complete(platform, complaint.instance_id, "eng", {"resolution": "已更换防水层"})
    answer = {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes", "score": 5}
    complete(platform, complaint.instance_id, "crc", answer)
    page = text(client.get(f"/portal/{number}"))
    assert "催办" not in page.replace("您催办了这项诉求", "")  # no chasing a closed request
    late = client.post(f"/portal/{number}/chase", follow_redirects=True)
    assert "已办结，无需催办" in text(late)


def test_the_score_taken_on_the_phone_is_the_one_rating_the_portal_shows(client, platform, auth) -> None:
    complaint = register(platform)
    close(platform, complaint.instance_id)  # the owner gave 5 on the phone
    look_up(client, complaint.number, OWNER_PHONE)
    page = text(client.get(f"/portal/{complaint.number}"))
    assert "您的评价 ★★★★★" in page and "请为本次办理评分" not in page
    again = client.post(f"/portal/{complaint.number}/rating", data={"score": "2"}, follow_redirects=True)
    assert "已经评价过了" in text(again)
    ratings = platform.session.query(RequestRating).filter_by(instance_id=complaint.instance_id).all()
    assert [(r.score, r.source, r.recorded_by) for r in ratings] == [(5, "phone", "crc")]

    staff = client.application.test_client()
    login(staff, "crc")
    request_page = text(staff.get(f"/requests/{complaint.instance_id}"))
    assert "业主满意度 ★★★★★ 电话记录" in request_page and request_page.count("满意度 ★") == 1
    api = client.get(f"/api/v1/complaints/{complaint.id}", headers=auth("crc")).get_json()
    assert api["satisfaction"] == 5
