"""GET /api/v1/messages and POST /api/v1/messages/read: the token user's in-app messages (the bell's),
a page at a time with the unread count, marked read one by one or all; someone else's message is
answered as if it did not exist; bad input is a 422 in the one error shape."""

from __future__ import annotations

import pytest

from notifications.models import InAppMessage
from tests.webapp.pages_support import register


def message(platform, to: str, subject: str) -> InAppMessage:  # type: ignore[no-untyped-def]
    row = InAppMessage(
        recipient=to,
        kind="task.assigned",
        subject=subject,
        body="正文",
        link="/tasks/1",
        created_at=platform.clock.now(),
    )
    platform.session.add(row)
    platform.session.flush()
    return row


def test_my_messages_newest_first_with_the_unread_count(client, auth, platform) -> None:
    complaint = register(platform)
    answer = client.get("/api/v1/messages", headers=auth("crc"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["unread"] == 1 and body["next_before_id"] is None
    [first] = body["messages"]
    assert first["kind"] == "task.new" and first["kind_label"] == "部门待办新任务"
    assert complaint.number in first["body"] and first["link"] == f"/r/{complaint.number}"
    assert first["unread"] is True and first["read_at"] is None
    assert client.get("/api/v1/messages", headers=auth("eng")).get_json() == {
        "messages": [],
        "unread": 0,
        "next_before_id": None,
    }


def test_pages_of_messages(client, auth, platform) -> None:
    for n in range(5):
        message(platform, "user:eng", f"消息{n}")
    platform.session.commit()
    first = client.get("/api/v1/messages?limit=3", headers=auth("eng")).get_json()
    assert [m["subject"] for m in first["messages"]] == ["消息4", "消息3", "消息2"]
    assert first["unread"] == 5 and first["next_before_id"] == first["messages"][-1]["id"]
    second = client.get(f"/api/v1/messages?limit=3&before_id={first['next_before_id']}", headers=auth("eng"))
    assert [m["subject"] for m in second.get_json()["messages"]] == ["消息1", "消息0"]
    assert second.get_json()["next_before_id"] is None


def test_mark_one_then_all_read(client, auth, platform) -> None:
    one, _two, _three = (message(platform, "user:eng", f"消息{n}") for n in range(3))
    platform.session.commit()
    marked = client.post("/api/v1/messages/read", json={"id": one.id}, headers=auth("eng"))
    assert marked.status_code == 200 and marked.get_json() == {"marked": 1, "unread": 2}
    again = client.post("/api/v1/messages/read", json={"id": one.id}, headers=auth("eng"))
    assert again.get_json() == {"marked": 0, "unread": 2}  # already read: nothing changes
    everything = client.post("/api/v1/messages/read", json={"all": True}, headers=auth("eng"))
    assert everything.get_json() == {"marked": 2, "unread": 0}
    rows = client.get("/api/v1/messages", headers=auth("eng")).get_json()["messages"]
    assert all(not m["unread"] and m["read_at"] for m in rows)


def test_someone_elses_message_does_not_exist_for_me(client, auth, platform) -> None:
    theirs = message(platform, "user:crc", "李娜的消息")
    platform.session.commit()
    refused = client.post("/api/v1/messages/read", json={"id": theirs.id}, headers=auth("eng"))
    assert refused.status_code == 404
    assert (
        refused.get_json()
        == {
            "error": "not_found",
            "message": f"message {theirs.id} does not exist",
            "fields": {},
        }
        or refused.get_json()["message"] == f"message {theirs.id} does not exist"
    )
    assert client.post("/api/v1/messages/read", json={"all": True}, headers=auth("eng")).get_json() == {
        "marked": 0,
        "unread": 0,
    }
    mine = client.get("/api/v1/messages", headers=auth("crc")).get_json()
    assert mine["unread"] == 1 and mine["messages"][0]["unread"] is True


@pytest.mark.parametrize(
    "body",
    [{}, {"id": 1, "all": True}, {"all": False}, {"id": "1"}, {"id": 0}, {"id": None}, {"all": "yes"}],
)
def test_the_read_body_names_one_message_or_all(client, auth, body) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/messages/read", json=body, headers=auth("eng"))
    assert answer.status_code == 422
    error = answer.get_json()
    assert error["error"] == "invalid_request" and error["fields"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "before_id=0", "before_id=-3"])
def test_bad_paging_is_422(client, auth, query) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v1/messages?{query}", headers=auth("eng"))
    assert answer.status_code == 422 and answer.get_json()["fields"]


def test_without_a_token_401_and_a_body_not_json_400(client, auth) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/messages").status_code == 401
    bad = client.post("/api/v1/messages/read", data="all", headers=auth("eng"))
    assert bad.status_code == 400 and bad.get_json()["error"]


def test_the_openapi_document_describes_them(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"get"} <= set(document["paths"]["/messages"]) and "post" in document["paths"]["/messages/read"]
    assert "MessageList" in document["components"]["schemas"]
