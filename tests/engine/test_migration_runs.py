"""A migration run in the background: queued with the requests running on the old version, worked one
request per transaction, its progress counted; a request that cannot move is listed with its reason and
the others still move."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from engine.actors import SYSTEM
from engine.migration import Migrations
from engine.migration_runs import MigrationRuns, MigrationWorker
from engine.models import HumanTask, MigrationRun, ProcessInstance
from tests.engine.test_start_many import actor
from tests.migration_support import COMPLAINT, deploy, with_triage_replaced

TRIAGE = {"category": "quality", "severity": "normal", "department": "engineering"}


def test_a_run_moves_what_it_can_and_lists_the_rest(
    session_factory: sessionmaker[Session], foundation: Foundation
) -> None:
    with session_factory() as session:
        platform = Platform(session, foundation)
        items = [{"description": f"第{n}户 门窗渗水"} for n in range(6)]
        ids = platform.runtime.start_many("complaint", COMPLAINT, items, SYSTEM)
        crc = actor(platform, "crc")
        for instance_id in ids[:2]:  # past triage: at the department's handling, which v2 keeps
            [row] = [r for r in platform.tasks.open_tasks_of(instance_id) if r.kind == "task"]
            platform.tasks.complete(row.id, TRIAGE, crc)
        v2 = deploy(platform, with_triage_replaced())
        plan = Migrations(session, platform.runtime).plan("complaint", 1, v2.version)
        run = MigrationRuns(session, platform.runtime).queue(plan, actor(platform, "admin"))
        assert (run.status, run.total, run.done) == ("queued", 6, 0)
        session.commit()
        run_id = run.id

    seen: list[tuple[int, str | None]] = []
    worker = MigrationWorker(session_factory, lambda session: Platform(session, foundation).runtime)
    assert worker.work(run_id, on_each=lambda i, reason: seen.append((i, reason))) == 6
    assert [i for i, _ in seen] == sorted(ids), seen

    with session_factory() as session:
        run = session.get(MigrationRun, run_id)
        assert run is not None
        assert (run.status, run.done) == ("done", 6) and run.finished_at is not None
        assert sorted(run.work["moved"]) == sorted(ids[:2]), (seen, run.work)
        reasons = {b["instance_id"]: b["reason"] for b in run.work["blocked"]}
        assert set(reasons) == set(ids[2:])
        assert set(reasons.values()) == {f"当前步骤『客服分派』在第{v2.version}版中不存在"}
        versions = dict(
            session.execute(
                select(ProcessInstance.id, ProcessInstance.definition_id).where(ProcessInstance.id.in_(ids))
            ).all()
        )
        assert {versions[i] for i in ids[:2]} == {v2.id} and {versions[i] for i in ids[2:]} != {v2.id}
        # The moved requests wait at the same step, with the same inbox row, now on v2.
        rows = session.scalars(
            select(HumanTask).where(HumanTask.instance_id.in_(ids[:2]), HumanTask.state == "open")
        ).all()
        assert {r.element_id for r in rows} == {"handle"}
        # They go on on v2 (the passed triage, which v2 lacks, was left behind in their saved state).
        platform = Platform(session, foundation)
        handled = next(r for r in rows if r.instance_id == ids[0])
        platform.tasks.complete(handled.id, {"resolution": "已更换密封条"}, actor(platform, "eng"))
        [reply] = [r for r in platform.tasks.open_tasks_of(ids[0]) if r.kind == "task"]
        assert reply.element_id == "reply"
    # Nothing left to do: a second pass moves nothing.
    assert worker.run_once() == 0
