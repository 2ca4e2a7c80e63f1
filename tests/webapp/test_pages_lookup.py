"""The case lookup (工单查询): one row per request, any status, found however the caller writes it."""

from __future__ import annotations

import pytest

from tests.webapp.pages_support import TRIAGE, close, complete, login, register, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def cases(platform):  # type: ignore[no-untyped-def]
    """张伟 (1栋1201) with a closed and an open complaint, 刘洋 (major, 2栋0801) with one in engineering."""
    closed = register(platform, description="卫生间天花板渗水")
    close(platform, closed.instance_id)
    waiting = register(platform, description="门窗密封条脱落")
    major = register(platform, phone="13800000003", description="地下车库渗水")
    complete(platform, major.instance_id, "crc", TRIAGE)
    return {"closed": closed, "waiting": waiting, "major": major}


def numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [n for n in text(response).split() if n.startswith("TS-")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("13800000001", {"closed", "waiting"}),  # the whole phone
        ("0001", {"closed", "waiting"}),  # its last four digits
        ("张伟", {"closed", "waiting"}),  # the name
        ("张", {"closed", "waiting"}),  # its start
        ("江南府1栋1201", {"closed", "waiting"}),  # the unit, as written on the contract
        ("1栋1201", {"closed", "waiting"}),
        ("1-1201", {"closed", "waiting"}),
        ("江南府 1幢 1201室", {"closed", "waiting"}),
        ("2#801", {"major"}),  # the unit number without its leading zero
        ("刘洋", {"major"}),
    ],
)
def test_the_lookup_finds_cases_however_they_are_written(client, cases, query, expected) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    found = set(numbers(client.get("/lookup", query_string={"q": query})))
    assert found == {cases[name].number for name in expected}


def test_a_number_is_found_whole_or_by_its_last_digits(client, cases) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    number = cases["waiting"].number  # e.g. TS-2026-000002
    for query in (number, number.lower(), number[-6:], number[-6:].lstrip("0"), number[:9]):
        found = numbers(client.get("/lookup", query_string={"q": query}))
        assert number in found, query
    assert numbers(client.get("/lookup", query_string={"q": number})) == [number]


def test_each_row_shows_status_current_step_and_holder_by_name(client, platform, cases) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.pages_support import actor, open_task

    row = open_task(platform, cases["major"].instance_id)
    platform.tasks.claim(row.id, actor(platform, "eng"))
    platform.session.commit()
    login(client, "crc")
    shown = text(client.get("/lookup"))
    assert "已结案" in shown and "处理中" in shown
    assert "责任部门处理 工程部 赵工（工程部）" in shown
    assert "客服分派 客户关系中心 待认领" in shown
    assert "刘洋 重要客户" in shown
    closed_only = numbers(client.get("/lookup", query_string={"status": "closed"}))
    assert closed_only == [cases["closed"].number]


def test_handlers_find_every_case_their_department_worked_on_and_no_other(client, platform, cases) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng")
    assert numbers(client.get("/lookup")) == [cases["major"].number, cases["closed"].number]
    assert numbers(client.get("/lookup", query_string={"q": "张伟"})) == [cases["closed"].number]
    login(client, "design")
    assert numbers(client.get("/lookup")) == []


def test_overseers_see_every_case_and_can_narrow_to_a_department(client, cases) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc_sup")
    assert len(numbers(client.get("/lookup"))) == 3
    worked = numbers(client.get("/lookup", query_string={"department": "engineering"}))
    assert worked == [cases["major"].number, cases["closed"].number]


def test_nothing_found_says_so(client, cases) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    assert "没有找到与“9999”相符的工单" in text(client.get("/lookup", query_string={"q": "9999"}))
