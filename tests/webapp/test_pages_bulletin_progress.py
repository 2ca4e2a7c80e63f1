"""工程进度填报 as engineering meets it on site: a card per building saved with its photos, mistakes shown
beside the field with nothing kept, the notice's page showing the photos, submitting once every building
whose buyers wait is in; and what others see."""

from __future__ import annotations

import io
from typing import Any

import pytest

from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.models import Bulletin
from crm.platform import Platform
from tests.bulletins.support import Estate, estate
from tests.webapp.pages_support import actor, login, text

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def notice(platform: Platform, buildings: int = 2) -> tuple[Estate, Bulletin]:
    site = estate(platform, "LXF", "临溪府", buildings=buildings)
    instance_id = platform.bulletins.start_progress({"project_id": site.project.id}, actor(platform, "crc"))
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    platform.session.commit()
    return site, bulletin


def save(client: Any, bulletin: Bulletin, building_id: int, **values: Any) -> Any:
    data = {"milestone": "", "percent": "", "note": "", **values}
    return client.post(
        f"/bulletins/{bulletin.id}/progress/{building_id}", data=data, content_type="multipart/form-data"
    )


def test_engineering_reports_each_building_with_photos_and_submits(client: Any, platform: Platform) -> None:
    site, bulletin = notice(platform)
    first, second = site.buildings
    login(client, "eng")
    page = client.get(f"/bulletins/{bulletin.id}/progress")
    shown = text(page)
    assert page.status_code == 200
    assert "填报期限" in shown and "2026-11-27" in shown  # five working days after it started
    assert "0 / 2 栋" in shown and "有业主待交房" in shown
    html = page.get_data(as_text=True)
    assert 'accept="image/*" capture="environment" multiple' in html
    assert 'type="number" id="percent-' in html and 'type="range"' in html

    saved = save(
        client,
        bulletin,
        first.id,
        milestone="主体封顶",
        percent="65",
        note="18层封顶",
        photos=[(io.BytesIO(JPEG), "东立面.jpg"), (io.BytesIO(JPEG), "塔吊.jpg")],
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#building-{first.id}")
    after = client.get(saved.headers["Location"])
    assert "已保存1栋的进度和 2 张照片。" in text(after)
    assert "1 / 2 栋" in text(after) and after.get_data(as_text=True).count('alt="东立面.jpg"') == 1

    # Submitting now: 1栋 is in, 2栋 has no buyers waiting: the step completes and the notice is drafted.
    done = client.post(f"/bulletins/{bulletin.id}/progress/submit", data={"progress_note": "2栋暂未开工"})
    assert done.status_code == 302 and done.headers["Location"] == f"/bulletins/{bulletin.id}"
    page = client.get(done.headers["Location"])
    shown = text(page)
    assert "已提交本月工程进度" in shown and "起草中" in shown
    assert "1栋 主体封顶 65% 18层封顶" in shown
    html = page.get_data(as_text=True)
    assert html.count('alt="塔吊.jpg"') == 1
    assert f'href="/bulletins/{bulletin.id}/progress"' not in html  # nothing left to report

    # Afterwards the figures stand: the progress page shows them, with no form.
    again = client.get(f"/bulletins/{bulletin.id}/progress")
    assert "本月进度已提交" in text(again) and "<form" not in again.get_data(as_text=True).split("<main")[-1]
    refused = save(client, bulletin, first.id, milestone="竣工验收", percent="100")
    assert refused.status_code == 302
    assert "本月进度已提交，不能再修改。" in text(client.get(refused.headers["Location"]))


def test_a_mistake_is_shown_beside_its_field_and_nothing_is_kept(client: Any, platform: Platform) -> None:
    site, bulletin = notice(platform)
    first = site.buildings[0]
    login(client, "eng")
    bad = save(client, bulletin, first.id, milestone="主体封顶", percent="120", note="封顶")
    assert bad.status_code == 422
    shown = text(bad)
    assert "1栋的进度有误" in shown and "请填写 0 到 100 之间的整数。" in shown
    html = bad.get_data(as_text=True)
    assert 'value="120"' in html and ">封顶</textarea>" in html  # what was typed stays
    assert "0 / 2 栋" in shown

    # Good figures with a file that is not a photo: neither is kept.
    bad = save(
        client,
        bulletin,
        first.id,
        milestone="主体封顶",
        percent="60",
        photos=[(io.BytesIO(b"%PDF-1.4 ..."), "进度表.pdf")],
    )
    assert bad.status_code == 422 and "只接受 .jpg, .jpeg, .png, .webp 文件" in text(bad)
    assert "0 / 2 栋" in text(bad)
    platform.session.expire_all()
    assert platform.progress_reports.photos(bulletin, _store(client)) == {}

    missing = save(client, bulletin, first.id, percent="60")
    assert missing.status_code == 422 and "必填" in text(missing)

    # Submitting before the building whose buyers wait is reported is refused, saying which.
    save(client, bulletin, site.buildings[1].id, milestone="桩基工程", percent="10")
    refused = client.post(f"/bulletins/{bulletin.id}/progress/submit", data={})
    assert refused.status_code == 302
    shown = text(client.get(refused.headers["Location"]))
    assert "有业主待交房的楼栋须全部填报。" in shown and "尚未填报：1栋" in shown


def _store(client: Any) -> Any:
    from flask import g

    from webapp.pages.common import attachments

    with client.application.test_request_context():
        g.pop("attachments", None)
        return attachments()


def test_a_photo_is_removed(client: Any, platform: Platform) -> None:
    site, bulletin = notice(platform)
    first = site.buildings[0]
    login(client, "eng")
    save(
        client,
        bulletin,
        first.id,
        milestone="主体施工",
        percent="30",
        photos=[(io.BytesIO(JPEG), "模糊.jpg"), (io.BytesIO(JPEG), "清楚.jpg")],
    )
    [blurred, _clear] = platform.progress_reports.photos(bulletin, _store(client))[first.id]
    removed = client.post(
        f"/bulletins/{bulletin.id}/progress/photos/{blurred.token}/remove", data={"building": str(first.id)}
    )
    assert removed.status_code == 302 and removed.headers["Location"].endswith(f"#building-{first.id}")
    page = client.get(removed.headers["Location"])
    assert "已删除照片。" in text(page)
    html = page.get_data(as_text=True)
    assert 'alt="模糊.jpg"' not in html and 'alt="清楚.jpg"' in html
    assert client.get(f"/attachments/{blurred.token}").status_code == 404


def test_others_see_the_progress_but_do_not_report_it(client: Any, platform: Platform) -> None:
    site, bulletin = notice(platform)
    login(client, "design")  # a handler, of another department
    page = client.get(f"/bulletins/{bulletin.id}/progress")
    assert page.status_code == 200
    assert "只有工程部成员或主管可以填报进度。" in text(page) and "保存1栋" not in text(page)
    refused = save(client, bulletin, site.buildings[0].id, milestone="主体施工", percent="30")
    assert refused.status_code == 302
    assert "只有工程部成员或主管可以填报进度。" in text(client.get(refused.headers["Location"]))
    link = f'href="/bulletins/{bulletin.id}/progress"'
    assert link not in client.get(f"/bulletins/{bulletin.id}").get_data(as_text=True)

    # The centre's supervisor oversees: corrects a building's figures, while the step stays engineering's.
    login(client, "crc_sup")
    assert save(client, bulletin, site.buildings[0].id, milestone="主体施工", percent="30").status_code == 302
    page = text(client.get(f"/bulletins/{bulletin.id}/progress"))
    assert "1 / 2 栋" in page and "进度由工程部成员提交" in page and "提交进度" not in page

    login(client, "crc")  # the coordinator does not hold the permission at all
    assert client.get(f"/bulletins/{bulletin.id}/progress").status_code == 403


def test_the_task_page_leads_to_the_progress_page(client: Any, platform: Platform) -> None:
    _site, bulletin = notice(platform)
    [step] = [t for t in platform.tasks.open_tasks_of(bulletin.instance_id or 0) if t.kind == "task"]
    login(client, "eng")
    page = client.get(f"/tasks/{step.id}")
    assert "在通报页填报进度" in text(page)
    assert f'href="/bulletins/{bulletin.id}/progress"' in page.get_data(as_text=True)
    notice_page = client.get(f"/bulletins/{bulletin.id}")
    assert f'href="/bulletins/{bulletin.id}/progress"' in notice_page.get_data(as_text=True)


def test_a_design_change_has_no_progress_page(client: Any, platform: Platform) -> None:
    site = estate(platform, "LXF", "临溪府")
    instance_id = platform.bulletins.start_design_change(
        {"project_id": site.project.id, "building_ids": [site.buildings[0].id], "title": "景观调整"},
        actor(platform, "crc"),
    )
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    platform.session.commit()
    login(client, "eng")
    page = client.get(f"/bulletins/{bulletin.id}/progress")
    assert page.status_code == 302 and page.headers["Location"] == f"/bulletins/{bulletin.id}"
    assert "规划设计变更通报没有工程进度。" in text(client.get(page.headers["Location"]))
