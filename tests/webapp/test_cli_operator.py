"""The `lintel` command as an operator meets it: its own commands in --help, one line (not a traceback)
when run away from its instance folder or when the port is taken, demo cases, and a log of requests."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from click.testing import CliRunner

from webapp.cli import main
from webapp.serving import AccessLog


def test_help_shows_lintels_commands_not_the_frameworks_options() -> None:
    result = CliRunner().invoke(main, ["--help"], catch_exceptions=False)
    assert result.exit_code == 0
    for command in ("init", "demo", "deploy", "serve", "worker", "timers", "token", "user"):
        assert f"\n  {command} " in result.output
    for generic in ("--app", "--env-file", "--debug", "FLASK"):
        assert generic not in result.output


def test_run_away_from_its_instance_folder_it_says_where_it_looked(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere-else" / "instance"
    result = CliRunner().invoke(
        main, ["timers", "list"], env={"LINTEL_INSTANCE_PATH": str(elsewhere), "LINTEL_DATABASE_URL": ""}
    )
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert str(elsewhere) in lines[0] and "lintel init" in lines[0]
    assert not (elsewhere / "lintel.db").exists()  # looking made no empty database


def test_serve_reports_a_port_in_use_in_one_line_and_never_says_serving(tmp_path: Path) -> None:
    env = {"LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env, catch_exceptions=False).exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(main, ["serve", "--port", str(port)], env=env)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"port {port} on 127.0.0.1 is in use: stop what holds it, or use --port or LINTEL_PORT"
    )


def test_demo_adds_complaints_in_every_state_once(tmp_path: Path) -> None:
    env = {"LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--demo"], env=env, catch_exceptions=False).exit_code == 0
    first = runner.invoke(main, ["demo"], env=env, catch_exceptions=False)
    assert first.exit_code == 0 and "demo complaints added: 8" in first.output
    again = runner.invoke(main, ["demo"], env=env, catch_exceptions=False)
    assert "no demo cases added" in again.output


def test_the_server_logs_each_request(app, caplog) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.application.wsgi_app = AccessLog(app.wsgi_app)  # as `lintel serve` wraps it
    with caplog.at_level(logging.INFO, logger="lintel.requests"):
        client.get("/portal")
    assert any(r.getMessage().startswith("GET /portal 200 ") for r in caplog.records)
