"""Launching a campaign: its visits spread evenly over the visitors by the work they have on hand, started a
chunk at a time (paused and resumed between chunks, a failed chunk rolled back whole), finished with its
open visits cancelled; an automatic campaign takes in exactly the owners whose day has come."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from crm.visits.automatic import run_automatic
from crm.visits.campaigns import balance
from crm.visits.launch import Launcher
from crm.visits.models import Campaign, Visit
from engine.errors import Conflict, InvalidData
from engine.models import HumanTask, ProcessInstance
from engine.runtime import Runtime
from lintel.clock import SHANGHAI
from tests.visits.campaign_support import actor, campaign, site

VISITORS = ["admin", "crc", "crc_sup"]


def _sold(platform: Platform, code: str, count: int, phone_base: int = 0) -> dict[str, list[int]]:
    s = site(
        platform,
        code,
        plan=[("handed_over", date(2025, 1, 1), date(2026, 6, 1))] * count,
        phone_base=phone_base,
    )
    return {"project_ids": [s.project.id]}


def _launcher(session_factory: sessionmaker[Session], foundation: Foundation, chunk: int = 4) -> Launcher:
    return Launcher(
        session_factory, lambda session: Platform(session, foundation).runtime, foundation.clock, chunk=chunk
    )


def _visits(platform: Platform, campaign_id: int) -> list[Visit]:
    platform.session.expire_all()
    return list(platform.session.scalars(select(Visit).where(Visit.campaign_id == campaign_id)))


def test_balance_evens_out_the_loads() -> None:
    assert balance({"a": 0, "b": 0, "c": 0}, 10) == {"a": 4, "b": 3, "c": 3}
    assert balance({"a": 5, "b": 0, "c": 0}, 7) == {"a": 0, "b": 4, "c": 3}
    assert balance({"a": 2, "b": 0, "c": 0}, 7) == {"a": 1, "b": 3, "c": 3}
    assert balance({"a": 50, "b": 0}, 10) == {"a": 0, "b": 10}


def test_visits_are_spread_evenly_and_started_in_chunks(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    audience = _sold(platform, "EVN", 10)
    c = campaign(platform, audience=audience, visitors=VISITORS)
    before = platform.campaigns.loads(VISITORS)
    platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    platform.session.commit()
    given = Counter(v.visitor for v in _visits(platform, c.id))
    after = {u: before[u] + given[u] for u in VISITORS}
    assert sum(given.values()) == 10
    assert max(after.values()) - min(after.values()) <= 1 or min(given.values()) == 0

    report = _launcher(session_factory, foundation).run_once()
    assert report.started == 10 and report.running == [c.id]
    visits = _visits(platform, c.id)
    assert {v.status for v in visits} == {"open"}
    # Each visit's call is in its visitor's inbox, under the visit's own instance.
    calls = dict(
        platform.session.execute(
            select(HumanTask.instance_id, HumanTask.assignee).where(
                HumanTask.instance_id.in_([v.instance_id for v in visits]), HumanTask.state == "open"
            )
        ).all()
    )
    assert calls == {v.instance_id: v.visitor for v in visits}
    platform.session.refresh(c)
    assert (c.status, c.started, c.total) == ("running", 10, 10)


def test_a_visitor_with_more_open_work_gets_fewer(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    first = campaign(platform, audience=_sold(platform, "BUS", 6), visitors=["crc"])
    platform.campaigns.launch(first.id, actor(platform, "crc_sup"))
    platform.session.commit()
    _launcher(session_factory, foundation).run_once()
    loads = platform.campaigns.loads(["crc", "crc_sup"])
    assert loads["crc"] >= loads["crc_sup"] + 6
    second = campaign(
        platform, audience=_sold(platform, "FEW", 8, phone_base=100), visitors=["crc", "crc_sup"]
    )
    platform.campaigns.launch(second.id, actor(platform, "crc_sup"))
    given = Counter(v.visitor for v in _visits(platform, second.id))
    assert given["crc"] < given["crc_sup"]
    assert sum(given.values()) == 8


def test_pause_stops_after_the_chunk_and_resume_goes_on(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    c = campaign(platform, audience=_sold(platform, "PAU", 10), visitors=VISITORS)
    platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    platform.session.commit()
    launcher = _launcher(session_factory, foundation, chunk=4)
    supervisor = actor(platform, "crc_sup")
    platform.session.commit()

    def pause_after_first(_started: int) -> None:
        with session_factory.begin() as other:
            Platform(other, foundation).campaigns.pause(c.id, supervisor)

    report = launcher.launch(c.id, on_chunk=pause_after_first)
    assert report.started == 4
    assert launcher.run_once().started == 0  # paused: left alone
    platform.session.refresh(c)
    assert (c.status, c.started) == ("paused", 4)
    with pytest.raises(Conflict):
        platform.campaigns.pause(c.id, actor(platform, "crc_sup"))
    platform.campaigns.resume(c.id, actor(platform, "crc_sup"))
    platform.session.commit()
    assert launcher.run_once().started == 6
    platform.session.refresh(c)
    assert (c.status, c.started) == ("running", 10)


def test_a_failed_chunk_rolls_back_and_nothing_is_started_twice(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    c = campaign(platform, audience=_sold(platform, "FAI", 10), visitors=VISITORS)
    platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    platform.session.commit()
    chunks = 0

    def flaky(session: Session) -> Runtime:
        nonlocal chunks
        chunks += 1
        runtime = Platform(session, foundation).runtime
        if chunks == 2:  # the second chunk dies after starting its instances, before its visits are marked
            original = runtime.start_many

            def start_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
                original(*args, **kwargs)
                raise RuntimeError("the database went away")

            runtime.start_many = start_then_fail  # type: ignore[method-assign]
        return runtime

    launcher = Launcher(session_factory, flaky, foundation.clock, chunk=4)
    with pytest.raises(RuntimeError):
        launcher.run_once()
    platform.session.refresh(c)
    assert c.started == 4
    assert Counter(v.status for v in _visits(platform, c.id)) == {"open": 4, "queued": 6}
    assert launcher.run_once().started == 6
    visits = _visits(platform, c.id)
    started = platform.session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(
            ProcessInstance.process_key == "return_visit",
            ProcessInstance.id.in_([v.instance_id for v in visits]),
        )
    )
    all_return_visits = platform.session.scalar(
        select(func.count()).select_from(ProcessInstance).where(ProcessInstance.process_key == "return_visit")
    )
    assert started == all_return_visits == 10
    assert len({v.instance_id for v in visits}) == 10


def test_finishing_cancels_the_open_visits_with_their_steps(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    c = campaign(platform, audience=_sold(platform, "FIN", 6), visitors=VISITORS)
    platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    platform.session.commit()
    launcher = _launcher(session_factory, foundation, chunk=4)

    def stop(_started: int) -> None:
        raise KeyboardInterrupt  # `lintel campaigns launch` interrupted after its first chunk

    with pytest.raises(KeyboardInterrupt):
        launcher.launch(c.id, on_chunk=stop)
    platform.campaigns.finish(c.id, actor(platform, "crc_sup"))
    platform.session.commit()
    report = launcher.run_once()
    assert report.cancelled == 4
    visits = _visits(platform, c.id)
    assert {v.status for v in visits} == {"cancelled"}
    instances = [platform.session.get(ProcessInstance, v.instance_id) for v in visits if v.instance_id]
    assert len(instances) == 4 and {i.status for i in instances if i} == {"cancelled"}
    open_calls = platform.session.scalar(
        select(func.count())
        .select_from(HumanTask)
        .where(HumanTask.instance_id.in_([i.id for i in instances if i]), HumanTask.state == "open")
    )
    assert open_calls == 0
    with pytest.raises(Conflict):
        platform.campaigns.finish(c.id, actor(platform, "crc_sup"))


def test_launching_twice_and_without_visitors_is_refused(platform: Platform) -> None:
    c = campaign(platform, audience=_sold(platform, "TWI", 2))
    platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    with pytest.raises(Conflict):
        platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    with pytest.raises(InvalidData) as refused:
        campaign(platform, visitors=[])
    assert "visitors" in refused.value.fields
    with pytest.raises(InvalidData) as refused:
        campaign(platform, visitors=["eng"])  # not of the centre
    assert "visitors" in refused.value.fields
    online = campaign(platform, method="online", visitors=[])
    assert online.visitors == []


def test_a_return_visit_cannot_be_started_by_hand(platform: Platform) -> None:
    with pytest.raises(InvalidData) as refused:
        platform.process_requests.start("return_visit", {}, actor(platform, "crc_sup"))
    assert "回访由回访活动发起" in str(refused.value)


def test_the_automatic_campaign_takes_in_the_units_handed_over_n_days_before(
    platform: Platform, session_factory: sessionmaker[Session], foundation: Foundation, clock
) -> None:  # type: ignore[no-untyped-def]
    today = clock.now().astimezone(SHANGHAI).date()
    s = site(
        platform,
        "AUT",
        plan=[
            ("handed_over", date(2025, 1, 1), today - timedelta(days=30)),  # 0101: its day is today
            ("handed_over", date(2025, 1, 1), today - timedelta(days=1)),  # 0201: yesterday, not yet
            ("handed_over", date(2025, 1, 1), today - timedelta(days=29)),  # 0301: its day is tomorrow
            ("handed_over", date(2025, 1, 1), today - timedelta(days=40)),  # 0401: before the campaign
            ("signed", date(2025, 1, 1), None),  # 0501: not handed over
        ],
    )
    c = campaign(platform, kind="post_handover", days_after=30, audience={"project_ids": [s.project.id]})
    platform.campaigns.launch(c.id, actor(platform, "crc_sup"))
    assert c.status == "running"
    assert [v.unit.number for v in _visits(platform, c.id)] == ["0101"]
    assert run_automatic(platform.session, clock, today).total == 0  # never twice

    # The job is down for two days: on the third, the missed days are caught up.
    later = today + timedelta(days=3)
    report = run_automatic(platform.session, clock, later)
    assert report.added == {c.id: 1}
    assert sorted(v.unit.number for v in _visits(platform, c.id)) == ["0101", "0301"]
    assert {v.event_on for v in _visits(platform, c.id)} == {
        today - timedelta(days=30),
        today - timedelta(days=29),
    }
    platform.session.commit()
    assert _launcher(session_factory, foundation).run_once().started == 2
    assert {v.status for v in _visits(platform, c.id)} == {"open"}

    with pytest.raises(InvalidData) as refused:
        campaign(platform, kind="post_handover", days_after=None)
    assert "days_after" in refused.value.fields


def test_a_finished_or_paused_automatic_campaign_takes_in_no_one(platform: Platform, clock) -> None:  # type: ignore[no-untyped-def]
    today = clock.now().astimezone(SHANGHAI).date()
    s = site(platform, "AUF", plan=[("signed", today - timedelta(days=7), None)])
    c = campaign(platform, kind="post_signing", days_after=7, audience={"project_ids": [s.project.id]})
    platform.campaigns.finish(c.id, actor(platform, "crc_sup"))
    assert run_automatic(platform.session, clock, today).total == 0
    assert platform.session.get(Campaign, c.id).status == "finished"  # type: ignore[union-attr]
