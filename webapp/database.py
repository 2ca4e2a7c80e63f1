"""Database engines and the schema: SQLite (WAL) embedded by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# Execution option of a connection whose transaction mostly reads (a GET): on SQLite it begins deferred.
READ_MOSTLY = "lintel_read_mostly"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs work.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # type: ignore[no-untyped-def]
            # IMMEDIATE: a transaction that reads and then writes would otherwise fail at once ("database is
            # locked") when another wrote in between; this way writers queue for the busy timeout instead.
            # Reads (READ_MOSTLY) begin deferred and never wait for a writer.
            read = connection.get_execution_options().get(READ_MOSTLY)
            connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine
    # Sessions and connections always end their own transactions, so the pool need not roll back again.
    return create_engine(parsed, pool_recycle=1800, pool_reset_on_return=None)


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
