"""POST /api/v1/bulletins/design-changes and GET /api/v1/bulletins/{id}/acknowledgements: a design change
started over the API as on its page (the same checks, errors per field, nothing started), and who has
acknowledged a sent one — the counts and the owners still to, phones masked."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.estate.people import mask_phone
from crm.platform import Platform
from tests.bulletins.support import estate
from tests.webapp.bulletin_owners_support import design_change, progress_notice


def test_start_a_design_change_over_the_api(client, auth, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = estate(platform, "LXF", "临溪府", waiting=2, handed_over=1, buildings=2)
    other = estate(platform, "YJY", "云境园", waiting=1, handed_over=0, phone_base=200)
    platform.session.commit()
    url = "/api/v1/bulletins/design-changes"

    refused = client.post(
        url,
        json={"project_id": site.project.id, "building_ids": [other.buildings[0].id], "title": " "},
        headers=auth("crc"),
    )
    assert refused.status_code == 422
    assert refused.get_json()["fields"] == {
        "building_ids": f"not buildings of 临溪府: {other.buildings[0].id}",
        "title": "required",
    }
    missing = client.post(url, json={"title": "变更"}, headers=auth("crc"))
    assert missing.status_code == 422 and set(missing.get_json()["fields"]) == {"project_id"}
    assert (
        client.post(url, json={"project_id": site.project.id, "title": "x"}, headers=auth("eng")).status_code
        == 403
    )
    platform.session.expire_all()
    assert platform.session.scalar(select(func.count()).select_from(Bulletin)) == 0

    started = client.post(
        url,
        json={
            "project_id": site.project.id,
            "unit_ids": [site.units["0101"].id],
            "building_ids": [],
            "title": "景观调整",
        },
        headers=auth("crc"),
    )
    assert started.status_code == 201
    body = started.get_json()
    assert body["status"] == "drafting" and body["title"] == "景观调整" and body["owners"] == 1
    bulletin = platform.session.get(Bulletin, body["bulletin_id"])
    assert bulletin is not None and bulletin.instance_id == body["instance_id"]


def test_who_has_acknowledged_over_the_api(client, auth, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    site = estate(platform, "LXF", "临溪府", waiting=2, handed_over=1)
    change = design_change(platform, site, building_ids=[site.buildings[0].id])
    notice = progress_notice(platform, site)
    first = site.waiting["0101"]
    row = platform.session.scalars(
        select(BulletinRecipient).where(
            BulletinRecipient.bulletin_id == change.id, BulletinRecipient.owner_id == first.id
        )
    ).one()
    row.acknowledged_at = platform.clock.now()
    platform.session.commit()

    answer = client.get(f"/api/v1/bulletins/{change.id}/acknowledgements", headers=auth("crc"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["recipients"], body["acknowledged"], body["last_reminder"]) == (3, 1, None)
    pending = {o["owner_id"]: o for o in body["not_acknowledged"]}
    assert set(pending) == {site.waiting["0102"].id, site.handed_over["0201"].id}
    second = pending[site.waiting["0102"].id]
    assert second == {
        "owner_id": site.waiting["0102"].id,
        "name": site.waiting["0102"].name,
        "phone": mask_phone(site.waiting["0102"].phone),
        "units": ["1栋 0102"],
        "opened_at": None,
    }
    progress = client.get(f"/api/v1/bulletins/{notice.id}/acknowledgements", headers=auth("crc"))
    assert progress.status_code == 409 and progress.get_json()["error"] == "conflict"
    assert client.get("/api/v1/bulletins/999999/acknowledgements", headers=auth("crc")).status_code == 404
