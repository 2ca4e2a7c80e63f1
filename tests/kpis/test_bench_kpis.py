"""`lintel bench kpis` on a small PostgreSQL database: it fills, rebuilds, refreshes and times every figures
page, and its last line is one JSON object with the worst p95 and the figures per page."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL
from webapp.cli import main


def test_the_bench_prints_each_page_and_ends_with_one_json_object(tmp_path: Path) -> None:
    url = make_url(POSTGRES_URL)
    database = url.set(database=f"{url.database}_bench_kpis").render_as_string(hide_password=False)
    env = {"LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    args = ["bench", "kpis", "--postgres-url", database, "--requests", "2000", "--runs", "2"]
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert any(line.startswith("rebuild: 2,000 requests") for line in lines)
    assert any(line.startswith("refresh after 1,000 new events") for line in lines)
    figures = json.loads(lines[-1])
    assert figures["requests"] == 2000 and figures["audit_events"] > 15_000
    pages = figures["pages"]
    assert {"/kpis 30 days by department", "/kpis 12 months by month", "/kpis/cases first page"} <= set(pages)
    for page in pages.values():
        assert 0 < page["p50_ms"] <= page["p95_ms"]
    assert figures["worst_p95_ms"] == max(page["p95_ms"] for page in pages.values())
    for absent in figures["not_present"]:  # pages not built yet are named, not timed
        assert any(line.startswith(absent) and line.endswith("not present") for line in lines)

    again = CliRunner().invoke(main, [*args, "--reuse"], env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "reusing the 2,000 requests" in again.output
    assert json.loads(again.output.strip().splitlines()[-1])["requests"] == 2000

    kept = CliRunner().invoke(main, [*args, "--reuse", "--keep-figures"], env=env, catch_exceptions=False)
    assert kept.exit_code == 0, kept.output
    assert "rebuild: skipped" in kept.output
    figures = json.loads(kept.output.strip().splitlines()[-1])
    assert figures["rebuild_s"] is None
    assert {"process heatmap, every version", "process heatmap, one version"} <= set(figures["pages"])
