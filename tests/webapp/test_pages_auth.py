"""Signing in and out, CSRF on every form, the language switch."""

from __future__ import annotations

import pytest

from tests.webapp.pages_support import csrf_token, login, register, text


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


def test_repeated_failed_sign_ins_are_throttled_even_with_the_right_password_after(app, client) -> None:
    app.config["LINTEL_THROTTLE_ATTEMPTS"] = "3"
    for _ in range(3):
        assert client.post("/login", data={"username": "crc", "password": "x"}).status_code == 401
    blocked = client.post("/login", data={"username": "crc", "password": "demo"})
    assert blocked.status_code == 429 and "尝试次数过多" in text(blocked)
    assert int(blocked.headers["Retry-After"]) > 0


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
        "/complaints/new?q=13800000001": "Find by phone, name or unit",
        "/processes": "Deploy a new version",
        "/processes/complaint/1": "Human steps",
        "/admin/users": "New account",
        f"/admin/users/{admin_id}": "Reset password",
        "/admin/departments": "New department",
        "/portal": "Follow your request",
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
