"""API tokens: shown once, kept only as a hash, expiring, listed and revoked by their owner and by
administrators; a password reset or a deactivation ends every session and revokes every token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.models import ApiToken
from tests.webapp.pages_support import login, text

SOME_API = "/api/v1/tasks?assignee=me&state=open"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def issue(client, name: str = "报表脚本") -> str:  # type: ignore[no-untyped-def]
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 201, text(response)
    assert response.headers["Cache-Control"] == "no-store"
    match = re.search(r'id="new-token">(lt_[^<]+)<', response.get_data(as_text=True))
    assert match, "the new token is shown on the page"
    return match.group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_kept_only_as_a_hash_and_listed_with_its_use(client, platform) -> None:
    login(client, "crc")
    token = issue(client)
    assert client.get(SOME_API, headers=bearer(token)).status_code == 200
    page = client.get("/account")
    assert token not in page.get_data(as_text=True)
    listed = text(page)
    assert "报表脚本" in listed and "2026-11-20 10:00" in listed and "从未使用" not in listed
    assert "有效期至" in listed and "2027-02-18 10:00" in listed  # 90 days by default
    stored = platform.session.scalars(select(ApiToken)).all()
    assert all(token not in (row.token_hash, row.name) for row in stored)


def test_a_token_stops_working_when_it_expires(app, client, clock) -> None:
    app.config["LINTEL_TOKEN_DAYS"] = "7"
    login(client, "crc")
    token = issue(client)
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert client.get(SOME_API, headers=bearer(token)).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = client.get(SOME_API, headers=bearer(token))
    assert expired.status_code == 401 and "expired" in expired.json["message"]
    assert client.get("/account").status_code == 302  # the day's session ended long ago too
    login(client, "crc")
    assert "已过期" in text(client.get("/account"))


def test_the_owner_revokes_a_token_and_nobody_else_can(app, client, platform) -> None:
    login(client, "crc")
    token = issue(client)
    token_id = platform.session.scalars(select(ApiToken.id).where(ApiToken.name == "报表脚本")).one()
    other = app.test_client()
    login(other, "eng")
    assert other.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert client.get(SOME_API, headers=bearer(token)).status_code == 200

    revoked = client.post(f"/account/tokens/{token_id}/revoke", follow_redirects=True)
    assert "已撤销令牌 报表脚本" in text(revoked) and "没有 API 令牌" in text(revoked)
    assert client.get(SOME_API, headers=bearer(token)).status_code == 401


def test_an_administrator_sees_and_revokes_anyones_tokens(app, client, platform) -> None:
    owner = app.test_client()
    login(owner, "eng")
    token = issue(owner, "工地平板")
    eng = platform.directory.user("eng")
    token_id = platform.session.scalars(select(ApiToken.id).where(ApiToken.user_id == eng.id)).one()
    login(client, "admin")
    assert "工地平板" in text(client.get(f"/admin/users/{eng.id}"))
    revoked = client.post(f"/admin/users/{eng.id}/tokens/{token_id}/revoke", follow_redirects=True)
    assert "已撤销令牌 工地平板" in text(revoked) and "没有 API 令牌" in text(revoked)
    assert owner.get(SOME_API, headers=bearer(token)).status_code == 401


def test_a_too_long_token_name_is_refused_beside_the_field(client) -> None:
    login(client, "crc")
    refused = client.post("/account/tokens", data={"name": "长" * 101})
    assert refused.status_code == 422 and "最多 100 个字符" in text(refused)
    assert "没有 API 令牌" in text(refused)


@pytest.mark.parametrize("action", ["password", "deactivate"])
def test_a_password_reset_or_deactivation_ends_every_session_and_token(app, client, platform, action) -> None:
    eng = app.test_client()
    login(eng, "eng")
    token = issue(eng)
    eng_id = platform.directory.user("eng").id
    login(client, "admin")
    if action == "password":
        done = client.post(f"/admin/users/{eng_id}/password", data={"password": "a-new-password"})
    else:
        done = client.post(f"/admin/users/{eng_id}/active", data={"active": "0"})
    assert done.status_code == 302
    assert eng.get("/inbox").status_code == 302
    assert eng.get(SOME_API, headers=bearer(token)).status_code == 401
    if action == "password":
        login(eng, "eng", "a-new-password")
        assert "没有 API 令牌" in text(eng.get("/account"))
