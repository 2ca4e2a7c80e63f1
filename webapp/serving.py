"""`lintel serve` and `lintel worker` as an operator sees them: one line when the port is taken, "serving"
only once the socket listens, and a log line per request and per timer firing."""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

log = logging.getLogger("lintel.requests")


def configure_logging() -> None:
    """Requests and timer firings on standard error, one line each."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it would log every poll


class AccessLog:
    """WSGI middleware: `GET /inbox 200 12 ms` for every request (static files and assets at DEBUG)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = []

        def recording(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, *rest)

        try:
            return self.app(environ, recording)
        finally:
            path = environ.get("PATH_INFO", "")
            level = logging.DEBUG if path.startswith(("/static/", "/vendor/")) else logging.INFO
            log.log(
                level,
                "%s %s %s %.0f ms %s",
                environ.get("REQUEST_METHOD", "-"),
                path,
                status[0] if status else "-",
                (time.perf_counter() - started) * 1000,
                environ.get("REMOTE_ADDR", "-"),
            )


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, in one line, or None. Checked with a probe socket before the
    server is built: a server that fails half-built leaves its sockets for the garbage collector."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        return f"{host} is not an address to listen on ({exc.strerror})"
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be opened ({exc.strerror})"
            return f"port {port} on {host} {why}: stop what holds it, or use --port or LINTEL_PORT"
    return None


def database_problem(app: Flask) -> str | None:
    """Why this app has no Lintel database to work on (run elsewhere than its folder, never initialised),
    or None when it has one."""
    url = app.config["LINTEL_DATABASE_URL"]
    where = (
        f"looked for the instance folder at {app.config['LINTEL_INSTANCE_PATH']} "
        f"(LINTEL_INSTANCE_PATH, default ./instance) and the database at {make_url(url).render_as_string()}"
    )
    advice = (
        "run `lintel init` there, start lintel from the folder that holds instance/, "
        "or set LINTEL_INSTANCE_PATH"
    )
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return f"no Lintel database: {where}; {advice}"
    engine = app.extensions["lintel.sessions"].kw["bind"]
    try:
        with engine.connect() as connection:
            ready = inspect(connection).has_table("alembic_version")
    except Exception as exc:  # noqa: BLE001 — any failure to reach the database is reported the same way
        return f"cannot reach the Lintel database: {where}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    if not ready:
        return f"the Lintel database is not set up: {where}; {advice}"
    return None
