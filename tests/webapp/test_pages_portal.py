"""The owner portal: both keys or nothing, plain words, a rating once the request is closed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crm.models import RequestRating
from tests.webapp.pages_support import OWNER_PHONE, close, register, text


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


def test_a_client_trying_many_numbers_is_slowed_down_too(app, client, platform) -> None:
    app.config["LINTEL_THROTTLE_CLIENT_ATTEMPTS"] = "3"
    for n in range(3):
        assert look_up(client, f"TS-2026-00077{n}", "13900000000").status_code == 200
    assert look_up(client, "TS-2026-000779", "13900000000").status_code == 429


def test_the_owner_rates_a_closed_request_once(client, platform) -> None:
    complaint = register(platform)
    look_up(client, complaint.number, OWNER_PHONE)
    assert "请为本次办理评分" not in text(client.get(f"/portal/{complaint.number}"))
    early = client.post(f"/portal/{complaint.number}/rating", data={"score": "5"}, follow_redirects=True)
    assert "办结后才能评价" in text(early)

    close(platform, complaint.instance_id)
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
