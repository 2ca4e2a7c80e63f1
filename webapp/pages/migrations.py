"""迁移运行中的工单: a process owner moves a process's running requests from one version to another.

The page previews the move (how many can move, which cannot and why), lets each step the new version no
longer has be mapped by hand to one of its steps, and queues the move; the background workers move the
requests one per transaction (engine.migration_runs) while the run's page shows the progress and then
the result."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.models import RequestIndex
from crm.policy import Permission
from engine.errors import InvalidData
from engine.migration import DeadlineChange, MigrationPlan, Migrations
from engine.migration_runs import MigrationRuns
from engine.models import MigrationRun, ProcessInstance
from webapp import db_session, platform
from webapp.access import allow
from webapp.pages.common import actor, commit, ok, problem

bp = Blueprint("migrations", __name__, url_prefix="/processes")
SHOWN = 100  # requests listed by name in a preview or a result; the rest are counted


def _versions(key: str) -> list[tuple[int, str, int]]:
    """(version, name, running requests) of each version of the process, newest first."""
    p = platform()
    definitions = [d for d in p.definitions.all() if d.key == key]
    rows = db_session().execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.process_key == key, ProcessInstance.status == "running")
        .group_by(ProcessInstance.definition_id)
    )
    running = {definition_id: count for definition_id, count in rows}
    return [(d.version, d.name, running.get(d.id, 0)) for d in definitions][::-1]


def _requests(ids: list[int]) -> dict[int, RequestIndex]:
    if not ids:
        return {}
    rows = db_session().scalars(select(RequestIndex).where(RequestIndex.instance_id.in_(ids[:SHOWN])))
    return {r.instance_id: r for r in rows}


def _int(name: str) -> int | None:
    value = request.values.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _mapping() -> dict[str, str]:
    return {
        name[len("map.") :]: value.strip()
        for name, value in request.values.items()
        if name.startswith("map.") and value.strip()
    }


@bp.get("/<key>/migrate")
@allow(Permission.DEPLOY_DEFINITION)
def migrate(key: str) -> Any:
    p = platform()
    p.definitions.latest(key)  # 404 for a process that is not deployed
    versions = _versions(key)
    source, target = _int("from"), _int("to")
    if source is None:
        source = next((v for v, _n, running in versions if running), versions[-1][0])
    if target is None:
        target = versions[0][0]
    plan: MigrationPlan | None = None
    preview = None
    deadlines: dict[int, list[DeadlineChange]] = {}
    status = 200
    if request.args.get("preview"):
        try:
            plan = Migrations(p.session, p.runtime).plan(key, source, target, _mapping())
        except InvalidData as exc:
            problem(_plan_problem(exc))
            status = 422
        else:
            migrations = Migrations(p.session, p.runtime)
            preview = migrations.preview(plan)
            # What the move does to the deadlines of the requests listed (counted from each step's start).
            deadlines = migrations.deadline_changes(plan, preview.movable[:SHOWN])
    shown = (preview.movable[:SHOWN] + [b.instance_id for b in preview.blocked[:SHOWN]]) if preview else []
    return (
        render_template(
            "processes/migrate.html",
            key=key,
            name=p.definitions.latest(key).name,
            versions=versions,
            source=source,
            target=target,
            plan=plan,
            preview=preview,
            reasons=Counter(b.reason for b in preview.blocked) if preview else Counter(),
            requests=_requests(shown),
            deadlines=deadlines,
            mapping=_mapping(),
            shown=SHOWN,
            runs=MigrationRuns(p.session, p.runtime).of_process(key, limit=5),
            run_versions=_run_versions(key),
        ),
        status,
    )


def _plan_problem(exc: InvalidData) -> str:
    if "to_version" in exc.fields:
        return _("请选择与原版本不同的目标版本。")
    return _("手工对应的步骤不在所选版本中，请重新选择。")


def _run_versions(key: str) -> dict[int, tuple[int, int]]:
    p = platform()
    runs = MigrationRuns(p.session, p.runtime)
    return {run.id: runs.versions(run) for run in runs.of_process(key, limit=5)}


@bp.post("/<key>/migrate")
@allow(Permission.DEPLOY_DEFINITION)
def start(key: str) -> Any:
    p = platform()
    source, target = _int("from"), _int("to")
    if source is None or target is None:
        problem(_("请选择原版本和目标版本。"))
        return redirect(url_for("migrations.migrate", key=key))
    try:
        plan = Migrations(p.session, p.runtime).plan(key, source, target, _mapping())
    except InvalidData as exc:
        problem(_plan_problem(exc))
        return redirect(url_for("migrations.migrate", key=key, **{"from": source, "to": target}))
    run = MigrationRuns(p.session, p.runtime).queue(plan, actor())
    commit()
    ok(_("已开始迁移：工单在后台逐个迁移，本页显示进度。"))
    return redirect(url_for("migrations.run", key=key, run_id=run.id))


def _run_context(key: str, run_id: int) -> dict[str, Any]:
    p = platform()
    runs = MigrationRuns(p.session, p.runtime)
    found: MigrationRun = runs.get(run_id, key)
    source, target = runs.versions(found)
    blocked = found.work.get("blocked") or []
    return {
        "key": key,
        "name": p.definitions.latest(key).name,
        "r": found,
        "source": source,
        "target": target,
        "moved": len(found.work.get("moved") or []),
        "blocked": blocked[:SHOWN],
        "blocked_count": len(blocked),
        "percent": 100 if not found.total else int(found.done * 100 / found.total),
        "requests": _requests([b["instance_id"] for b in blocked[:SHOWN]]),
    }


@bp.get("/<key>/migrations/<int:run_id>")
@allow(Permission.DEPLOY_DEFINITION)
def run(key: str, run_id: int) -> Any:
    return render_template("processes/migration_run.html", **_run_context(key, run_id))


@bp.get("/<key>/migrations/<int:run_id>/progress")
@allow(Permission.DEPLOY_DEFINITION)
def progress(key: str, run_id: int) -> Any:
    """The progress panel (htmx, every 2 s while the run goes on)."""
    return render_template("processes/_migration_progress.html", **_run_context(key, run_id))
