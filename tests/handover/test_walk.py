"""The issue's walk, end to end, the way its users take it: a project imported as `lintel import` does → an
owners' open day with defects recorded in several units (the tablet's API, one sent twice) → engineering
assigns them → a contractor rectifies; one defect fails its re-verification twice, then passes → the owner
confirms it on the portal → the unit is ready → its handover is booked and recorded with the meter
readings, and the contract's handover date is set. The reports count what happened."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.estate.import_files import read_table
from crm.estate.imports import Importer
from crm.estate.models import Building, Contract, Contractor, Ownership, Project, Unit
from crm.handover.inspections import Inspections
from crm.handover.models import Defect, Handover
from crm.handover.readiness import Readiness
from crm.handover.walks import Walks
from lintel.clock import SHANGHAI
from tests.crm.test_estate_imports import csv_bytes
from tests.handover.test_reports import table
from tests.webapp.pages_support import actor, login

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
OWNER_PHONE = "13911110101"
FILES = {
    "projects": [["project_code", "project_name", "city"], ["GLY", "观澜苑", "杭州"]],
    "units": [
        ["project_code", "building", "unit_number", "floor", "layout", "rooms"],
        *[["GLY", "1栋", f"0{n}01", n, "A", "客厅、主卧、厨房、卫生间"] for n in (1, 2, 3)],
    ],
    "owners": [
        ["project_code", "building", "unit_number", "owner_name", "phone", "is_contact"],
        ["GLY", "1栋", "0101", "沈清", OWNER_PHONE, "是"],
        ["GLY", "1栋", "0201", "顾远", "13911110201", "是"],
        ["GLY", "1栋", "0301", "陆琪", "13911110301", "是"],
    ],
    "contracts": [
        ["project_code", "building", "unit_number", "contract_number", "signed_on", "planned_handover_on"],
        *[["GLY", "1栋", f"0{n}01", f"GLY-2025-{n:04d}", "2025-03-01", "2026-12-31"] for n in (1, 2, 3)],
    ],
}
# unit, category, part, item, room
FOUND = {
    "wall": ("0101", "土建", "墙面", "空鼓", "客厅"),
    "window": ("0101", "门窗", "外窗", "渗漏", "主卧"),
    "drain": ("0201", "给排水", "地漏", "排水不畅", "卫生间"),
    "socket": ("0301", "电气", "插座", "不通电", "厨房"),
}


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_an_imported_project_walks_from_its_open_day_to_a_unit_handed_over(
    app, client, auth, platform, clock
) -> None:  # type: ignore[no-untyped-def]
    session = platform.session

    # 1. The sales office's files, imported as `lintel import` does.
    for kind, rows in FILES.items():
        report = Importer(session, clock).run(kind, read_table(f"{kind}.csv", csv_bytes(rows)))
        assert report.summary()["skipped"] == 0, report.problems
    project = session.scalars(select(Project).where(Project.code == "GLY")).one()
    units = {
        u.number: u
        for u in session.scalars(
            select(Unit)
            .join(Building, Building.id == Unit.building_id)
            .where(Building.project_id == project.id)
        )
    }
    session.commit()

    # 2. The open day: the inspector walks three units with their owners; the tablet sends each defect
    #    through the API, and sends one again when the connection comes back: it is recorded once.
    eng = actor(platform, "eng")
    today = clock.now().astimezone(SHANGHAI).date().isoformat()
    inspection = Inspections(session, clock).save(
        eng,
        {
            "project_id": project.id,
            "kind": "open_day",
            "title": "观澜苑业主开放日",
            "starts_on": today,
            "ends_on": today,
            "building_ids": [units["0101"].building_id],
            "inspectors": ["eng"],
        },
    )
    walks = {}
    for number in ("0101", "0201", "0301"):
        owner_id = session.scalar(select(Ownership.owner_id).where(Ownership.unit_id == units[number].id))
        walks[number], _ = Walks(session, clock, app.instance_path).start(
            eng, inspection, units[number].id, owner_id=owner_id
        )
    session.commit()
    ids: dict[str, int] = {}
    for key, (number, category, part, item, room) in FOUND.items():
        body = {
            "client_id": f"tablet-7-{key}",
            "unit_id": units[number].id,
            "walk_id": walks[number].id,
            "category": category,
            "part": part,
            "item": item,
            "room": room,
            "severity": "normal",
            "description": f"{room}{part}{item}",
        }
        sent = client.post("/api/v1/defects", json=body, headers=auth("eng"))
        assert sent.status_code == 201, sent.get_json()
        ids[key] = sent.get_json()["id"]
    replayed = client.post("/api/v1/defects", json=body, headers=auth("eng"))
    assert replayed.status_code == 200 and replayed.get_json()["id"] == ids["socket"]
    assert len(session.scalars(select(Defect).where(Defect.session_id == inspection.id)).all()) == 4

    # 3. Engineering gives the first unit's defects to a contractor, the others to its own engineer.
    contractor = session.scalars(select(Contractor).where(Contractor.name == "江南建工集团有限公司")).one()
    for chosen, whom in (
        (["wall", "window"], {"contractor_id": contractor.id}),
        (["drain", "socket"], {"rectifier": "eng"}),
    ):
        assigned = client.post(
            "/api/v1/defects/assign",
            json={"defect_ids": [ids[k] for k in chosen], "rectify_days": 5, **whom},
            headers=auth("eng_mgr"),
        )
        assert assigned.status_code == 200, assigned.get_json()
    assert {defect(session, ids[k]).status for k in FOUND} == {"rectifying"}

    def open_step(key: str, element: str) -> int:
        rows = [
            t
            for t in platform.tasks.open_tasks_of(defect(session, ids[key]).instance_id)
            if (t.kind or "task") == "task"
        ]
        assert [t.element_id for t in rows] == [element]
        return rows[0].id

    def complete(key: str, element: str, who: str, data: dict[str, Any]) -> None:
        done = client.post(
            f"/api/v1/tasks/{open_step(key, element)}/complete", json={"data": data}, headers=auth(who)
        )
        assert done.status_code == 200, done.get_json()

    def contractor_closes(key: str, note: str) -> None:
        closed = client.post(
            f"/api/v1/contractor/defects/{ids[key]}/close",
            data={"note": note, "evidence": (io.BytesIO(PNG), "整改后.png")},
            headers=auth("builder"),
            content_type="multipart/form-data",
        )
        assert closed.status_code == 200, closed.get_json()
        assert defect(session, ids[key]).status == "verifying"

    # 4. The window fails its re-verification twice, then passes: two rounds, each shown.
    for attempt, verdict in enumerate(("fail", "fail", "pass"), start=1):
        clock.advance(timedelta(days=1))
        contractor_closes("window", f"第{attempt}次整改：窗框下沿重新打胶，淋水试验")
        data = {"verified": verdict}
        if verdict == "fail":
            data["verify_note"] = "淋水后窗框下沿仍有渗水"
        complete("window", "verify", "eng", data)
    window = defect(session, ids["window"])
    assert (window.status, window.rounds) == ("confirming", 2)
    # The wall passes at once and the owner confirms it in person with the centre.
    contractor_closes("wall", "切割空鼓部位重新批荡")
    complete("wall", "verify", "eng", {"verified": "pass"})
    complete("wall", "confirm", "crc", {"confirmed": "yes"})
    assert defect(session, ids["wall"]).status == "closed"
    ready = Readiness(session)
    assert not ready.is_ready(units["0101"].id)  # the window still waits for its owner

    # 5. The owner confirms the window on the portal (the QR code of the printed list opens this page).
    page = f"/portal/units/{units['0101'].id}/defects"
    assert client.post(page + "/verify", data={"phone": OWNER_PHONE}).status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert window.number in shown
    answered = client.post(f"{page}/{ids['window']}/answer", data={"confirmed": "yes"})
    assert answered.status_code == 302
    window = defect(session, ids["window"])
    assert window.status == "closed" and window.confirmed_by and window.confirmed_by.startswith("owner:")

    # 6. The unit is ready; the others, whose defects are open, are not.
    assert ready.is_ready(units["0101"].id)
    assert not ready.is_ready(units["0201"].id) and not ready.is_ready(units["0301"].id)

    # 7. The centre starts the unit's handover, books a slot, and records it with the meter readings.
    login(client, "crc")
    started = client.post(f"/handover/units/{units['0101'].id}/start")
    assert started.status_code == 302
    handover = session.scalars(select(Handover).where(Handover.unit_id == units["0101"].id)).one()
    day = (clock.now() + timedelta(days=3)).astimezone(SHANGHAI).date()
    slot = platform.handover_slots.create(project, day.isoformat(), "09:00", "12:00", 10)
    session.commit()
    booked = client.post(f"/handover/handovers/{handover.id}/booking", data={"slot_id": str(slot.id)})
    assert booked.status_code == 302
    clock.set(slot.starts_at + timedelta(minutes=30))
    login(client, "crc")  # the day of the appointment
    signature = "data:image/png;base64," + base64.b64encode(PNG).decode()
    recorded = client.post(
        f"/handover/handovers/{handover.id}/complete",
        data={
            "water": "12.5",
            "electricity": "308.2",
            "gas": "4.1",
            "keys": "3",
            "documents": ["quality_guarantee", "user_manual", "key_list"],
            "signature": signature,
        },
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)
    session.expire_all()
    handover = session.get(Handover, handover.id)
    assert handover.status == "handed_over" and handover.handed_over_at is not None
    assert {k: float(v) for k, v in handover.readings.items()} == {
        "water": 12.5,
        "electricity": 308.2,
        "gas": 4.1,
    }
    contract = session.scalars(select(Contract).where(Contract.unit_id == units["0101"].id)).one()
    assert contract.status == "handed_over" and contract.handed_over_on == day

    # The housing bureau's summary counts the walk: three units inspected, four issues, two confirmed.
    login(client, "eng_mgr")
    summary = client.get(f"/defect-reports/summary.xlsx?project={project.id}")
    total = table(load_workbook(io.BytesIO(summary.data))["按项目楼栋"])[-1]
    assert (total["查验户数"], total["发现问题数"], total["业主确认销号"], total["未销号"]) == (3, 4, 2, 2)


def defect(session: Any, defect_id: int) -> Defect:
    session.expire_all()
    found = session.get(Defect, defect_id)
    assert found is not None
    return found
