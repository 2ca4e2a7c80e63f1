"""Engineering reports each building's progress for the month: saved and corrected building by building,
with photos, refused when the values, the building, the person or the moment is wrong, and submitted once
every building whose buyers wait is reported."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest

from crm.attachments import Attachments, UploadRefused
from crm.bulletins.bulletins import bulletin_of
from crm.bulletins.models import Bulletin
from crm.platform import Platform
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from lintel.clock import SHANGHAI, FixedClock
from tests.bulletins.support import Estate, actor, estate

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def started(platform: Platform, site: Estate) -> Bulletin:
    instance_id = platform.bulletins.start_progress({"project_id": site.project.id}, actor(platform, "crc"))
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    return bulletin


def sold_in(platform: Platform, site: Estate, building: int, number: str) -> None:
    """A unit of another building signed and waiting for its keys."""
    unit = platform.records.save_unit(None, building=site.buildings[building], number=number, floor="1")
    platform.records.record_contract(None, unit=unit, number=f"X-{number}", signed_on=date(2025, 5, 1))
    platform.session.flush()


@pytest.fixture
def store(platform: Platform, tmp_path: Path) -> Attachments:
    return Attachments(platform.session, platform.clock, tmp_path, 1 << 20)


def test_a_building_is_reported_and_corrected(platform: Platform) -> None:
    site = estate(platform, "LXF", "临溪府", buildings=3)
    bulletin = started(platform, site)
    reports = platform.progress_reports
    eng = actor(platform, "eng")

    # The building whose buyers wait (1栋) comes first; nothing reported yet.
    listed = reports.buildings(bulletin)
    assert [(r.building.name, r.waiting, r.progress) for r in listed] == [
        ("1栋", True, None),
        ("2栋", False, None),
        ("3栋", False, None),
    ]
    assert [b.name for b in reports.unreported(bulletin)] == ["1栋"]

    first = site.buildings[0]
    row = reports.save(bulletin, first.id, {"milestone": "主体封顶", "percent": "65", "note": " 封顶 "}, eng)
    assert (row.milestone, row.percent, row.note, row.updated_by) == ("主体封顶", 65, "封顶", "eng")
    again = reports.save(bulletin, first.id, {"milestone": "砌体工程", "percent": 70}, eng)
    assert again.id == row.id and (again.milestone, again.percent, again.note) == ("砌体工程", 70, "")
    percents = [r.progress.percent if r.progress else None for r in reports.buildings(bulletin)]
    assert percents == [70, None, None]
    assert reports.unreported(bulletin) == []


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({}, {"milestone": "required", "percent": "required"}),
        ({"milestone": "快完工了", "percent": 50}, {"milestone": "must be one of the milestones: "}),
        ({"milestone": "主体施工", "percent": 101}, {"percent": "must be a whole number from 0 to 100"}),
        ({"milestone": "主体施工", "percent": -1}, {"percent": "must be a whole number from 0 to 100"}),
        ({"milestone": "主体施工", "percent": "六十"}, {"percent": "must be a whole number from 0 to 100"}),
        ({"milestone": "主体施工", "percent": 60.5}, {"percent": "must be a whole number from 0 to 100"}),
        ({"milestone": "主体施工", "percent": True}, {"percent": "must be a whole number from 0 to 100"}),
        ({"milestone": "主体施工", "percent": 60, "note": "很" * 2001}, {"note": "must be at most 2000"}),
        ({"milestone": "主体施工", "percent": 60, "note": 5}, {"note": "must be text"}),
        ({"milestone": "主体施工", "percent": 60, "floors": 18}, {"floors": "unknown field"}),
    ],
)
def test_bad_values_are_refused_and_nothing_is_kept(
    platform: Platform, values: dict[str, object], fields: dict[str, str]
) -> None:
    site = estate(platform, "LXF", "临溪府")
    bulletin = started(platform, site)
    with pytest.raises(InvalidData) as refused:
        platform.progress_reports.save(bulletin, site.buildings[0].id, values, actor(platform, "eng"))
    assert set(refused.value.fields) == set(fields)
    for name, message in fields.items():
        assert refused.value.fields[name].startswith(message)
    assert [r.progress for r in platform.progress_reports.buildings(bulletin)] == [None]


def test_only_the_projects_buildings(platform: Platform, store: Attachments) -> None:
    site = estate(platform, "LXF", "临溪府")
    other = estate(platform, "YJY", "云境园", phone_base=200)
    bulletin = started(platform, site)
    eng = actor(platform, "eng")
    values = {"milestone": "主体施工", "percent": 40}
    with pytest.raises(NotFound, match="is not a building of 临溪府"):
        platform.progress_reports.save(bulletin, other.buildings[0].id, values, eng)
    with pytest.raises(NotFound):
        platform.progress_reports.save(bulletin, 2**40, values, eng)
    with pytest.raises(NotFound):
        platform.progress_reports.add_photos(
            bulletin, other.buildings[0].id, [("a.jpg", io.BytesIO(JPEG))], eng, store
        )


def test_engineering_or_an_overseer_reports_nobody_else(platform: Platform) -> None:
    site = estate(platform, "LXF", "临溪府")
    bulletin = started(platform, site)
    reports = platform.progress_reports
    building = site.buildings[0].id
    for name in ("design", "crc"):  # another department; the centre's coordinator
        who = actor(platform, name)
        assert not reports.may_report(bulletin, who)
        with pytest.raises(Forbidden, match="only members of 'engineering' or a supervisor"):
            reports.save(bulletin, building, {"milestone": "主体施工", "percent": 40}, who)
    for name, percent in (("eng", 40), ("eng_mgr", 41), ("crc_sup", 42), ("group_crc", 43), ("admin", 44)):
        who = actor(platform, name)
        assert reports.may_report(bulletin, who)
        row = reports.save(bulletin, building, {"milestone": "主体施工", "percent": percent}, who)
        assert row.percent == percent


def test_photos_of_a_building(platform: Platform, store: Attachments) -> None:
    site = estate(platform, "LXF", "临溪府", buildings=2)
    bulletin = started(platform, site)
    reports = platform.progress_reports
    eng = actor(platform, "eng")
    first, second = (b.id for b in site.buildings)
    kept = reports.add_photos(
        bulletin, first, [("东立面.jpg", io.BytesIO(JPEG)), ("塔吊.jpg", io.BytesIO(JPEG))], eng, store
    )
    reports.add_photos(bulletin, second, [("2栋.jpg", io.BytesIO(JPEG))], eng, store)
    photos = reports.photos(bulletin, store)
    assert {k: [a.filename for a in v] for k, v in photos.items()} == {
        first: ["东立面.jpg", "塔吊.jpg"],
        second: ["2栋.jpg"],
    }
    with pytest.raises(UploadRefused, match="only .jpg, .jpeg, .png, .webp files are accepted"):
        reports.add_photos(bulletin, first, [("进度.pdf", io.BytesIO(b"%PDF-1.4"))], eng, store)
    with pytest.raises(UploadRefused, match="the content is not a .jpg file"):
        reports.add_photos(bulletin, first, [("假照片.jpg", io.BytesIO(b"MZ" + b"\x00" * 50))], eng, store)
    with pytest.raises(InvalidData, match="send at least one photo"):
        reports.add_photos(bulletin, first, [], eng, store)
    with pytest.raises(Forbidden):
        reports.add_photos(bulletin, first, [("a.jpg", io.BytesIO(JPEG))], actor(platform, "design"), store)

    path = reports.remove_photo(bulletin, kept[0].token, eng, store)
    assert path.is_file()  # the caller deletes it once the removal is committed
    assert [a.filename for a in reports.photos(bulletin, store)[first]] == ["塔吊.jpg"]
    with pytest.raises(NotFound):
        reports.remove_photo(bulletin, kept[0].token, eng, store)
    with pytest.raises(NotFound):
        reports.remove_photo(bulletin, "not-a-token", eng, store)


def test_submitting_needs_every_building_whose_buyers_wait(platform: Platform, store: Attachments) -> None:
    site = estate(platform, "LXF", "临溪府", buildings=3)
    sold_in(platform, site, 1, "0101")
    bulletin = started(platform, site)
    reports = platform.progress_reports
    eng = actor(platform, "eng")
    with pytest.raises(InvalidData, match="report at least one building"):
        reports.submit(bulletin, "", eng)
    reports.save(bulletin, site.buildings[0].id, {"milestone": "主体封顶", "percent": 65}, eng)
    with pytest.raises(InvalidData) as refused:
        reports.submit(bulletin, "", eng)
    assert refused.value.fields == {"progress": "not reported: 2栋"}
    assert [b.name for b in reports.unreported(bulletin)] == ["2栋"]
    # Not even an overseer who is not of engineering completes engineering's step.
    reports.save(bulletin, site.buildings[1].id, {"milestone": "主体施工", "percent": 30}, eng)
    with pytest.raises(Forbidden):
        reports.submit(bulletin, "", actor(platform, "crc_sup"))

    step = reports.submit(bulletin, "3栋尚未开工", eng)
    assert (step.state, step.completed_by, step.assignee) == ("completed", "eng", "eng")
    assert bulletin.status == "drafting" and "2栋：主体施工，整体完成30%。" in bulletin.body

    # Once submitted, nothing of it changes any more.
    values = {"milestone": "主体封顶", "percent": 70}
    with pytest.raises(Conflict, match="the progress of this notice was already submitted"):
        reports.save(bulletin, site.buildings[0].id, values, eng)
    with pytest.raises(Conflict, match="already submitted"):
        reports.add_photos(bulletin, site.buildings[0].id, [("a.jpg", io.BytesIO(JPEG))], eng, store)
    with pytest.raises(Conflict, match="already submitted"):
        reports.submit(bulletin, "", eng)
    assert not reports.may_report(bulletin, eng)


def test_a_design_change_has_no_progress(platform: Platform) -> None:
    site = estate(platform, "LXF", "临溪府")
    instance_id = platform.bulletins.start_design_change(
        {"project_id": site.project.id, "building_ids": [site.buildings[0].id], "title": "景观调整"},
        actor(platform, "crc"),
    )
    bulletin = bulletin_of(platform.session, instance_id)
    assert bulletin is not None
    with pytest.raises(Conflict, match="a design-change notice has no progress"):
        platform.progress_reports.save(
            bulletin, site.buildings[0].id, {"milestone": "主体施工", "percent": 1}, actor(platform, "eng")
        )


def test_last_months_progress_is_the_starting_point(platform: Platform, clock: FixedClock) -> None:
    site = estate(platform, "LXF", "临溪府", buildings=2)
    eng = actor(platform, "eng")
    clock.set(datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))
    october = started(platform, site)
    values = {"milestone": "主体施工", "percent": 55}
    platform.progress_reports.save(october, site.buildings[0].id, values, eng)
    platform.progress_reports.submit(october, "", eng)

    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    november = started(platform, site)
    assert platform.progress_reports.previous_notice(november) is october
    listed = platform.progress_reports.buildings(november)
    assert [(r.previous.milestone, r.previous.percent) if r.previous else None for r in listed] == [
        ("主体施工", 55),
        None,
    ]
    assert [r.progress for r in listed] == [None, None]
