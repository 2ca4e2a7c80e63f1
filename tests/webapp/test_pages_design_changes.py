"""Starting a design-change notice on its page (/bulletins/design-changes/new): bad input is told beside its
field and starts nothing; the live count of the owners it reaches is the number of recipients written when
it is approved. On the notice's page once it is sent: acknowledged N of M, the owners still to acknowledge
(also as an XLSX), and 再次提醒 to them at most once a day."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.bulletins.models import Bulletin, BulletinRecipient
from crm.estate.people import mask_phone
from crm.platform import Platform
from lintel.clock import FixedClock
from notifications.models import InAppMessage, OutboxMessage
from tests.bulletins.support import Estate, actor, estate
from tests.webapp.bulletin_owners_support import approve_notice, design_change, progress_notice, sending_done
from tests.webapp.pages_support import login, open_task, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def sites(platform: Platform) -> tuple[Estate, Estate]:
    site = estate(platform, "LXF", "临溪府", waiting=3, handed_over=1, cancelled=1, buildings=2)
    other = estate(platform, "YJY", "云境园", waiting=1, handed_over=0, phone_base=200)
    platform.session.commit()
    return site, other


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{field}">([^<]+)</p>', html)
    return found.group(1) if found else ""


def bulletins(platform: Platform) -> int:
    platform.session.expire_all()
    return platform.session.scalar(select(func.count()).select_from(Bulletin)) or 0


def test_bad_input_is_told_beside_its_field_and_starts_nothing(
    client, platform: Platform, sites: tuple[Estate, Estate]
) -> None:  # type: ignore[no-untyped-def]
    site, other = sites
    login(client, "crc")
    assert "发起设计变更通报" in text(client.get("/bulletins"))
    form = client.get("/bulletins/design-changes/new")
    assert form.status_code == 200 and "选择项目后，这里显示将通知的业主人数" in text(form)

    nothing = client.post("/bulletins/design-changes/new", data={"title": ""})
    html = nothing.get_data(as_text=True)
    assert nothing.status_code == 422
    assert error_beside(html, "project_id") == "请选择项目" and error_beside(html, "title") == "请填写标题"

    foreign = client.post(
        "/bulletins/design-changes/new",
        data={"project_id": site.project.id, "building_ids": [other.buildings[0].id], "title": "景观调整"},
    )
    assert foreign.status_code == 422
    assert error_beside(foreign.get_data(as_text=True), "building_ids") == "所选楼栋不属于这个项目"

    unknown = client.post(
        "/bulletins/design-changes/new",
        data={"project_id": site.project.id, "unit_text": "1栋0101, 9栋9901", "title": "景观调整"},
    )
    assert unknown.status_code == 422
    assert error_beside(unknown.get_data(as_text=True), "unit_text") == "这个项目没有这些房号：9栋9901"
    # What was typed stays in the form.
    assert "1栋0101, 9栋9901" in unknown.get_data(as_text=True)

    untitled = client.post(
        "/bulletins/design-changes/new",
        data={"project_id": site.project.id, "building_ids": [site.buildings[0].id], "title": "  "},
    )
    assert (
        untitled.status_code == 422 and error_beside(untitled.get_data(as_text=True), "title") == "请填写标题"
    )

    none_chosen = client.post(
        "/bulletins/design-changes/new", data={"project_id": site.project.id, "title": "景观调整"}
    )
    assert error_beside(none_chosen.get_data(as_text=True), "building_ids") == "请勾选楼栋或填写房号"
    garbled = client.post(
        "/bulletins/design-changes/new",
        data={"project_id": site.project.id, "building_ids": ["²", "99999999999"], "title": "景观调整"},
    )
    assert garbled.status_code == 422
    assert error_beside(garbled.get_data(as_text=True), "building_ids") == "楼栋选择无效"
    assert bulletins(platform) == 0


def test_the_count_it_shows_is_who_it_reaches_when_approved(
    client, platform: Platform, sites: tuple[Estate, Estate]
) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    login(client, "crc")
    form = client.get(f"/bulletins/design-changes/new?project_id={site.project.id}")
    assert "1栋" in text(form) and "2栋" in text(form) and "将通知 0 位业主" in text(form)
    # Building 2 has no sold unit; unit 0101 is signed, 0202 handed over (both told), 0301 cancelled (not).
    choice = {
        "project_id": site.project.id,
        "building_ids": [site.buildings[1].id],
        "unit_text": "1栋0101 1-0202，1栋0301",
        "title": "1栋北侧景观设计变更通报",
    }
    preview = client.get("/bulletins/design-changes/reach", query_string=choice)
    assert preview.status_code == 200
    count = int(re.search(r'data-count="(\d+)"', preview.get_data(as_text=True)).group(1))
    assert count == 2 and "将通知 2 位业主" in text(preview)
    typo = client.get(
        "/bulletins/design-changes/reach", query_string={**choice, "unit_text": "1栋0101 8栋0808"}
    )
    assert "将通知 1 位业主" in text(typo) and "这个项目没有这些房号：8栋0808" in text(typo)

    started = client.post("/bulletins/design-changes/new", data=choice)
    assert started.status_code == 302
    bulletin = platform.session.scalars(select(Bulletin)).one()
    assert started.headers["Location"] == f"/bulletins/{bulletin.id}"
    assert bulletin.audience == {
        "building_ids": [site.buildings[1].id],
        "unit_ids": [site.units["0101"].id, site.units["0202"].id, site.units["0301"].id],
    }
    page = text(client.get(started.headers["Location"]))
    assert "已发起设计变更通报" in page and "1栋北侧景观设计变更通报" in page

    bulletin.body = "经规划部门批准，1栋北侧景观水系调整为下沉式花园。"
    bulletin.sms_text = "【临溪府】1栋北侧景观设计变更，请查看并确认。"
    assert bulletin.instance_id is not None
    draft = open_task(platform, bulletin.instance_id)
    platform.tasks.claim(draft.id, actor(platform, "crc"))
    platform.tasks.complete(draft.id, {}, actor(platform, "crc"))
    approve_notice(platform, bulletin)
    written = platform.session.scalar(
        select(func.count())
        .select_from(BulletinRecipient)
        .where(BulletinRecipient.bulletin_id == bulletin.id)
    )
    assert written == count


def test_who_has_not_acknowledged_their_xlsx_and_a_reminder_once_a_day(
    client, platform: Platform, sites: tuple[Estate, Estate], clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    change = design_change(platform, site, building_ids=[site.buildings[0].id])
    waiting = site.waiting
    # 0101, 0102, 0201 signed; 0202 handed over: four owners. One of them has acknowledged, one opened it.
    rows = {
        r.owner_id: r
        for r in platform.session.scalars(
            select(BulletinRecipient).where(BulletinRecipient.bulletin_id == change.id)
        )
    }
    assert len(rows) == 4
    rows[waiting["0101"].id].acknowledged_at = clock.now()
    rows[waiting["0102"].id].opened_at = clock.now()
    platform.session.commit()

    login(client, "crc")
    page = client.get(f"/bulletins/{change.id}")
    shown = text(page)
    assert "已确认知悉 1 / 4 位业主" in shown
    pending = [waiting["0102"], waiting["0201"], site.handed_over["0202"]]
    for owner in pending:
        assert owner.name in shown and mask_phone(owner.phone) in shown
    assert waiting["0101"].name not in shown.split("业主确认", 1)[1]
    assert waiting["0102"].phone not in shown  # masked only

    download = client.get(f"/bulletins/{change.id}/acknowledgements.xlsx")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data)).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[2] == ["业主", "房号", "手机号", "首次查看"]
    assert sorted(table[3:]) == sorted(
        [
            [waiting["0102"].name, "1栋 0102", mask_phone(waiting["0102"].phone), "2026-11-20 10:00"],
            [waiting["0201"].name, "1栋 0201", mask_phone(waiting["0201"].phone), None],
            [site.handed_over["0202"].name, "1栋 0202", mask_phone(site.handed_over["0202"].phone), None],
        ]
    )

    # While the notice is still being sent, its own sending reaches them: no reminder yet.
    early = client.post(f"/bulletins/{change.id}/remind", follow_redirects=True)
    assert "通报正在发送，发送完成后才能再次提醒" in text(early)
    sending_done(platform, change)
    platform.session.commit()

    # 再次提醒: the notice again to the three, by their channels (SMS and the portal's 我的消息).
    before = set(platform.session.scalars(select(OutboxMessage.id)))
    reminded = client.post(f"/bulletins/{change.id}/remind", follow_redirects=True)
    assert "已再次提醒 3 位尚未确认的业主" in text(reminded)
    platform.session.expire_all()
    sent = platform.session.scalars(select(OutboxMessage).where(OutboxMessage.id.not_in(before))).all()
    assert {(m.channel, m.address) for m in sent} == {("sms", o.phone) for o in pending}
    assert {m.ref for m in sent} == {f"bulletin:{change.id}"}
    assert all(f"/portal/bulletins/{change.id}" in m.body for m in sent)
    inapp = platform.session.scalars(
        select(InAppMessage).where(InAppMessage.recipient.in_([f"owner:{o.id}" for o in pending]))
    ).all()
    assert len(inapp) == 3 and {m.link for m in inapp} == {f"/portal/bulletins/{change.id}"}
    assert f"/portal/bulletins/{change.id}" not in str(
        platform.session.scalars(
            select(InAppMessage.link).where(InAppMessage.recipient == f"owner:{waiting['0101'].id}")
        ).all()
    )
    timeline = text(client.get(f"/requests/{change.instance_id}"))
    assert "再次提醒尚未确认的业主（3 位）" in timeline

    clock.advance(timedelta(hours=23))
    login(client, "crc")
    refused = client.post(f"/bulletins/{change.id}/remind", follow_redirects=True)
    assert "上次提醒在 2026-11-20 10:00，每份通报每天最多提醒一次，2026-11-21 10:00 后可再次提醒" in text(
        refused
    )
    platform.session.expire_all()
    assert (
        platform.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.id.not_in(before))
        )
        == 3
    )
    clock.advance(timedelta(hours=1))
    assert "已再次提醒 3 位" in text(client.post(f"/bulletins/{change.id}/remind", follow_redirects=True))


def test_an_owner_opens_the_reminder_from_my_messages_and_lands_on_the_notice(
    client, platform: Platform, sites: tuple[Estate, Estate]
) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    change = design_change(platform, site, unit_ids=[site.units["0101"].id])
    sending_done(platform, change)
    platform.session.commit()
    login(client, "crc")
    client.post(f"/bulletins/{change.id}/remind")
    owner = client.application.test_client()
    owner.post(f"/portal/bulletins/{change.id}/verify", data={"phone": site.waiting["0101"].phone})
    platform.session.expire_all()
    message = platform.session.scalars(
        select(InAppMessage).where(InAppMessage.recipient == f"owner:{site.waiting['0101'].id}")
    ).one()
    assert message.subject == "1栋北侧景观设计变更通报"
    opened = owner.post(f"/portal/messages/{message.id}/open")
    assert opened.headers["Location"] == f"/portal/bulletins/{change.id}"


def test_a_progress_notice_has_no_acknowledgements(client, platform: Platform, sites) -> None:  # type: ignore[no-untyped-def]
    site, _other = sites
    notice = progress_notice(platform, site)
    platform.session.commit()
    login(client, "crc")
    assert "业主确认" not in text(client.get(f"/bulletins/{notice.id}"))
    refused = client.post(f"/bulletins/{notice.id}/remind", follow_redirects=True)
    assert "这份通报还没有发送，或无需业主确认" in text(refused)
    assert "这份通报还没有发送，或无需业主确认" in text(
        client.get(f"/bulletins/{notice.id}/acknowledgements.xlsx", follow_redirects=True)
    )
