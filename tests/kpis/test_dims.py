"""The slices a request is counted under, from the records behind it: a complaint's and a defect's."""

from __future__ import annotations

from crm.handover.contractors import department_code
from crm.kpis.dims import dims_of
from crm.platform import Platform
from lintel.clock import FixedClock
from tests.handover.report_support import known_defects
from tests.webapp.pages_support import actor, open_task, register


def test_a_complaint_and_a_defect_give_their_own_slices(platform: Platform, clock: FixedClock) -> None:
    complaint = register(platform)
    triage = open_task(platform, complaint.instance_id)
    data = {"category": "design", "severity": "high", "department": "engineering"}
    platform.tasks.complete(triage.id, data, actor(platform, "crc"))
    known = known_defects(platform, clock)
    overdue, unassigned = known.defects["overdue"], known.defects["assigning"]
    closed = known.defects["closed"]
    found = dims_of(
        platform.session,
        [complaint.instance_id, overdue.instance_id, closed.instance_id, unassigned.instance_id],
    )

    c = found[complaint.instance_id]
    assert (c.channel, c.severity, c.category, c.department) == ("hotline", "high", "design", "engineering")
    assert c.number == complaint.number
    d = found[closed.instance_id]
    # found at the open day, graded normal, of its catalogue category, under its contractor's department
    assert (d.channel, d.severity, d.category, d.department, d.project) == (
        "open_day",
        "normal",
        "土建",
        department_code(known.jia.id),
        "RPT",
    )
    assert found[overdue.instance_id].severity == "serious"
    assert found[overdue.instance_id].department == department_code(known.yi.id)
    assert found[unassigned.instance_id].department is None  # no contractor yet
