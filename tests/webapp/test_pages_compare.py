"""比较版本: two versions of a process compared — the steps added and removed, each changed property with
its old and new value in plain words, the changed gateway conditions, and both diagrams to colour."""

from __future__ import annotations

import html as markup
import json
import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from tests.migration_support import deploy, with_step_added, with_triage_deadline
from tests.webapp.pages_support import login, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def second_version(session_factory: sessionmaker[Session], foundation: Foundation) -> None:
    """Version 2: a review step 分派复核 added, triage's escalation after 3 working days, 回访 asks again when
    the owner was reached but not satisfied, and the reply step with a fixed assignee."""
    xml = with_step_added(with_triage_deadline("working_days(3)"))
    xml = xml.replace('reached == "no"', 'reached != "yes"')
    xml = xml.replace('value="${follow_up or coordinator}"', 'value="crc"')
    with session_factory() as session:
        deploy(Platform(session, foundation), xml)
        session.commit()


def test_the_changes_are_listed_in_plain_words(client, session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    second_version(session_factory, foundation)
    login(client, "admin")
    page = client.get("/processes/complaint/compare?a=1&b=2")
    assert page.status_code == 200
    words = markup.unescape(text(page))
    assert "比较第 1 版与第 2 版" in words
    assert "分派复核" in words and "新增步骤" in words
    assert (
        "由表达式计算" in words and "3 个工作日" in words
    )  # triage's escalation: expression → 3 working days
    assert "指派人" in words and "按流程数据决定" in words
    # Conditions on a form's answers in words, from the step's form; the expression folded under 技术信息.
    assert "网关条件" in words
    assert "「是否联系上业主」为「否」" in words and "「是否联系上业主」不为「是」" in words
    html = page.get_data(as_text=True)
    table = re.search(r'<table class="list changes" id="changes">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    shown = re.sub(r"<details.*?</details>", "", table, flags=re.S)
    assert "reached" not in shown and "follow_up" not in shown and "<code>" not in shown
    folded = markup.unescape(" ".join(re.findall(r"<details.*?</details>", table, flags=re.S)))
    assert "技术信息" in folded
    assert '<code>reached == "no"</code>' in folded and '<code>reached != "yes"</code>' in folded
    assert "<code>follow_up or coordinator</code>" in folded
    marks = json.loads(re.search(r'data-marks="([^"]*)"', html).group(1).replace("&#34;", '"'))  # type: ignore[union-attr]
    assert marks["triage_check"] == "added" and marks["triage"] == "changed"
    assert 'data-compare="/processes/complaint/1/diagram.xml"' in html
    assert 'data-compare="/processes/complaint/2/diagram.xml"' in html
    version = client.get("/processes/complaint/2").get_data(as_text=True)
    assert 'id="compare"' in version and "比较版本" in version


def test_the_same_diagram_has_no_changes_and_the_order_can_be_reversed(  # type: ignore[no-untyped-def]
    client, session_factory, foundation
) -> None:
    second_version(session_factory, foundation)
    login(client, "admin")
    reversed_ = text(client.get("/processes/complaint/compare?a=2&b=1"))
    assert "删除步骤" in reversed_ and "分派复核" in reversed_


def test_bad_versions_are_refused_in_chinese(client, session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    second_version(session_factory, foundation)
    login(client, "admin")
    same = client.get("/processes/complaint/compare?a=1&b=1")
    assert same.status_code == 422 and "两个不同的版本" in text(same)
    letters = client.get("/processes/complaint/compare?a=x&b=2")
    assert letters.status_code == 422 and "用数字指定" in text(letters)
    assert client.get("/processes/complaint/compare?a=1").status_code == 422
    unknown = client.get("/processes/complaint/compare?a=1&b=9")
    assert unknown.status_code == 404 and "没有第 9 版" in text(unknown)
    assert client.get("/processes/nothing/compare?a=1&b=2").status_code == 404


def test_only_who_may_view_definitions_compares(client, session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    second_version(session_factory, foundation)
    login(client, "crc")
    assert client.get("/processes/complaint/compare?a=1&b=2").status_code == 403


def test_the_compare_page_is_in_chinese(client, session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.test_pages_chinese import ALLOWED, foreign_words

    second_version(session_factory, foundation)
    login(client, "admin")
    html = client.get("/processes/complaint/compare?a=1&b=2").get_data(as_text=True)
    words, _identifiers = foreign_words(html, ALLOWED, identifiers=True)
    assert words == []


def test_conditions_the_studio_writes_are_said_in_words(app, platform) -> None:  # type: ignore[no-untyped-def]
    from webapp.pages.process_outline import condition_words

    forms = platform.validator.forms_of(None)
    fields = {f.name: f for key in ("defect_verify", "complaint_reply") for f in forms.get(key).fields}
    with app.test_request_context():
        assert condition_words('verified == "pass"', fields) == "「复验结果」为「通过」"
        assert condition_words("verified  ==  'pass'", fields) == "「复验结果」为「通过」"
        assert condition_words('"yes" == reached', fields) == "「是否联系上业主」为「是」"
        assert (
            condition_words('reached == "yes" and satisfied != "no"', fields)
            == "「是否联系上业主」为「是」，并且「业主是否满意」不为「否」"
        )
        # Anything else stays an expression: an unknown field or answer, a computation, a typo.
        assert condition_words('verified == "maybe"', fields) is None
        assert condition_words('nobody == "yes"', fields) is None
        assert condition_words("attempts > 3", fields) is None
        assert condition_words("reached ==", fields) is None
