"""A campaign's results on a hand-built set whose right figures are written here, and its XLSX workbook read
back: reached %, attempts, each question's average and distribution, NPS, choices, the dissatisfied visit with
its complaint, the comments."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from crm.platform import Platform
from crm.visits.models import Campaign, Visit
from crm.visits.online import owner_actor
from crm.visits.results import CampaignResults
from crm.visits.results_book import workbook
from tests.bulletins.support import estate
from tests.visits.online_support import add_visits, campaign


def answers(
    handover: int, quality: int, rect: int, prop: int, overall: str, nps: int, comment: str = ""
) -> Any:
    return {
        "q_handover": str(handover),
        "q_quality": str(quality),
        "q_rectification": str(rect),
        "q_property": str(prop),
        "overall": overall,
        "nps": str(nps),
        "comment": comment,
    }


@pytest.fixture
def made(platform: Platform) -> tuple[Campaign, list[Visit]]:
    """Eight visits of a phone campaign: four answered (reached on the 1st, 2nd, 3rd and 1st call), one
    given up, one refused, one open, one still queued."""
    site = estate(platform, "LXF", "临溪府", waiting=0, handed_over=8)
    people = [(owner, site.units[number]) for number, owner in site.handed_over.items()]
    c = campaign(platform, method="phone")
    visits = add_visits(platform, c, people, start=False)
    plan: list[tuple[str, int, Any]] = [
        ("answered", 1, answers(5, 4, 4, 5, "satisfied", 10, "很好")),
        ("answered", 2, answers(4, 4, 3, 4, "satisfied", 9)),
        ("answered", 3, answers(2, 3, 3, 3, "neutral", 8, "整改太慢")),
        ("answered", 1, answers(5, 5, 5, 5, "satisfied", 6)),
        ("given_up", 3, None),
        ("refused", 1, None),
        ("open", 0, None),
        ("queued", 0, None),
    ]
    for visit, (status, attempts, given) in zip(visits, plan, strict=True):
        visit.attempts = attempts
        if given is not None:
            platform.visits.save_answers(visit, given, owner_actor(visit.owner_id))
        visit.status = status
    platform.session.flush()
    return c, visits


def test_the_campaigns_figures(platform: Platform, made: tuple[Campaign, list[Visit]]) -> None:
    c, visits = made
    r = CampaignResults(platform.session).of(c.id)

    assert (r.total, r.answered, r.reached) == (8, 4, 50.0)
    assert r.reached_on == {0: 0, 1: 2, 2: 1, 3: 1}
    assert (r.given_up, r.refused, r.open) == (1, 1, 2)
    by_name = {q.name: q for q in r.questions}
    handover = by_name["q_handover"]
    assert (handover.answers, handover.average) == (4, 4.0)
    assert handover.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 2}
    assert by_name["q_rectification"].average == 3.75
    assert by_name["q_property"].distribution == {1: 0, 2: 0, 3: 1, 4: 1, 5: 2}
    # NPS: 10 and 9 promote, 8 is passive, 6 detracts: (2 − 1) ÷ 4 = 25 points.
    assert r.nps is not None and (r.nps.promoters, r.nps.passives, r.nps.detractors) == (2, 1, 1)
    assert r.nps.score == 25.0
    assert by_name["overall"].choices == [
        ("satisfied", "满意", 3),
        ("neutral", "一般", 1),
        ("dissatisfied", "不满意", 0),
    ]
    # The third visit's 2 opened a complaint; it is listed with it.
    assert r.dissatisfied_count == 1
    [unhappy] = r.dissatisfied
    assert unhappy.visit_id == visits[2].id and unhappy.lowest_score == 2
    assert unhappy.complaint_number is not None and unhappy.complaint_number.startswith("TS-")
    assert unhappy.complaint_status == "triage"  # waiting for the centre to route it
    assert sorted(cm.text for cm in r.comments) == ["很好", "整改太慢"] and r.comment_count == 2


def test_an_empty_campaign_has_no_figures_rather_than_errors(platform: Platform) -> None:
    c = campaign(platform)
    r = CampaignResults(platform.session).of(c.id)
    assert (r.total, r.reached, r.dissatisfied, r.comments) == (0, None, [], [])
    assert r.nps is not None and r.nps.score is None
    assert all(q.average is None for q in r.questions if q.kind == "rating")


def test_the_workbook_holds_every_table_and_one_row_per_visit(
    platform: Platform, made: tuple[Campaign, list[Visit]]
) -> None:
    c, visits = made
    service = CampaignResults(platform.session)
    content = workbook(service, service.of(c.id), platform.clock.now())
    book = load_workbook(BytesIO(content), read_only=True)
    assert book.sheetnames == [
        "概况",
        "回访次数",
        "各题评分",
        "净推荐值",
        "选项统计",
        "不满意",
        "意见建议",
        "回访明细",
    ]

    summary = {row[0]: row[1:] for row in book["概况"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert summary["回访总数"][0] == 8 and summary["已完成"][0] == 4
    assert summary["回访成功率（已完成 ÷ 回访总数）"][1] == 0.5
    assert summary["净推荐值（推荐者% − 贬损者%）"][0] == 25.0

    scores = {row[0]: row for row in book["各题评分"].iter_rows(min_row=4, values_only=True)}
    assert scores["交付流程与现场服务"][1:] == (4, 4.0, 0, 1, 0, 1, 2)

    [unhappy] = list(book["不满意"].iter_rows(min_row=4, values_only=True))
    assert unhappy[0] == visits[2].owner.name and unhappy[3] == 2 and str(unhappy[4]).startswith("TS-")

    header, *rows = list(book["回访明细"].iter_rows(min_row=3, values_only=True))
    assert len(rows) == 8
    assert header[:5] == ("业主", "项目", "楼栋", "房号", "状态") and "总体评价" in header
    first = dict(zip(header, rows[0], strict=True))
    assert first["状态"] == "已完成" and first["回访次数"] == 1 and first["总体评价"] == "满意"
    assert first["交付流程与现场服务"] == 5 and first["您的意见和建议"] == "很好"
    assert dict(zip(header, rows[7], strict=False))["状态"] == "待发起"  # read-only drops trailing blanks
