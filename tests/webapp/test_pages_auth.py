"""Signing in and out, CSRF on every form, the language switch."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.webapp.pages_support import csrf_token, login, register, text
from webapp import create_app

ATTACKER = "203.0.113.9"
COLLEAGUE = "198.51.100.7"
OTHER = "192.0.2.200"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False  # switched back on where CSRF itself is tested
    return app


def test_pages_ask_for_sign_in_and_then_go_where_you_were_going(client) -> None:
    response = client.get("/inbox?status=unclaimed")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    signed_in = client.post(
        "/login", data={"username": "crc", "password": "demo", "next": "/inbox?status=unclaimed"}
    )
    assert signed_in.headers["Location"] == "/inbox?status=unclaimed"
    assert "李娜（客服专员）" in text(client.get("/"))


def test_a_wrong_password_or_a_deactivated_account_is_refused_alike(client, platform) -> None:
    wrong = client.post("/login", data={"username": "crc", "password": "nope"})
    assert wrong.status_code == 401 and "用户名或密码不正确" in text(wrong)
    platform.directory.user("eng").active = False
    platform.session.commit()
    inactive = client.post("/login", data={"username": "eng", "password": "demo"})
    assert inactive.status_code == 401 and text(inactive).count("用户名或密码不正确") == 1


def test_sign_in_never_redirects_to_another_site(client) -> None:
    response = client.post(
        "/login", data={"username": "crc", "password": "demo", "next": "https://evil.example/x"}
    )
    assert response.headers["Location"] == "/"
    response = client.post("/login", data={"username": "crc", "password": "demo", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_signing_out_ends_the_session(client) -> None:
    login(client, "crc")
    assert client.get("/inbox").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/inbox").status_code == 302


def test_a_copy_of_the_cookie_is_worthless_once_its_session_signed_out(client) -> None:
    login(client, "crc")
    stolen = client.get_cookie("session").value
    client.post("/logout")
    client.set_cookie("session", stolen)
    assert client.get("/inbox").status_code == 302


def test_a_sign_in_lasts_one_working_day(client, clock) -> None:
    login(client, "crc")
    clock.advance(timedelta(hours=11, minutes=59))
    assert client.get("/inbox").status_code == 200
    clock.advance(timedelta(minutes=1))
    assert client.get("/inbox").status_code == 302


def test_the_session_cookie_is_http_only_same_site_and_secure_over_https(client) -> None:
    cookie = login(client, "crc").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    over_https = client.post(
        "/login", data={"username": "crc", "password": "demo"}, base_url="https://lintel.example"
    )
    assert "Secure" in over_https.headers["Set-Cookie"]


def fail(client, username: str = "crc", address: str = ATTACKER, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"username": username, "password": "guess"},
        environ_base={"REMOTE_ADDR": address},
        **extra,
    )


def sign_in(client, address: str, username: str = "crc", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"username": username, "password": "demo"},
        environ_base={"REMOTE_ADDR": address},
        **extra,
    )


def test_an_attacker_guessing_a_password_never_locks_the_real_person_out(app, clock) -> None:
    app.config["LINTEL_THROTTLE_ATTEMPTS"] = "3"
    attacker, colleague = app.test_client(), app.test_client()
    for _ in range(3):
        assert fail(attacker).status_code == 401
    refused = fail(attacker)
    assert refused.status_code == 429 and "尝试次数过多，请 5 秒后再试" in text(refused)
    assert refused.headers["Retry-After"] == "5"
    # the owner of the account, at their own desk, is not held up at all
    assert sign_in(colleague, COLLEAGUE).status_code == 302
    # the attacker's waits double with every further failure
    waits = []
    for _ in range(4):
        clock.advance(timedelta(seconds=int(fail(attacker).headers["Retry-After"])))
        assert fail(attacker).status_code == 401
        waits.append(int(fail(attacker).headers["Retry-After"]))
    assert waits == [10, 20, 40, 80]
    # even the right password waits out the delay from a client that kept failing
    assert sign_in(attacker, ATTACKER).status_code == 429
    clock.advance(timedelta(seconds=80))
    assert sign_in(attacker, ATTACKER).status_code == 302


def test_the_wait_is_told_in_minutes_when_it_is_long(app, clock) -> None:
    app.config["LINTEL_THROTTLE_ATTEMPTS"] = "1"
    client = app.test_client()
    for _ in range(6):
        fail(client)
        clock.advance(timedelta(seconds=int(fail(client).headers.get("Retry-After", 0))))
    assert fail(client).status_code == 401
    refused = fail(client)
    assert refused.headers["Retry-After"] == "300" and "请 5 分钟后再试" in text(refused)


def test_a_typo_is_forgiven_once_the_right_password_is_given(app) -> None:
    app.config["LINTEL_THROTTLE_ATTEMPTS"] = "3"
    client = app.test_client()
    for _ in range(2):
        assert fail(client).status_code == 401
    assert sign_in(client, ATTACKER).status_code == 302
    client.post("/logout")
    for _ in range(3):
        assert fail(client).status_code == 401  # the count started again


def test_a_client_guessing_across_many_accounts_is_slowed_down(app) -> None:
    app.config["LINTEL_THROTTLE_CLIENT_ATTEMPTS"] = "4"
    client = app.test_client()
    for username in ("crc", "eng", "admin", "nobody"):
        assert fail(client, username).status_code == 401
    assert fail(client, "design").status_code == 429
    assert sign_in(app.test_client(), COLLEAGUE, "design").status_code == 302


def test_a_browser_that_signed_in_before_is_not_slowed_by_others_at_the_same_address(app) -> None:
    app.config.update(LINTEL_THROTTLE_ATTEMPTS="2", LINTEL_THROTTLE_CLIENT_ATTEMPTS="3")
    office = ATTACKER  # the whole office goes out through one address
    colleague = app.test_client()
    assert sign_in(colleague, office).status_code == 302
    colleague.post("/logout")
    stranger = app.test_client()
    for username in ("crc", "crc", "eng"):
        assert fail(stranger, username).status_code == 401
    assert fail(stranger, "crc").status_code == 429
    assert sign_in(app.test_client(), office).status_code == 429  # a browser the account never used
    assert sign_in(colleague, office).status_code == 302
    colleague.post("/logout")
    # the colleague's own typos count on their browser alone
    for _ in range(2):
        assert fail(colleague).status_code == 401
    assert fail(colleague).status_code == 429
    assert fail(stranger, "design").status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(app) -> None:
    behind_proxy = create_app(
        {**{k: v for k, v in app.config.items() if k.startswith("LINTEL_")}, "LINTEL_TRUSTED_PROXIES": "1"},
        foundation=app.extensions["lintel.foundation"],
        session_factory=app.extensions["lintel.sessions"],
    )
    behind_proxy.config.update(TESTING=True, WTF_CSRF_ENABLED=False, LINTEL_THROTTLE_ATTEMPTS="2")
    proxy = "10.0.0.2"
    forwarded = {"X-Forwarded-For": ATTACKER, "X-Forwarded-Proto": "https"}
    attacker = behind_proxy.test_client()
    for _ in range(2):
        fail(attacker, address=proxy, headers=forwarded)
    assert fail(attacker, address=proxy, headers=forwarded).status_code == 429
    # everyone else comes through the same proxy, and is not slowed by the attacker
    colleague = sign_in(
        behind_proxy.test_client(),
        proxy,
        headers={"X-Forwarded-For": COLLEAGUE, "X-Forwarded-Proto": "https"},
    )
    assert colleague.status_code == 302 and "Secure" in colleague.headers["Set-Cookie"]

    # without the setting the header is the client's own word, and ignored
    app.config["LINTEL_THROTTLE_ATTEMPTS"] = "2"
    direct = app.test_client()
    for n in range(2):
        fail(direct, address=OTHER, headers={"X-Forwarded-For": f"192.0.2.{n}"})
    assert fail(direct, address=OTHER, headers={"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_an_unknown_username_costs_as_much_time_as_a_known_one(platform) -> None:
    def seconds(username: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert platform.directory.authenticate(username, "wrong-password") is None
            times.append(time.perf_counter() - start)
        return sorted(times)[1]

    known, unknown = seconds("crc"), seconds("no-such-user")
    assert unknown > known / 3, (known, unknown)


def test_a_password_reset_signs_out_the_sessions_opened_with_the_old_password(client, platform) -> None:
    login(client, "eng")
    assert client.get("/inbox").status_code == 200
    platform.staff.set_password(platform.directory.user("eng"), "a-new-password")
    platform.session.commit()
    assert client.get("/inbox").status_code == 302


def test_forms_without_the_csrf_token_are_refused(app, client, platform) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/login", data={"username": "crc", "password": "demo"})
    assert refused.status_code == 400 and "表单已过期或来源无效" in text(refused)

    token = csrf_token(client, "/login")
    assert (
        client.post("/login", data={"username": "crc", "password": "demo", "csrf_token": token}).status_code
        == 302
    )
    complaint = register(platform)
    task_id = platform.tasks.open_tasks_of(complaint.instance_id)[0].id
    assert client.post(f"/tasks/{task_id}/claim").status_code == 400
    assert platform.tasks.open_tasks_of(complaint.instance_id)[0].assignee is None
    token = csrf_token(client, f"/tasks/{task_id}")
    claimed = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    assert claimed.status_code == 302
    platform.session.expire_all()
    assert platform.tasks.open_tasks_of(complaint.instance_id)[0].assignee == "crc"
    # htmx sends the token as a header
    assert client.post(f"/tasks/{task_id}/unclaim", headers={"X-CSRFToken": token}).status_code == 302


def test_the_api_needs_no_csrf_token_it_uses_bearer_tokens(app, client, auth) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    body = {"channel": "hotline", "description": "外墙渗水", "owner_phone": "13800000001"}
    assert client.post("/api/v1/complaints", json=body, headers=auth("crc")).status_code == 201
    missing = client.get("/api/v1/no-such-thing", headers=auth("crc"))
    assert missing.status_code == 404 and missing.json["error"] == "not_found"


def test_the_language_can_be_switched_to_english_and_back(client) -> None:
    login(client, "crc")
    assert "收件箱" in text(client.get("/inbox"))
    assert client.post("/lang", data={"lang": "en", "next": "/inbox"}).headers["Location"] == "/inbox"
    page = text(client.get("/inbox"))
    assert "Inbox" in page and "收件箱" not in page
    client.post("/lang", data={"lang": "zh_CN"})
    assert "收件箱" in text(client.get("/inbox"))


def test_pages_carry_a_content_security_policy(client) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_page_renders_in_english(client, platform) -> None:
    from tests.webapp.pages_support import TRIAGE, complete

    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    task_id = platform.tasks.open_tasks_of(complaint.instance_id)[0].id
    login(client, "admin")
    client.post("/lang", data={"lang": "en"})
    admin_id = platform.directory.user("admin").id
    pages = {
        "/": "My open tasks",
        "/inbox?department=*": "Department queue",
        f"/tasks/{task_id}": "Only members of the task's department can work on it.",
        f"/requests/{complaint.instance_id}": "Timeline",
        "/complaints/new?q=13800000001": "Find by phone, name, pinyin initials, unit or request number",
        "/processes": "Deploy a new version",
        "/processes/complaint/1": "Steps: who handles them, with which form, by when",
        "/admin/users": "New account",
        f"/admin/users/{admin_id}": "Reset password",
        "/admin/departments": "New department",
        "/portal": "Follow your request",
        "/account": "Issue a new token",
    }
    for path, expected in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert expected in text(response), path
    assert "Construction quality" in text(client.get(f"/requests/{complaint.instance_id}"))


def test_an_unexpected_error_gets_a_page_without_a_traceback(app, client, monkeypatch) -> None:
    from crm.worklist import Worklist

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database fell over")

    app.config["TESTING"] = False  # let Flask handle the error the way it does in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(Worklist, "page", broken)
    login(client, "crc")
    response = client.get("/inbox")
    assert response.status_code == 500
    assert "系统出了问题" in text(response) and "fell over" not in text(response)
