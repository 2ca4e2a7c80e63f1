"""The PostgreSQL database a benchmark fills: dropped and made anew on the server the given URL names."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from webapp.database import make_engine


def fresh_postgres(url: str, database: str) -> str:
    """Drop and create `database` on `url`'s server; the URL of the new, empty database."""
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    return parsed.set(database=database).render_as_string(hide_password=False)
