"""The owner portal's 楼盘通报: an owner reads the sent progress notices of their project with engineering's
photos, and the design changes sent to them, which they acknowledge once; another project's notice, a draft,
a design change addressed to others and their photos are not found, exactly like a missing notice; opening a
notice is noted the first time only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.platform import Platform
from lintel.clock import FixedClock
from notifications.models import InAppMessage
from tests.bulletins.support import Estate, actor, estate
from tests.webapp.bulletin_owners_support import attach_photo, design_change, progress_notice
from tests.webapp.pages_support import text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def sites(platform: Platform) -> tuple[Estate, Estate]:
    site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=1, buildings=2)
    other = estate(platform, "YJY", "云境园", waiting=1, handed_over=0, phone_base=200)
    return site, other


def sign_in(client, bulletin_id: int, phone: str) -> None:  # type: ignore[no-untyped-def]
    """The owner opens the notice's link from their SMS and gives their phone."""
    asked = client.get(f"/portal/bulletins/{bulletin_id}")
    assert asked.status_code == 200 and "请输入购房时登记的业主手机号" in text(asked)
    answer = client.post(f"/portal/bulletins/{bulletin_id}/verify", data={"phone": phone})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/portal/bulletins/{bulletin_id}"


def recipient(platform: Platform, bulletin: Bulletin, owner_id: int) -> BulletinRecipient:
    platform.session.expire_all()
    return platform.session.scalars(
        select(BulletinRecipient).where(
            BulletinRecipient.bulletin_id == bulletin.id, BulletinRecipient.owner_id == owner_id
        )
    ).one()


