"""Batch moves in the background: a run is queued with the instances to move, and workers move them one
instance per transaction, keeping the run's progress (done of total, moved, blocked with reasons).

Like a campaign's launch (crm.visits.launch), the run lives in the database: the scheduler job in
`lintel serve` and every `lintel worker` take queued runs up, and a run interrupted by a restart goes on
from the first instance not yet dealt with. The run's row is locked while an instance moves (PostgreSQL:
FOR UPDATE SKIP LOCKED), so two workers never move the same instance twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.actors import SYSTEM, Actor
from engine.errors import NotFound
from engine.migration import MigrationPlan, Migrations
from engine.models import MigrationRun, ProcessDefinition
from engine.runtime import Runtime

FINISHED = "done"


class MigrationRuns:
    """Queueing runs and reading them back (the caller's transaction)."""

    def __init__(self, session: Session, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.migrations = Migrations(session, runtime)

    def queue(self, plan: MigrationPlan, actor: Actor) -> MigrationRun:
        """A run moving every instance now running on the plan's source version."""
        instances = self.migrations.running(plan)
        run = MigrationRun(
            process_key=plan.key,
            from_definition_id=plan.source.id,
            to_definition_id=plan.target.id,
            status="queued" if instances else FINISHED,
            work={"mapping": dict(plan.mapping), "instances": instances, "moved": [], "blocked": []},
            total=len(instances),
            done=0,
            created_by=actor.username,
            created_at=self.runtime.clock.now(),
            finished_at=None if instances else self.runtime.clock.now(),
        )
        self.session.add(run)
        self.session.flush()
        return run

    def get(self, run_id: int, key: str | None = None) -> MigrationRun:
        run = self.session.get(MigrationRun, run_id)
        if run is None or (key is not None and run.process_key != key):
            raise NotFound(f"migration run {run_id} does not exist")
        return run

    def of_process(self, key: str, limit: int = 10) -> list[MigrationRun]:
        return list(
            self.session.scalars(
                select(MigrationRun)
                .where(MigrationRun.process_key == key)
                .order_by(MigrationRun.id.desc())
                .limit(limit)
            )
        )

    def versions(self, run: MigrationRun) -> tuple[int, int]:
        source = self.session.get(ProcessDefinition, run.from_definition_id)
        target = self.session.get(ProcessDefinition, run.to_definition_id)
        assert source is not None and target is not None
        return source.version, target.version

    def plan_of(self, run: MigrationRun) -> MigrationPlan:
        source, target = self.versions(run)
        mapping: Mapping[str, str] = run.work.get("mapping") or {}
        return self.migrations.plan(run.process_key, source, target, mapping)


class MigrationWorker:
    """Moves the instances of queued runs; owns its transactions (one per instance)."""

    def __init__(self, sessions: sessionmaker[Session], runtime_for: Callable[[Session], Runtime]) -> None:
        self.sessions = sessions
        self.runtime_for = runtime_for

    def run_once(self) -> int:
        """Work every unfinished run to its end; how many instances were dealt with."""
        with self.sessions() as session:
            waiting = list(
                session.scalars(
                    select(MigrationRun.id).where(MigrationRun.status != FINISHED).order_by(MigrationRun.id)
                )
            )
        return sum(self.work(run_id) for run_id in waiting)

    def work(self, run_id: int, on_each: Callable[[int, str | None], None] | None = None) -> int:
        """Move the run's instances one transaction each until it is done (or another worker holds it)."""
        count = 0
        while True:
            with self.sessions.begin() as session:
                step = self._step(session, run_id)
            if step is None:
                return count
            count += 1
            if on_each is not None:
                on_each(*step)

    def _step(self, session: Session, run_id: int) -> tuple[int, str | None] | None:
        query = select(MigrationRun).where(MigrationRun.id == run_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        run = session.scalars(query).first()
        if run is None or run.status == FINISHED:
            return None
        runtime = self.runtime_for(session)
        work: dict[str, Any] = dict(run.work)
        instances: list[int] = work.get("instances") or []
        if run.done >= len(instances):
            run.status = FINISHED
            run.finished_at = runtime.clock.now()
            return None
        runs = MigrationRuns(session, runtime)
        instance_id = instances[run.done]
        actor = Actor(run.created_by) if run.created_by else SYSTEM
        try:
            plan = runs.plan_of(run)
        except Exception as exc:  # a version that no longer compiles: every instance says so
            reason: str | None = f"迁移失败：{exc}"
        else:
            reason = runs.migrations.move_one(plan, instance_id, actor)
        if reason is None:
            work["moved"] = [*work.get("moved", []), instance_id]
        else:
            work["blocked"] = [*work.get("blocked", []), {"instance_id": instance_id, "reason": reason}]
        run.work = work
        run.done += 1
        run.status = "running"
        if run.done >= len(instances):
            run.status = FINISHED
            run.finished_at = runtime.clock.now()
        return instance_id, reason
