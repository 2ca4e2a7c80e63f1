"""The OpenAPI document is a contract: schemathesis drives the real app, served on 127.0.0.1 from a fresh
database (SQLite, then PostgreSQL, which refuses what SQLite lets by: NUL characters, ids past a column's
range, strings past a column's length) with the demo organisation and a few complaints, through every
operation of the document.

Any 5xx, a status the document does not list, a body that does not match its schema, a wrong content type,
a 405 without `Allow`, invalid input accepted or schema-valid input refused as malformed fails the test.
The budget is small and fixed (a few dozen cases per operation, deterministic generation), so the run is
the same every time; each database takes 10-20 s on a 2-core machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from crm.directory import actor_for
from crm.platform import Foundation, Platform
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import fresh_database_url, prepare
from webapp import create_app
from webapp.database import make_engine

SCHEMATHESIS = Path(sys.executable).parent / "st"
MAX_EXAMPLES = 15  # per operation and phase: about 600 requests per database
TIME_LIMIT = 240  # seconds; a run this long is a failure in itself


def _tokens_and_requests(session: Session, foundation: Foundation) -> dict[str, str]:
    """Tokens for the coordinator (every operation) and the administrator (deploys, incidents), and
    complaints in a few states so that task and complaint ids lead somewhere (one of them failed: an
    incident)."""
    platform = Platform(session, foundation)
    users = {name: platform.directory.user(name) for name in ("crc", "admin")}
    tokens = {}
    for name, user in users.items():
        assert user is not None, name
        tokens[name] = platform.directory.issue_token(user)
    coordinator = actor_for(users["crc"])  # type: ignore[arg-type]
    for phone in ("13800000001", "13800000002", "13800000003"):
        platform.complaints.register(
            coordinator, channel="hotline", description="卫生间渗水", owner_phone=phone
        )
    session.commit()
    failed = platform.complaints.register(
        coordinator, channel="hotline", description="电梯故障", owner_phone="13800000004"
    )
    platform.runtime.fail(
        platform.runtime.get(failed.instance_id),
        coordinator,
        RuntimeError("the evaluator ended unexpectedly"),
    )
    session.commit()
    return tokens


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("contract")
    url = fresh_database_url(request.param, folder, name="api_contract")
    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    prepare(engine, clock)
    foundation = Foundation(clock=clock)
    with Session(engine, expire_on_commit=False) as session:
        tokens = _tokens_and_requests(session, foundation)
    app = create_app(
        {"LINTEL_DATABASE_URL": url, "LINTEL_INSTANCE_PATH": str(folder), "LINTEL_SECRET_KEY": "contract"},
        foundation=foundation,
        session_factory=sessionmaker(engine, expire_on_commit=False),  # disposed with the engine below
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", tokens
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


def _config(tokens: dict[str, str]) -> str:
    return f"""
[cache]
enabled = false

# A NUL character is refused with 400 wherever it comes (PostgreSQL cannot store it; test_api_requests.py
# covers that), so schema-valid requests are generated without one.
[generation]
allow-x00 = false

[headers]
Authorization = "Bearer {tokens["crc"]}"

# A schema-valid request may still name an owner, a task or a diagram that does not fit (404, 409, 422);
# it must never be refused as malformed (400).
[checks.positive_data_acceptance]
expected-statuses = ["2xx", 401, 403, 404, 409, 422]

[[operations]]
include-path = "/process-definitions"
headers = {{ Authorization = "Bearer {tokens["admin"]}" }}

[[operations]]
include-path-regex = "^/incidents"
headers = {{ Authorization = "Bearer {tokens["admin"]}" }}
"""


def test_the_api_answers_as_its_openapi_document_says(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, tokens = served
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(tokens))
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
    ]
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=TIME_LIMIT, check=False
    )
    elapsed = time.monotonic() - started
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found contract violations:\n{report[-30000:]}"
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", report)
    assert selected and len(set(selected.groups())) == 1, f"not every operation was tested:\n{report[-5000:]}"
    print(f"schemathesis: {elapsed:.1f} s")
