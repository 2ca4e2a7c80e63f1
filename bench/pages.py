"""`lintel bench pages`: every page's response time with 1,000,000 inbox rows in PostgreSQL.

The database is filled in bulk with SQL (INSERT ... SELECT over generate_series: instances, task rows and
their request-index rows, owners and units), not through the ORM; a handful of real complaints are then
registered through the service layer so that task and request pages have real workflow state to load.
Each page is requested through the Flask test client as a signed-in user would (rendering included),
after a warm-up, and its p50/p95 are printed; the last line is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import fresh_postgres
from crm.demo import load_demo
from crm.directory import actor_for
from crm.models import RequestIndex
from crm.platform import Foundation, Platform
from engine.models import HumanTask
from webapp.database import ROOT, make_engine, upgrade

DATABASE = "lintel_bench_pages"
DIAGRAM = ROOT / "workflows" / "complaint.bpmn"
TARGET_MS = 200.0
OWNERS = 50_000
PROJECTS = 10


@dataclass
class Timing:
    page: str
    user: str
    p50: float
    p95: float
    runs: int


def _probes(engine: Engine, foundation: Foundation) -> list[int]:
    """Real complaints for the task and request pages: some at triage, some with engineering."""
    instance_ids = []
    with Session(engine, expire_on_commit=False) as session:
        platform = Platform(session, foundation)
        crc = actor_for(platform.directory.user("crc"))  # type: ignore[arg-type]
        for n in range(20):
            complaint = platform.complaints.register(
                crc,
                channel="hotline",
                description=f"卫生间渗水（样本 {n}）",
                owner_phone=f"1380000000{n % 5 + 1}",
            )
            if n % 2:
                task = platform.tasks.open_tasks_of(complaint.instance_id)[0]
                data = {"category": "quality", "severity": "high", "department": "engineering"}
                platform.tasks.complete(task.id, data, crc)
            instance_ids.append(complaint.instance_id)
        session.commit()
    return instance_ids


def _fill(engine: Engine, tasks: int, echo: Callable[[str], None]) -> None:
    started = time.perf_counter()
    with engine.begin() as connection:
        first = connection.execute(
            text("SELECT coalesce(max(id), 0) + 1 FROM process_instances")
        ).scalar_one()
        definition = connection.execute(
            text("SELECT id FROM process_definitions WHERE key = 'complaint' ORDER BY version DESC LIMIT 1")
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO projects (code, name, city) "
                "SELECT 'P' || p, '项目' || p, '杭州' FROM generate_series(1, :n) p"
            ),
            {"n": PROJECTS},
        )
        connection.execute(
            text(
                "INSERT INTO buildings (project_id, name) SELECT pr.id, b || '栋' FROM projects pr, "
                "generate_series(1, 10) b WHERE pr.code LIKE 'P%'"
            )
        )
        connection.execute(
            text(
                """
                INSERT INTO units (building_id, number)
                SELECT b.id, lpad(f::text, 2, '0') || lpad(d::text, 2, '0')
                FROM buildings b
                JOIN projects pr ON pr.id = b.project_id AND pr.code LIKE 'P%'
                CROSS JOIN generate_series(1, 25) f CROSS JOIN generate_series(1, 20) d
                """
            )
        )
        connection.execute(
            text(
                """
                INSERT INTO owners (name, phone, tier)
                SELECT (ARRAY['王','李','张','刘','陈','杨','赵','黄','周','吴'])[1 + o % 10]
                       || (ARRAY['伟','芳','娜','敏','静','磊','洋','勇','艳','杰'])[1 + (o / 10) % 10]
                       || CASE WHEN o % 3 = 0 THEN '' ELSE (ARRAY['华','明','丽','强','军'])[1 + o % 5] END,
                       '139' || lpad(o::text, 8, '0'), 'regular'
                FROM generate_series(1, :n) o
                """
            ),
            {"n": OWNERS},
        )
        connection.execute(
            text(
                """
                INSERT INTO ownerships (owner_id, unit_id)
                SELECT o.id, u.id FROM
                  (SELECT id, row_number() OVER (ORDER BY id) r FROM owners WHERE phone LIKE '139%') o
                  JOIN (SELECT id, row_number() OVER (ORDER BY id) r FROM units) u ON u.r = o.r
                """
            )
        )
        # instance i: open when i % 7 = 0 (at step i % 4), otherwise closed after four steps
        per_instance = (6 * 4 + (1 + 2 + 3 + 4) / 4) / 7
        instances = int(tasks / per_instance) + 1000
        connection.execute(
            text(
                """
                INSERT INTO process_instances (id, definition_id, process_key, business_key, status, state,
                    revision, started_at, updated_at, completed_at, started_by)
                SELECT :first + i, :definition, 'complaint', 'TS-2025-' || lpad(i::text, 7, '0'),
                    CASE WHEN i % 7 = 0 THEN 'running' ELSE 'completed' END, '', 1,
                    now() - (730 - i * 730 / :instances) * interval '1 day', now(),
                    CASE WHEN i % 7 = 0 THEN NULL
                         ELSE now() - (700 - i * 700 / :instances) * interval '1 day' END,
                    'crc'
                FROM generate_series(1, :instances) i
                """
            ),
            {"first": first, "definition": definition, "instances": instances},
        )
        connection.execute(
            text(
                """
                INSERT INTO request_index (instance_id, kind, record_id, number, title, owner_id, owner_name,
                    owner_phone, unit_id, unit_label, project, category, status, step, created_at, closed_at)
                SELECT pi.id, 'complaint', NULL, pi.business_key,
                    (ARRAY['卫生间天花板渗水','外墙开裂','入户门关闭不严','地下车库积水','电梯经常停运',
                           '物业费用有异议','交房延期','窗户漏风'])[1 + pi.id % 8],
                    o.id, o.name, o.phone, u.id, pr.name || ' ' || b.name || ' ' || u.number, pr.code,
                    (ARRAY['quality','design','property','marketing','delivery','other'])[1 + pi.id % 6],
                    CASE WHEN pi.status = 'running' THEN 'open' ELSE 'closed' END,
                    NULL, pi.started_at, pi.completed_at
                FROM process_instances pi
                JOIN owners o ON o.phone = '139' || lpad((1 + pi.id % :owners)::text, 8, '0')
                JOIN ownerships os ON os.owner_id = o.id
                JOIN units u ON u.id = os.unit_id
                JOIN buildings b ON b.id = u.building_id
                JOIN projects pr ON pr.id = b.project_id
                WHERE pi.id >= :first
                """
            ),
            {"first": first, "owners": OWNERS},
        )
        connection.execute(
            text(
                """
                INSERT INTO human_tasks (instance_id, task_guid, element_id, name, process_key, department,
                    assignee, form_key, priority, state, due_at, created_at, completed_at, completed_by,
                    escalation_level)
                SELECT pi.id, md5(pi.id::text || '-' || s), step.element_id, step.name, 'complaint',
                    CASE WHEN s = 1 THEN (ARRAY['engineering','engineering','engineering','property',
                                                'property','design','marketing'])[1 + pi.id % 7]
                         ELSE 'crc' END,
                    CASE WHEN open_step = s AND pi.id % 5 >= 2 THEN NULL
                         WHEN s = 1 THEN (ARRAY['eng','eng_mgr'])[1 + pi.id % 2]
                         ELSE (ARRAY['crc','crc_sup'])[1 + pi.id % 2] END,
                    step.form_key, 50,
                    CASE WHEN open_step = s THEN 'open' ELSE 'completed' END,
                    CASE WHEN open_step = s THEN now() + ((pi.id * 37) % 360 - 120) * interval '1 hour'
                         ELSE pi.started_at + (s + 1) * interval '1 day' END,
                    pi.started_at + s * 20 * interval '1 hour',
                    CASE WHEN open_step = s THEN NULL
                         ELSE pi.started_at + (s * 20 + 8) * interval '1 hour' END,
                    CASE WHEN open_step = s THEN NULL ELSE 'crc' END,
                    0
                FROM (SELECT *, CASE WHEN id % 7 = 0 THEN id % 4 ELSE -1 END AS open_step
                      FROM process_instances WHERE id >= :first) pi
                CROSS JOIN LATERAL
                    generate_series(0, CASE WHEN pi.open_step >= 0 THEN pi.open_step ELSE 3 END) s
                JOIN (VALUES (0, 'triage', '客服分派', 'complaint_triage'), (1, 'handle', '责任部门处理',
                      'complaint_handle'), (2, 'reply', '回复业主', 'complaint_reply'),
                      (3, 'confirm', '业主确认', 'complaint_confirm')) AS step(n, element_id, name, form_key)
                  ON step.n = s
                ORDER BY pi.id, s
                LIMIT :tasks
                """
            ),
            {"first": first, "tasks": tasks},
        )
        connection.execute(
            text(
                """
                UPDATE request_index ri SET step = ht.name
                FROM human_tasks ht WHERE ht.instance_id = ri.instance_id AND ht.state = 'open'
                """
            )
        )
        for table in ("process_instances", "human_tasks", "owners", "units", "buildings", "projects"):
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    echo(f"filled in {time.perf_counter() - started:.0f} s")


def _time(
    client: Any, path: str, runs: int, *, method: str = "GET", data: dict[str, str] | None = None
) -> list[float]:
    samples = []
    for n in range(runs + 3):
        begin = time.perf_counter()
        response = client.post(path, data=data) if method == "POST" else client.get(path)
        elapsed = (time.perf_counter() - begin) * 1000
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
        response.close()
        if n >= 3:  # warm-up: template compilation, spec cache, connection pool
            samples.append(elapsed)
    return samples


def run(*, postgres_url: str, tasks: int, runs: int, echo: Callable[[str], None]) -> dict[str, Any]:
    from lintel.clock import SystemClock
    from webapp import create_app

    url = fresh_postgres(postgres_url, DATABASE)
    engine = make_engine(url)
    upgrade(engine)
    foundation = Foundation(clock=SystemClock())
    with Session(engine) as session:
        load_demo(session)
        Platform(session, foundation).definitions.deploy(DIAGRAM.read_bytes(), DIAGRAM.name, actor="bench")
        session.commit()
    probes = _probes(engine, foundation)
    _fill(engine, tasks, echo)

    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(HumanTask))
        open_rows = session.scalar(
            select(func.count()).select_from(HumanTask).where(HumanTask.state == "open")
        )
        indexed = session.scalar(select(func.count()).select_from(RequestIndex))
        probe_task = session.scalars(
            select(HumanTask.id).where(HumanTask.instance_id == probes[0], HumanTask.state == "open")
        ).first()
        eng_task = session.scalars(
            select(HumanTask.id).where(HumanTask.instance_id == probes[1], HumanTask.state == "open")
        ).first()
        sample = session.scalars(
            select(RequestIndex)
            .where(RequestIndex.status == "open", RequestIndex.number.like("TS-2025-%"))
            .limit(1)
        ).one()
        probe_number = session.get(RequestIndex, probes[0]).number  # type: ignore[union-attr]
    echo(f"human_tasks: {total:,} rows ({open_rows:,} open), request_index: {indexed:,} rows")

    app = create_app(
        {"LINTEL_DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "LINTEL_THROTTLE_ATTEMPTS": "1000000"},
        foundation=foundation,
        session_factory=sessionmaker(engine, expire_on_commit=False),
    )
    clients: dict[str, Any] = {}
    for username in ("crc", "eng", "crc_sup", "admin"):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "demo"})
        clients[username] = client
    crc = clients["crc"]
    deep = "/inbox"
    for _ in range(20):  # twenty pages down the coordinators' queue
        html = crc.get(deep).get_data(as_text=True)
        marker = html.find("after=")
        deep = "/inbox?" + html[marker : html.find('"', marker)].replace("&amp;", "&")
    pages: list[tuple[str, str, str]] = [
        ("home", "crc", "/"),
        ("home (supervisor)", "crc_sup", "/"),
        ("inbox: department queue", "crc", "/inbox"),
        ("inbox: page 21", "crc", deep),
        ("inbox: mine", "crc", "/inbox?view=mine"),
        ("inbox: unclaimed", "crc", "/inbox?status=unclaimed"),
        ("inbox: overdue", "crc", "/inbox?due=overdue"),
        ("inbox: due this week", "crc", "/inbox?due=week"),
        ("inbox: completed", "crc", "/inbox?status=completed"),
        ("inbox: project + category", "crc", "/inbox?project=P3&category=quality"),
        ("inbox: search number", "crc", f"/inbox?q={sample.number}"),
        ("inbox: search phone", "crc", f"/inbox?q={sample.owner_phone}"),
        ("inbox: search name", "crc", "/inbox?q=王伟华"),
        ("inbox: search unit", "crc", "/inbox?q=3栋1201"),
        ("inbox: engineering", "eng", "/inbox"),
        ("inbox: every department", "crc_sup", "/inbox?department=*"),
        ("lookup: latest", "crc", "/lookup"),
        ("lookup: number digits", "crc", f"/lookup?q={sample.number[-6:]}"),
        ("lookup: phone last 4", "crc", f"/lookup?q={sample.owner_phone[-4:]}"),
        ("lookup: name", "crc", "/lookup?q=王伟华"),
        ("lookup: unit", "crc", "/lookup?q=3栋1201"),
        ("lookup: engineering", "eng", "/lookup"),
        ("lookup: every case (supervisor)", "crc_sup", "/lookup?status=closed"),
        ("task page", "crc", f"/tasks/{probe_task}"),
        ("task page (engineering)", "eng", f"/tasks/{eng_task}"),
        ("request page", "crc", f"/requests/{probes[0]}"),
        ("register: owner lookup", "crc", "/complaints/owners?q=1390000"),
        ("register page", "crc", "/complaints/new"),
        ("processes", "admin", "/processes"),
        ("process version", "admin", "/processes/complaint/1"),
        ("admin: users", "admin", "/admin/users"),
        ("portal lookup page", "crc", "/portal"),
    ]
    timings = []
    for name, user, path in pages:
        samples = _time(clients[user], path, runs)
        timings.append(_summary(name, user, samples))
    owner = app.test_client()
    samples = _time(
        owner, "/portal", runs, method="POST", data={"number": probe_number, "phone": "13800000001"}
    )
    timings.append(_summary("portal: look-up", "owner", samples))
    samples = _time(owner, f"/portal/{probe_number}", runs)
    timings.append(_summary("portal: request", "owner", samples))

    echo(f"{'page':32} {'user':8} {'p50 ms':>8} {'p95 ms':>8}")
    for t in timings:
        flag = "" if t.p95 <= TARGET_MS else "  over target"
        echo(f"{t.page:32} {t.user:8} {t.p50:8.1f} {t.p95:8.1f}{flag}")
    worst = max(timings, key=lambda t: t.p95)
    figures = {
        "benchmark": "pages",
        "database": "postgresql",
        "human_tasks": total,
        "open_tasks": open_rows,
        "runs_per_page": runs,
        "target_p95_ms": TARGET_MS,
        "worst_p95_ms": round(worst.p95, 1),
        "worst_page": worst.page,
        "all_within_target": worst.p95 <= TARGET_MS,
        "pages": {t.page: {"p50_ms": round(t.p50, 1), "p95_ms": round(t.p95, 1)} for t in timings},
    }
    echo(json.dumps(figures, ensure_ascii=False))
    engine.dispose()
    return figures


def _summary(name: str, user: str, samples: list[float]) -> Timing:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return Timing(name, user, statistics.median(ordered), p95, len(ordered))
