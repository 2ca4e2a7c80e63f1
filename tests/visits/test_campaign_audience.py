"""A campaign's audience: each filter picks exactly the owners it names; cancelled purchases, former owners
and owners who turned return visits off are never visited; four-year and thematic visit an owner once."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from crm.estate.models import Ownership
from crm.messaging.models import OwnerNoticePreference
from crm.models import Complaint
from crm.platform import Platform
from crm.visits.models import Visit
from engine.errors import InvalidData
from lintel.clock import SHANGHAI
from tests.visits.campaign_support import Site, actor, campaign, site

D = date


def _estate(platform: Platform) -> Site:
    return site(
        platform,
        "AUD",
        buildings=2,
        plan=[
            ("signed", D(2025, 1, 10), None),  # 0101, building 1
            ("signed", D(2025, 6, 10), None),  # 0201, building 2
            ("handed_over", D(2024, 3, 1), D(2026, 3, 1)),  # 0301, building 1
            ("handed_over", D(2024, 3, 1), D(2026, 9, 1)),  # 0401, building 2
            ("cancelled", D(2025, 1, 10), D(2026, 1, 1)),  # 0501: never visited
        ],
    )


def _units(platform: Platform, **audience: object) -> set[str]:
    preview = platform.campaigns.preview("post_handover", audience)
    assert preview.count == len(preview.sample)
    return {s.unit.split()[-1] for s in preview.sample}


def test_each_filter_picks_exactly_its_owners(platform: Platform) -> None:
    s = _estate(platform)
    mine = {"project_ids": [s.project.id]}
    assert _units(platform, **mine) == {"0101", "0201", "0301", "0401"}
    assert _units(platform, **mine, building_ids=[s.buildings[1].id]) == {"0201", "0401"}
    assert _units(platform, **mine, signed_from="2025-01-01", signed_to="2025-12-31") == {"0101", "0201"}
    assert _units(platform, **mine, handed_over_from="2026-08-01") == {"0401"}
    assert _units(platform, **mine, handed_over_to="2026-03-01") == {"0301"}


def test_owners_with_complaints_and_owners_not_visited_lately(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    s = _estate(platform)
    mine = {"project_ids": [s.project.id]}
    complainer = s.owners["0201"]
    platform.session.add(
        Complaint(
            number="TS-TEST-1",
            channel="hotline",
            owner_id=complainer.id,
            unit_id=s.units[1].id,
            description="漏水",
            status="closed",
            created_at=clock.now(),
        )
    )
    platform.session.flush()
    assert _units(platform, **mine, with_complaints=True) == {"0201"}

    # 0101 answered a visit two months ago, 0301 one a year ago: "not visited in 6 months" leaves out 0101.
    earlier = campaign(platform, audience=mine)
    for number, answered in (
        ("0101", datetime(2026, 9, 20, tzinfo=SHANGHAI)),
        ("0301", datetime(2025, 11, 1, tzinfo=SHANGHAI)),
    ):
        unit = next(u for u in s.units if u.number == number)
        platform.session.add(
            Visit(
                campaign_id=earlier.id,
                owner_id=s.owners[number].id,
                unit_id=unit.id,
                status="answered",
                answered_at=answered,
                created_at=answered,
            )
        )
    platform.session.flush()
    assert _units(platform, **mine, not_visited_months=6) == {"0201", "0301", "0401"}
    assert _units(platform, **mine, not_visited_months=13) == {"0201", "0401"}


def test_former_owners_and_owners_who_opted_out_are_left_out(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    s = _estate(platform)
    mine = {"project_ids": [s.project.id]}
    platform.session.add(
        OwnerNoticePreference(
            owner_id=s.owners["0101"].id,
            kind="visit.questionnaire",
            channels="",
            updated_at=clock.now(),
            updated_by="owner",
        )
    )
    # An owner who keeps the messages but by SMS only is still visited.
    platform.session.add(
        OwnerNoticePreference(
            owner_id=s.owners["0201"].id,
            kind="visit.questionnaire",
            channels="sms",
            updated_at=clock.now(),
            updated_by="owner",
        )
    )
    sold_on = platform.session.get(Ownership, (s.owners["0301"].id, s.units[2].id))
    assert sold_on is not None
    sold_on.ended_on = D(2026, 10, 1)
    platform.session.flush()
    assert _units(platform, **mine) == {"0201", "0401"}


def test_four_year_visits_an_owner_once_about_their_contact_unit(platform: Platform) -> None:
    s = _estate(platform)
    # The owner of 0401 (its contact owner) also co-owns 0101, whose contact owner is another.
    two_units = s.owners["0401"]
    platform.records.add_owner_to_unit(two_units, s.units[0])
    platform.session.flush()
    mine = {"project_ids": [s.project.id]}
    per_unit = platform.campaigns.preview("post_handover", mine)
    per_owner = platform.campaigns.preview("four_year", mine)
    assert per_unit.count == 5  # 0101 has two owners now
    assert per_owner.count == 4
    assert [x.unit.split()[-1] for x in per_owner.sample if x.owner_id == two_units.id] == ["0401"]


def test_launch_writes_exactly_the_previewed_visits(platform: Platform) -> None:
    s = _estate(platform)
    mine = {"project_ids": [s.project.id], "building_ids": [s.buildings[0].id]}
    c = campaign(platform, audience=mine)
    platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    visits = platform.session.scalars(select(Visit).where(Visit.campaign_id == c.id)).all()
    assert sorted(v.unit.number for v in visits) == ["0101", "0301"]
    assert {v.status for v in visits} == {"queued"}
    assert c.total == 2 and c.status == "launching"


@pytest.mark.parametrize(
    ("audience", "field"),
    [
        ({"project_ids": [999999]}, "project_ids"),
        ({"building_ids": [999999]}, "building_ids"),
        ({"signed_from": "2026-13-01"}, "signed_from"),
        ({"handed_over_from": "2026-05-01", "handed_over_to": "2026-04-01"}, "handed_over_to"),
        ({"not_visited_months": "six"}, "not_visited_months"),
        ({"project_ids": "all"}, "project_ids"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_filter_is_refused_with_its_field(platform: Platform, audience: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidData) as refused:
        platform.campaigns.preview("thematic", audience)
    assert field in refused.value.fields
