"""Fixtures: database tests run on SQLite and on PostgreSQL, each inside a rolled-back transaction."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from crm.demo import load_demo
from crm.platform import Foundation, Platform
from lintel.clock import SHANGHAI, FixedClock
from webapp import create_app
from webapp.database import ROOT, make_engine, upgrade


def _worker_database(url: str) -> str:
    """The PostgreSQL test database of this pytest-xdist worker (`test_gw0`, …), created when missing, so
    workers running side by side never drop each other's schema; the URL as given without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if not exists:
            connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = os.environ.get("LINTEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATA = Path(__file__).parent / "data"
COMPLAINT_BPMN = ROOT / "workflows" / "complaint.bpmn"


def fresh_database_url(kind: str, folder: Path, name: str = "") -> str:
    """An empty database of the given kind: SQLite in `folder`; on PostgreSQL the test database with its
    schema dropped (no `name`), or a recreated database `<test database>_<name>` for multi-process tests."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'lintel.db'}"
    if name:
        url = make_url(_worker_database(POSTGRES_URL))
        admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {url.database}_{name} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {url.database}_{name}"))
        admin.dispose()
        return url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
    url = _worker_database(POSTGRES_URL)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def prepare(engine: Engine, clock: FixedClock) -> None:
    """Schema, demo organisation and customers, and the bundled complaint workflow, committed."""
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
        platform = Platform(session, Foundation(clock=clock))
        for path in sorted(COMPLAINT_BPMN.parent.glob("*.bpmn")):
            platform.definitions.deploy(path.read_bytes(), path.name, actor="setup")
        session.commit()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = fresh_database_url(request.param, tmp_path_factory.mktemp(request.param))
    engine = make_engine(url)
    prepare(engine, FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(db_engine: Engine) -> Iterator[Connection]:
    with db_engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def clock() -> FixedClock:
    # A Friday morning in Shanghai.
    return FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def foundation(clock: FixedClock) -> Foundation:
    return Foundation(clock=clock)


@pytest.fixture
def platform(session: Session, foundation: Foundation) -> Platform:
    return Platform(session, foundation)


@pytest.fixture
def app(session_factory: sessionmaker[Session], foundation: Foundation, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(
        {"TESTING": True, "LINTEL_INSTANCE_PATH": str(tmp_path), "LINTEL_SECRET_KEY": "test"},
        foundation=foundation,
        session_factory=session_factory,
    )
    # An uploaded import waits to be run by the test: a background thread would share the test's connection.
    app.extensions["queued_imports"] = queued = []
    app.extensions["lintel.import_runner"] = queued.append
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def auth(session_factory: sessionmaker[Session], foundation: Foundation) -> Callable[[str], dict[str, str]]:
    """Authorization headers for a demo user, with a token issued the way `lintel token` does."""
    tokens: dict[str, str] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in tokens:
            with session_factory() as session:
                platform = Platform(session, foundation)
                user = platform.directory.user(username)
                assert user is not None, username
                tokens[username] = platform.directory.issue_token(user)
                session.commit()
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers
