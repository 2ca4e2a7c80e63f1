"""Inspections, walks and the catalogue as services: a walk taken up again rather than doubled, a defect a
tablet sends twice recorded once (and no second walk started for it), the defect list the owner signs, and
the catalogue's order kept as administrators move items."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.estate.models import Building, Project, Unit
from crm.handover.capture import Capture
from crm.handover.catalogue_edit import CatalogueEditor
from crm.handover.defect_list import DefectList
from crm.handover.inspections import Inspections
from crm.handover.models import CatalogueItem, Defect, InspectionSession, UnitWalk
from crm.handover.walks import Walks
from crm.platform import Platform
from engine.errors import Conflict, InvalidData
from tests.webapp.pages_support import actor

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
def open_day(platform: Platform) -> InspectionSession:
    project = platform.session.scalars(select(Project).where(Project.code == "JNF")).one()
    first = platform.session.scalars(select(Building).where(Building.name == "1栋")).one()
    values = {
        "project_id": project.id,
        "kind": "open_day",
        "title": "开放日",
        "starts_on": "2026-11-20",
        "ends_on": "2026-11-20",
        "building_ids": [first.id],
        "inspectors": ["eng"],
    }
    return Inspections(platform.session, platform.clock).save(actor(platform, "crc"), values)


def unit(platform: Platform, number: str = "1201") -> Unit:
    return platform.session.scalars(
        select(Unit).join(Building).where(Building.name == "1栋", Unit.number == number)
    ).one()


def test_a_walk_is_taken_up_again_until_it_is_signed(
    platform: Platform, open_day: InspectionSession, tmp_path: Path
) -> None:
    walks = Walks(platform.session, platform.clock, tmp_path)
    eng = actor(platform, "eng")
    first, created = walks.start(eng, open_day, unit(platform).id, companion="张小明")
    again, created_again = walks.start(eng, open_day, unit(platform).id)
    assert created and not created_again and again.id == first.id and again.companion == "张小明"
    other, _ = walks.start(actor(platform, "crc"), open_day, unit(platform).id, companion="张小明")
    assert other.id != first.id  # another inspector walks on their own
    walks.sign(first, "张伟", PNG)
    assert (tmp_path / str(first.signature)).read_bytes() == PNG
    with pytest.raises(Conflict):
        walks.sign(first, "张伟", PNG)
    after, created = walks.start(eng, open_day, unit(platform).id, companion="张小明")
    assert created and after.id != first.id
    with pytest.raises(InvalidData) as refused:
        walks.start(eng, open_day, 999999, owner_id=999999, companion="x" * 101)
    assert set(refused.value.fields) == {"unit_id", "owner_id", "companion"}
    elsewhere = platform.session.scalars(select(Unit).join(Building).where(Building.name == "2栋")).first()
    with pytest.raises(InvalidData) as outside:
        walks.start(eng, open_day, elsewhere.id, companion="x")
    assert outside.value.fields == {"unit_id": "the unit is not in a building of this inspection"}


def test_a_defect_sent_twice_is_recorded_once_and_the_signed_list_holds_the_units_open_ones(
    platform: Platform, open_day: InspectionSession, tmp_path: Path
) -> None:
    walks = Walks(platform.session, platform.clock, tmp_path)
    capture = Capture(platform.defects, walks, DefectList(platform.session))
    eng = actor(platform, "eng")
    item = platform.session.scalars(select(CatalogueItem).where(CatalogueItem.item == "堵塞")).one()
    earlier, _ = platform.defects.register(eng, {"unit_id": unit(platform).id, "catalogue_id": item.id})
    values = {
        "client_id": "dev-1",
        "unit_id": unit(platform).id,
        "companion": "张小明",
        "catalogue_id": item.id,
    }
    defect, created, walk = capture.record(eng, open_day, values)
    replayed, created_again, same_walk = capture.record(eng, open_day, values)
    assert created and not created_again and replayed.id == defect.id and same_walk is walk
    assert platform.session.scalar(select(func.count()).select_from(UnitWalk)) == 1
    assert (defect.source, defect.session_id, defect.severity) == ("open_day", open_day.id, "serious")
    assert [d.id for d in walks.defect_list(walk)] == [earlier.id, defect.id]
    with pytest.raises(InvalidData) as refused:
        capture.record(eng, open_day, {**values, "client_id": "dev-2", "walk_id": 5})
    assert refused.value.fields == {"walk_id": "unknown field"}  # the walk is the tablet's own
    assert (
        platform.session.scalar(select(func.count()).select_from(Defect).where(Defect.client_id == "dev-2"))
        == 0
    )


def test_the_catalogue_keeps_its_order_and_refuses_a_duplicate(platform: Platform) -> None:
    editor = CatalogueEditor(platform.session)
    added = editor.save(
        {"category": "暖通", "part": "地暖", "item": "不热", "severity": "normal", "rectify_days": "5"}
    )
    assert editor.items()[-1].id == added.id
    first = editor.items()[0]
    assert editor.move(first, "up") is False and editor.move(added, "down") is False
    assert editor.move(added, "up") is True and editor.items()[-2].id == added.id
    with pytest.raises(InvalidData) as duplicate:
        editor.save(
            {"category": "暖通", "part": "地暖", "item": "不热", "severity": "minor", "rectify_days": 3}
        )
    assert "already has this item" in duplicate.value.fields["item"]
    editor.set_active(added, False)
    offered = [i["item"] for c in editor.tree() for p in c["parts"] for i in p["items"]]
    assert "不热" not in offered and "空鼓" in offered
