"""The message templates' preview: a process owner reads every kind on each of its channels."""

from __future__ import annotations

import pytest

from crm.messaging.kinds import KINDS
from tests.webapp.pages_support import login, text
from webapp.pages.message_templates import KIND_LABELS, WHO_WHEN


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_every_kind_is_shown_with_whom_it_reaches_and_each_channels_rendering(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    response = client.get("/admin/message-templates")
    assert response.status_code == 200
    page = text(response)
    for kind in KINDS.values():
        assert kind.label in page and kind.code in page
    assert "部门全体在岗成员；部门群机器人" in page
    assert "企业微信群机器人" in page and "钉钉群机器人" in page
    assert "您的投诉已受理，编号TS-2026-000123。查进度：https://crm.example.com/portal/TS-2026-000123" in page
    assert "【督办】TS-2026-000123责任部门处理已超时" in page
    assert "模板无法渲染" not in page


def test_only_administrators_and_process_owners_preview(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    assert client.get("/admin/message-templates").status_code == 403


def test_the_page_names_each_kind_as_the_catalogue_does() -> None:
    assert KIND_LABELS == {code: kind.label for code, kind in KINDS.items()}
    assert set(WHO_WHEN) == set(KINDS)
