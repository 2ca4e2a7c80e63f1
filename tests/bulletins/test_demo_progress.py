"""`lintel demo`: this month's progress notices of the projects under construction, one reported in full and
submitted, a larger one half reported and still open — so 业主通报 is not empty — and played once only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.bulletins.models import Bulletin
from crm.platform import Foundation, Platform
from tests.bulletins.support import Estate, estate
from webapp.demo import load_demo_progress


def sell_in_every_building(platform: Platform, site: Estate) -> None:
    for index, building in enumerate(site.buildings[1:], start=1):
        unit = platform.records.save_unit(None, building=building, number="0101", floor="1")
        number = f"{site.project.code}-B{index}"
        platform.records.record_contract(None, unit=unit, number=number, signed_on=date(2025, 5, 1))


def test_the_demo_shows_progress_notices_at_work(
    session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    with session_factory() as session:
        platform = Platform(session, foundation)
        small = estate(platform, "HGL", "湖光里", buildings=2)
        large = estate(platform, "LXF", "临溪府", buildings=6, phone_base=100)
        for site in (small, large):
            sell_in_every_building(platform, site)
        estate(platform, "HPY", "湖畔苑", waiting=0, handed_over=2, phone_base=200)  # all handed over
        session.commit()

    assert load_demo_progress(session_factory, foundation) >= 2
    with session_factory() as session:
        platform = Platform(session, foundation)
        notices = {b.project.name: b for b in session.scalars(select(Bulletin))}
        assert "湖畔苑" not in notices
        drafted, open_ = notices["湖光里"], notices["临溪府"]
        assert (drafted.period, drafted.status, drafted.created_by) == ("2026-11", "drafting", "system")
        assert "1栋：主体封顶，整体完成62%。" in drafted.body
        assert open_.status == "progress"
        reports = platform.progress_reports.buildings(open_)
        assert [r.building.name for r in reports if r.progress] == ["1栋", "2栋", "3栋"]
        assert [b.name for b in platform.progress_reports.unreported(open_)] == ["4栋", "5栋", "6栋"]

    assert load_demo_progress(session_factory, foundation) == 0  # never twice
