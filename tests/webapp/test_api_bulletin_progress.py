"""A progress notice's construction progress through the REST API: read with every building, saved building
by building, photos added; every refusal in the JSON error shape with its status."""

from __future__ import annotations

import io
from typing import Any

from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.models import Bulletin
from crm.platform import Platform
from tests.bulletins.support import Estate, estate
from tests.webapp.pages_support import actor

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def notice(platform: Platform) -> tuple[Estate, Bulletin, Estate]:
    site = estate(platform, "LXF", "临溪府", buildings=2)
    other = estate(platform, "YJY", "云境园", phone_base=200)
    instance_id = platform.bulletins.start_progress({"project_id": site.project.id}, actor(platform, "crc"))
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    platform.session.commit()
    return site, bulletin, other


def test_progress_is_read_saved_and_photographed(client: Any, auth: Any, platform: Platform) -> None:
    site, bulletin, _other = notice(platform)
    first, second = (b.id for b in site.buildings)
    url = f"/api/v1/bulletins/{bulletin.id}/progress"

    read = client.get(url, headers=auth("eng"))
    assert read.status_code == 200
    body = read.get_json()
    assert (body["status"], body["period"], body["project_name"], body["may_report"]) == (
        "progress",
        "2026-11",
        "临溪府",
        True,
    )
    assert body["task_id"] and body["due_at"].startswith("2026-11-27")
    assert [(b["name"], b["waiting"], b["reported"]) for b in body["buildings"]] == [
        ("1栋", True, False),
        ("2栋", False, False),
    ]

    saved = client.put(
        f"{url}/{first}", json={"milestone": "主体封顶", "percent": 65, "note": "封顶"}, headers=auth("eng")
    )
    assert saved.status_code == 200
    assert {k: saved.get_json()[k] for k in ("name", "reported", "milestone", "percent", "note")} == {
        "name": "1栋",
        "reported": True,
        "milestone": "主体封顶",
        "percent": 65,
        "note": "封顶",
    }
    added = client.post(
        f"{url}/{first}/photos",
        data={"photos": [(io.BytesIO(JPEG), "东立面.jpg"), (io.BytesIO(JPEG), "塔吊.jpg")]},
        content_type="multipart/form-data",
        headers=auth("eng"),
    )
    assert added.status_code == 201
    photos = added.get_json()["photos"]
    assert [p["filename"] for p in photos] == ["东立面.jpg", "塔吊.jpg"]
    assert client.get(photos[0]["url"]).status_code in (302, 401)  # a page: needs signing in

    body = client.get(url, headers=auth("design")).get_json()  # every staff member reads it
    assert body["may_report"] is False
    [one, two] = body["buildings"]
    assert [p["token"] for p in one["photos"]] == [p["token"] for p in photos]
    assert (one["percent"], two["reported"], two["photos"]) == (65, False, [])

    # Submitting is the open step's completion.
    done = client.post(f"/api/v1/tasks/{body['task_id']}/complete", json={}, headers=auth("eng"))
    assert done.status_code == 200, done.get_json()
    again = client.put(f"{url}/{second}", json={"milestone": "桩基工程", "percent": 5}, headers=auth("eng"))
    assert again.status_code == 409
    assert again.get_json()["message"] == "the progress of this notice was already submitted"


def test_every_refusal_has_its_status_and_message(client: Any, auth: Any, platform: Platform) -> None:
    site, bulletin, other = notice(platform)
    url = f"/api/v1/bulletins/{bulletin.id}/progress"
    building = site.buildings[0].id
    eng = auth("eng")

    bad = client.put(f"{url}/{building}", json={"milestone": "快完工了", "percent": 101, "x": 1}, headers=eng)
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"milestone", "percent", "x"}
    assert (
        client.put(
            f"{url}/{building}", json={"milestone": "主体施工", "percent": "60"}, headers=eng
        ).status_code
        == 422
    )
    assert client.put(f"{url}/{building}", data="60", headers=eng).status_code == 400
    foreign = other.buildings[0].id  # 云境园's
    missing = client.put(f"{url}/{foreign}", json={"milestone": "主体施工", "percent": 60}, headers=eng)
    assert missing.status_code == 404 and "is not a building of 临溪府" in missing.get_json()["message"]
    assert client.get("/api/v1/bulletins/999999/progress", headers=eng).status_code == 404

    wrong = client.put(
        f"{url}/{building}", json={"milestone": "主体施工", "percent": 60}, headers=auth("design")
    )
    assert wrong.status_code == 403 and wrong.get_json()["error"] == "forbidden"
    coordinator = client.put(
        f"{url}/{building}", json={"milestone": "主体施工", "percent": 60}, headers=auth("crc")
    )
    assert coordinator.status_code == 403  # not a role that reports progress

    none = client.post(f"{url}/{building}/photos", data={}, content_type="multipart/form-data", headers=eng)
    assert none.status_code == 422 and none.get_json()["fields"] == {"photos": "send at least one photo"}
    pdf = client.post(
        f"{url}/{building}/photos",
        data={"photos": [(io.BytesIO(b"%PDF-1.4"), "进度.pdf")]},
        content_type="multipart/form-data",
        headers=eng,
    )
    assert pdf.status_code == 422 and "only .jpg, .jpeg, .png, .webp files" in pdf.get_json()["message"]
    assert client.get(url, headers=eng).get_json()["buildings"][0]["photos"] == []