def test_an_owner_reads_their_projects_sent_progress_notice_with_its_photos_and_nothing_else(
    client, platform: Platform, sites: tuple[Estate, Estate], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    site, other = sites
    notice = progress_notice(platform, site)
    photo = attach_photo(platform, tmp_path, notice, site.buildings[0])
    theirs = progress_notice(platform, other)
    their_photo = attach_photo(platform, tmp_path, theirs, other.buildings[0])
    # A design change of the owner's own project still being drafted, and one to another unit's owner.
    drafting = bulletin_of(
        platform.session,
        platform.bulletins.start_design_change(
            {"project_id": site.project.id, "building_ids": [site.buildings[0].id], "title": "起草中的变更"},
            actor(platform, "crc"),
        ),
    )
    assert drafting is not None
    elsewhere = design_change(platform, site, unit_ids=[site.units["0102"].id], title="0102 的设计变更")
    platform.session.commit()

    me = site.waiting["0101"]
    sign_in(client, notice.id, me.phone)
    page = client.get(f"/portal/bulletins/{notice.id}")
    shown = text(page)
    assert page.status_code == 200
    assert "临溪府2026年11月楼盘进度通报" in shown
    assert "1栋 主体封顶 · 整体完成 65%" in shown and "屋面防水完成，外立面石材开始安装。" in shown
    assert 'progress max="100" value="65"' in page.get_data(as_text=True)
    assert f"/portal/bulletins/{notice.id}/photos/{photo.token}" in page.get_data(as_text=True)
    with client.get(f"/portal/bulletins/{notice.id}/photos/{photo.token}") as got:
        assert got.status_code == 200 and got.mimetype == "image/jpeg"
        assert got.data.startswith(b"\xff\xd8\xff")

    archive = text(client.get("/portal/bulletins"))
    assert "临溪府2026年11月楼盘进度通报" in archive
    assert "云境园" not in archive and "起草中的变更" not in archive and "0102 的设计变更" not in archive

    missing = client.get("/portal/bulletins/999999")
    assert missing.status_code == 404
    for hidden in (theirs.id, drafting.id, elsewhere.id):
        answer = client.get(f"/portal/bulletins/{hidden}")
        assert answer.status_code == 404 and text(answer) == text(missing)
    # Another project's photo: neither under its own notice nor smuggled under the owner's.
    assert client.get(f"/portal/bulletins/{theirs.id}/photos/{their_photo.token}").status_code == 404
    assert client.get(f"/portal/bulletins/{notice.id}/photos/{their_photo.token}").status_code == 404

    # The other project's owner cannot open this notice with their phone.
    stranger = app_client(client)
    refused = stranger.post(
        f"/portal/bulletins/{notice.id}/verify", data={"phone": other.waiting["0101"].phone}
    )
    assert refused.status_code == 401 and "手机号与此通报的业主登记信息不符" in text(refused)
    assert stranger.get(f"/portal/bulletins/{notice.id}/photos/{photo.token}").status_code == 404


def app_client(client):  # type: ignore[no-untyped-def]
    """A second browser."""
    return client.application.test_client()


def test_a_handed_over_owner_of_the_project_reads_its_progress_too(
    client, platform: Platform, sites: tuple[Estate, Estate]
) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    notice = progress_notice(platform, site)
    platform.session.commit()
    sign_in(client, notice.id, site.handed_over["0202"].phone)
    assert "临溪府2026年11月楼盘进度通报" in text(client.get("/portal/bulletins"))


def test_opening_a_notice_is_noted_the_first_time_only(
    client, platform: Platform, sites: tuple[Estate, Estate], clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    notice = progress_notice(platform, site)
    platform.session.commit()
    me = site.waiting["0101"]
    # The in-app message that brought it, as the sender leaves it in the owner's 我的消息.
    message = InAppMessage(
        recipient=f"owner:{me.id}",
        kind="bulletin.progress",
        subject=notice.title,
        body=notice.body,
        link=f"/portal/bulletins/{notice.id}",
        created_at=clock.now(),
    )
    platform.session.add(message)
    platform.session.commit()
    assert recipient(platform, notice, me.id).opened_at is None
    sign_in(client, notice.id, me.phone)
    assert recipient(platform, notice, me.id).opened_at is None  # proving the phone is not reading it
    client.get(f"/portal/bulletins/{notice.id}")
    first = recipient(platform, notice, me.id).opened_at
    assert first is not None and first == clock.now()
    platform.session.refresh(message)
    assert message.read_at == first  # read with the notice: 我的消息 no longer counts it unread
    clock.advance(timedelta(minutes=20))
    client.get(f"/portal/bulletins/{notice.id}")
    assert recipient(platform, notice, me.id).opened_at == first
    assert recipient(platform, notice, site.waiting["0102"].id).opened_at is None


def test_a_design_change_is_read_by_its_recipients_only_and_acknowledged_once(
    client, platform: Platform, sites: tuple[Estate, Estate], clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    change = design_change(platform, site, unit_ids=[site.units["0101"].id])
    progress = progress_notice(platform, site)
    platform.session.commit()
    me = site.waiting["0101"]

    # A neighbour in the same project reads the progress, not the change addressed to 0101.
    neighbour = app_client(client)
    assert (
        neighbour.post(
            f"/portal/bulletins/{change.id}/verify", data={"phone": site.waiting["0102"].phone}
        ).status_code
        == 401
    )
    assert (
        neighbour.post(
            f"/portal/bulletins/{progress.id}/verify", data={"phone": site.waiting["0102"].phone}
        ).status_code
        == 302
    )
    assert "1栋北侧景观设计变更通报" not in text(neighbour.get("/portal/bulletins"))
    assert neighbour.get(f"/portal/bulletins/{change.id}").status_code == 404
    assert neighbour.post(f"/portal/bulletins/{change.id}/acknowledge").status_code == 404

    sign_in(client, change.id, me.phone)
    archive = text(client.get("/portal/bulletins"))
    assert "1栋北侧景观设计变更通报" in archive and "待您确认" in archive
    page = text(client.get(f"/portal/bulletins/{change.id}"))
    assert "经规划部门批准" in page and "我已知悉" in page

    acknowledged = client.post(f"/portal/bulletins/{change.id}/acknowledge", follow_redirects=True)
    assert "已确认知悉，谢谢您" in text(acknowledged)
    assert "您已于 2026-11-20 10:00 确认知悉" in text(acknowledged)
    at = recipient(platform, change, me.id).acknowledged_at
    assert at == clock.now()

    clock.advance(timedelta(minutes=10))
    again = client.post(f"/portal/bulletins/{change.id}/acknowledge", follow_redirects=True)
    assert "您已于 2026-11-20 10:00 确认知悉，无需再次确认" in text(again)
    assert recipient(platform, change, me.id).acknowledged_at == at
    assert "我已知悉" not in text(client.get(f"/portal/bulletins/{change.id}"))
    # A progress notice asks for no acknowledgement.
    assert "我已知悉" not in text(client.get(f"/portal/bulletins/{progress.id}"))


def test_one_person_with_two_owner_records_acknowledges_for_both(
    client, platform: Platform, sites: tuple[Estate, Estate]
) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    me = site.waiting["0101"]
    # The same buyer bought 0102 too, entered as a second record with the same phone.
    second = platform.records.save_owner(None, name=f"{me.name}（二）", phone=me.phone)
    platform.records.add_owner_to_unit(second, site.units["0102"])
    change = design_change(platform, site, unit_ids=[site.units["0101"].id, site.units["0102"].id])
    platform.session.commit()
    sign_in(client, change.id, me.phone)
    client.post(f"/portal/bulletins/{change.id}/acknowledge")
    assert recipient(platform, change, me.id).acknowledged_at is not None
    assert recipient(platform, change, second.id).acknowledged_at is not None


def test_without_a_verified_phone_the_archive_asks_for_one(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/portal/bulletins")
    assert answer.status_code == 302 and answer.headers["Location"] == "/portal"
    assert "打开通报短信中的链接验证手机号" in text(client.get("/portal"))
    assert client.get("/portal/bulletins/1/photos/abc").status_code == 404
