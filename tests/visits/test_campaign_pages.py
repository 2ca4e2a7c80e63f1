"""/campaigns: the list under 客户回访, a new campaign's form with its audience previewed (the htmx panel and
the plain 预览名单), refused field by field in Chinese; a campaign's page with its audience, progress,
buttons and visits by status and visitor, a page at a time."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from crm.visits.launch import Launcher
from crm.visits.models import Campaign
from tests.visits.campaign_support import questionnaire, site
from tests.webapp.pages_support import login, text
from tests.webapp.test_pages_chinese import ALLOWED, foreign_words


def _form(platform: Platform, project_id: int, **more: object) -> dict[str, object]:
    return {
        "name": "湖畔交付回访",
        "kind": "thematic",
        "method": "phone",
        "questionnaire_id": str(questionnaire(platform).id),
        "visit_days": "5",
        "visitors": ["crc", "crc_sup"],
        "script": "您好，这里是客户关系中心。",
        "project_ids": [str(project_id)],
        "handed_over_from": "2026-01-01",
        **more,
    }


def test_a_campaign_is_drafted_with_its_preview_and_launched(  # type: ignore[no-untyped-def]
    app, client, platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    s = site(
        platform,
        "PGE",
        plan=[("handed_over", date(2024, 1, 1), date(2026, 5, 1))] * 55
        + [("signed", date(2025, 1, 1), None)],
    )
    platform.session.commit()
    login(client, "crc_sup")
    assert "客户回访" in text(client.get("/"))
    form = client.get("/campaigns/new")
    assert form.status_code == 200 and "回访对象" in text(form)

    panel = client.get(
        f"/campaigns/preview?kind=thematic&project_ids={s.project.id}&handed_over_from=2026-01-01"
    )
    shown = text(panel)
    assert "55 位业主" in shown and "PGE业主1" in shown and "137****0000" in shown
    assert "仅显示前 20 位" in shown
    plain = client.get(f"/campaigns/new?kind=thematic&project_ids={s.project.id}&signed_from=2026-02-30")
    assert "日期格式不正确" in text(plain)

    refused = client.post("/campaigns/new", data=_form(platform, s.project.id, name="", visitors=[]))
    assert refused.status_code == 422
    assert "请填写活动名称" in text(refused) and "请至少选择一名回访人" in text(refused)

    saved = client.post("/campaigns/new", data=_form(platform, s.project.id))
    assert saved.status_code == 302
    campaign = platform.session.scalars(select(Campaign).where(Campaign.name == "湖畔交付回访")).one()
    page = client.get(saved.headers["Location"])
    assert "草稿" in text(page) and "发起回访" in text(page) and "PGE花园" in text(page)

    launched = client.post(f"/campaigns/{campaign.id}/launch", follow_redirects=True)
    assert "已发起" in text(launched) and "正在发起" in text(launched)
    assert 'hx-trigger="every 2s"' in launched.get_data(as_text=True)
    again = client.post(f"/campaigns/{campaign.id}/launch", follow_redirects=True)
    assert "已经发起过了" in text(again)

    Launcher(session_factory, lambda x: Platform(x, foundation).runtime, foundation.clock).run_once()
    page = client.get(f"/campaigns/{campaign.id}")
    shown = text(page)
    assert "进行中" in shown and "共 55 条" in shown and "第 1 / 2 页" in shown and "待回访" in shown
    assert f'href="/campaigns/{campaign.id}/results"' in page.get_data(as_text=True)
    words, _links = foreign_words(page.get_data(as_text=True), ALLOWED | {"PGE"})
    assert words == []
    second = text(client.get(f"/campaigns/{campaign.id}?page=2"))
    assert "第 2 / 2 页" in second
    mine = text(client.get(f"/campaigns/{campaign.id}?visitor=crc&visit_status=open"))
    assert "共 27 条" in mine or "共 28 条" in mine
    listed = text(client.get("/campaigns"))
    assert "湖畔交付回访" in listed and "已发起 55 / 55" in listed and "专题回访" in listed

    finished = client.post(f"/campaigns/{campaign.id}/finish", follow_redirects=True)
    assert "已结束" in text(finished)


def test_only_the_centre_manages_campaigns(app, client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "eng")
    assert client.get("/campaigns").status_code == 200
    assert client.get("/campaigns/new").status_code == 403
