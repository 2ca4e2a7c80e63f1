"""The satisfaction figure on a hand-built set whose right answers are written here: complaint ratings and
visit ratings counted together per project, department and month, NPS from the visits that asked it, each
figure with its numerator and denominator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from crm.models import Complaint, RequestRating
from crm.platform import Platform
from crm.visits.models import VisitAnswer
from crm.visits.satisfaction import Satisfaction
from lintel.clock import SHANGHAI
from tests.bulletins.support import actor, estate
from tests.visits.online_support import add_visits, campaign


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def scored(platform: Platform) -> dict[str, Any]:
    """Project 临溪府: two closed complaints rated 5 (工程部, October) and 2 (property, November 30th at
    23:30 Shanghai — still November there, December 1st nowhere); one visit answered in November with ratings
    4, 4, 3, 5 and NPS 10. Project 云境园: one visit answered in October with ratings 2, 2, 1, 1 and NPS 3,
    one answered in December (outside the period)."""
    lxf = estate(platform, "LXF", "临溪府", waiting=0, handed_over=3)
    yjy = estate(platform, "YJY", "云境园", waiting=0, handed_over=2, phone_base=100)
    crc = actor(platform, "crc")
    ratings = [("0101", "engineering", 5, at("2026-10-12")), ("0102", "property", 2, at("2026-11-30", 23))]
    for number, department, score, when in ratings:
        owner = lxf.handed_over[number]
        complaint: Complaint = platform.complaints.register(
            crc, channel="hotline", description="漏水", owner_id=owner.id, unit_id=lxf.units[number].id
        )
        complaint.department = department
        assert complaint.instance_id is not None
        platform.session.add(RequestRating(instance_id=complaint.instance_id, score=score, rated_at=when))
    c = campaign(platform, method="phone")
    people = [
        (lxf.handed_over["0201"], lxf.units["0201"]),
        (yjy.handed_over["0101"], yjy.units["0101"]),
        (yjy.handed_over["0102"], yjy.units["0102"]),
    ]
    visits = add_visits(platform, c, people, start=False)
    given = [
        (at("2026-11-05"), (4, 4, 3, 5), 10),
        (at("2026-10-20"), (2, 2, 1, 1), 3),
        (at("2026-12-02"), (5, 5, 5, 5), 10),
    ]
    for visit, (when, scores, nps) in zip(visits, given, strict=True):
        visit.status, visit.answered_at, visit.nps = "answered", when, nps
        for question, score in zip(
            ("q_handover", "q_quality", "q_rectification", "q_property"), scores, strict=True
        ):
            platform.session.add(
                VisitAnswer(visit_id=visit.id, question=question, campaign_id=c.id, score=score)
            )
        platform.session.add(VisitAnswer(visit_id=visit.id, question="nps", campaign_id=c.id, score=nps))
        platform.session.add(
            VisitAnswer(visit_id=visit.id, question="overall", campaign_id=c.id, value="satisfied")
        )
    platform.session.flush()
    return {"lxf": lxf.project.id, "yjy": yjy.project.id}


def figures(platform: Platform, by: str) -> dict[Any, Any]:
    found = Satisfaction(platform.session).figures(date(2026, 10, 1), date(2026, 11, 30), by)
    return {f.key: f for f in found}


def test_by_project(platform: Platform, scored: dict[str, Any]) -> None:
    by = figures(platform, "project")
    lxf, yjy = by[scored["lxf"]], by[scored["yjy"]]
    # 临溪府: ratings 5, 2 and 4, 4, 3, 5 → 6 answers, sum 23, 4 of them ≥ 4; NPS: one promoter of one.
    assert (lxf.label, lxf.answers, lxf.score_sum, lxf.satisfied) == ("临溪府", 6, 23, 4)
    assert (lxf.complaint_ratings, lxf.visit_ratings) == (2, 4)
    assert (lxf.average_value, lxf.satisfied_pct, lxf.nps_value) == (3.83, 66.7, 100.0)
    # 云境园: 2, 2, 1, 1 (December's visit is outside the period) → average 1.5, nobody satisfied, NPS −100.
    assert (yjy.answers, yjy.score_sum, yjy.satisfied, yjy.nps_answers) == (4, 6, 0, 1)
    assert (yjy.average_value, yjy.satisfied_pct, yjy.nps_value) == (1.5, 0.0, -100.0)
    assert yjy.average.as_dict() == {"value": 1.5, "numerator": 6, "denominator": 4}
    assert yjy.nps.as_dict(100) == {"value": -100.0, "numerator": -1, "denominator": 1}


def test_by_department_the_visits_are_a_row_of_their_own(platform: Platform, scored: dict[str, Any]) -> None:
    by = figures(platform, "department")
    assert set(by) == {"engineering", "property", None}
    assert by["engineering"].label == "工程部"
    assert (by["engineering"].answers, by["engineering"].score_sum, by["engineering"].satisfied) == (1, 5, 1)
    assert (by["property"].answers, by["property"].satisfied_pct) == (1, 0.0)
    visits = by[None]
    assert visits.label == "回访评分（不分部门）"
    assert (visits.answers, visits.score_sum, visits.satisfied, visits.nps_answers) == (8, 22, 3, 2)
    assert visits.nps_value == 0.0  # one promoter, one detractor


def test_by_month_in_shanghai_time(platform: Platform, scored: dict[str, Any]) -> None:
    by = figures(platform, "month")
    assert list(by) == ["2026-10", "2026-11"]
    october, november = by["2026-10"], by["2026-11"]
    assert october.label == "2026年10月"
    # October: the rating 5 and the visit 2, 2, 1, 1; November: the rating 2 (23:30 on the 30th), 4, 4, 3, 5.
    assert (october.answers, october.score_sum, october.satisfied) == (5, 11, 1)
    assert (november.answers, november.score_sum, november.satisfied) == (5, 18, 3)


def test_the_total_adds_numerators_and_denominators(platform: Platform, scored: dict[str, Any]) -> None:
    service = Satisfaction(platform.session)
    total = service.total(service.figures(date(2026, 10, 1), date(2026, 11, 30), "project"))
    assert (total.answers, total.score_sum, total.satisfied, total.nps_answers) == (10, 29, 4, 2)
    assert total.average_value == 2.9


def test_nothing_in_the_period_is_no_figure(platform: Platform, scored: dict[str, Any]) -> None:
    assert Satisfaction(platform.session).figures(date(2025, 1, 1), date(2025, 12, 31), "month") == []
    with pytest.raises(ValueError):
        Satisfaction(platform.session).figures(date(2026, 1, 1), date(2026, 1, 2), "building")
