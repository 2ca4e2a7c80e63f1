"""/api/v1/bulletins: the notices by kind, project and state; a notice with whom it reaches before approval
and its delivery counts after; editing the draft and the manager's decision, with bad input a 422 or 409
in the one error shape and nothing written."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from crm.bulletins.sending import Sender
from crm.platform import Foundation, Platform
from tests.bulletins.support import actor, estate, open_task
from tests.webapp.test_pages_bulletin_sending import reported


def test_the_list_and_a_notice_with_its_reach(client, auth, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=1)
    other = estate(platform, "YJY", "云境园", waiting=1, handed_over=0, phone_base=200)
    bulletin = reported(platform, site)
    second = reported(platform, other)
    listed = client.get("/api/v1/bulletins", headers=auth("crc"))
    assert listed.status_code == 200
    assert {b["id"] for b in listed.get_json()["bulletins"]} >= {bulletin.id, second.id}
    mine = client.get(f"/api/v1/bulletins?project_id={site.project.id}&status=drafting", headers=auth("eng"))
    assert [b["id"] for b in mine.get_json()["bulletins"]] == [bulletin.id]
    assert client.get("/api/v1/bulletins?status=lost", headers=auth("crc")).status_code == 422

    found = client.get(f"/api/v1/bulletins/{bulletin.id}", headers=auth("crc")).get_json()
    assert (found["status"], found["kind"], found["project"]) == ("drafting", "progress", "临溪府")
    assert found["step"]["element_id"] == "draft" and found["delivery"] is None
    assert found["reach"] == {
        "owners": 3,
        "reached": 3,
        "opted_out": 0,
        "unreachable": 0,
        "channels": {"sms": 3, "email": 0, "inapp": 3},
    }
    missing = client.get("/api/v1/bulletins/999999", headers=auth("crc"))
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_the_draft_is_edited_and_refused_field_by_field(client, auth, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    bulletin = reported(platform, estate(platform, "LXF", "临溪府", waiting=2, handed_over=0))
    url = f"/api/v1/bulletins/{bulletin.id}/draft"
    saved = client.put(
        url, json={"title": "临溪府11月进度", "sms_text": "【临溪府】1栋主体封顶。"}, headers=auth("crc")
    )
    assert saved.status_code == 200
    assert (saved.get_json()["title"], saved.get_json()["sms_text"]) == (
        "临溪府11月进度",
        "【临溪府】1栋主体封顶。",
    )

    bad = client.put(url, json={"title": "", "sms_text": "长" * 121}, headers=auth("crc"))
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {
        "title": "required",
        "sms_text": "the SMS text must be at most 120 characters",
    }
    assert client.put(url, json={"colour": "red"}, headers=auth("crc")).status_code == 422
    assert client.put(url, json={"title": "x"}, headers=auth("eng")).status_code == 403
    platform.session.expire_all()
    assert bulletin.title == "临溪府11月进度"


def test_approval_by_a_manager_then_the_delivery_counts(  # type: ignore[no-untyped-def]
    client, auth, platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    bulletin = reported(platform, estate(platform, "LXF", "临溪府", waiting=2, handed_over=0))
    url = f"/api/v1/bulletins/{bulletin.id}/approval"
    early = client.post(url, json={"decision": "approve"}, headers=auth("crc_sup"))
    assert early.status_code == 409  # still a draft
    platform.tasks.complete(open_task(platform, bulletin, "draft").id, {}, actor(platform, "crc"))
    platform.session.commit()

    assert client.post(url, json={"decision": "approve"}, headers=auth("crc")).status_code == 403
    silent = client.post(url, json={"decision": "return"}, headers=auth("crc_sup"))
    assert silent.status_code == 422 and silent.get_json()["fields"] == {
        "comment": "required to send it back"
    }
    assert client.post(url, json={"decision": "maybe"}, headers=auth("crc_sup")).status_code == 422

    back = client.post(url, json={"decision": "return", "comment": "补充照片"}, headers=auth("crc_sup"))
    assert back.status_code == 200
    assert (back.get_json()["status"], back.get_json()["return_comment"]) == ("drafting", "补充照片")

    platform.session.expire_all()  # the API changed it
    platform.tasks.complete(open_task(platform, bulletin, "draft").id, {}, actor(platform, "crc"))
    platform.session.commit()
    approved = client.post(url, json={"decision": "approve"}, headers=auth("crc_sup"))
    assert approved.status_code == 200 and approved.get_json()["status"] == "sending"
    Sender(session_factory, foundation).run_once()
    found = client.get(f"/api/v1/bulletins/{bulletin.id}", headers=auth("crc")).get_json()
    assert found["status"] == "sent" and found["reach"] is None
    assert found["delivery"]["queued"] == 2
    assert found["delivery"]["channels"]["sms"] == {"total": 2, "delivered": 0, "pending": 2, "failed": 0}
    assert client.post(url, json={"decision": "approve"}, headers=auth("crc_sup")).status_code == 409
