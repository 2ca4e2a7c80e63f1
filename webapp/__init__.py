"""Lintel's web layer: pages, REST API, authentication and the CLI. The only place that imports Flask."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.messaging.config import MessagingConfig
from crm.messaging.robots import robot_secret_lookup
from crm.platform import Foundation, Platform
from engine.business_time import BusinessCalendar, WorkingHours
from engine.evaluator import EvaluatorLimits, MiB
from notifications.config import build_channels
from notifications.dispatch import Retry
from notifications.quiet import QuietHours
from webapp import settings
from webapp.database import READ_MOSTLY, make_engine
from webapp.request_limits import GuardedJSONProvider, refuse_nul_characters


def create_app(
    overrides: dict[str, Any] | None = None,
    *,
    foundation: Foundation | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> Flask:
    app = Flask(__name__, instance_path=None)
    app.json = GuardedJSONProvider(app)  # request bodies are parsed within a size and depth limit
    app.before_request(refuse_nul_characters)
    config = settings.read()
    config.update(overrides or {})
    app.config.update(config)
    app.config["SECRET_KEY"] = config["LINTEL_SECRET_KEY"]
    app.config["JSON_SORT_KEYS"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    proxies = int(config["LINTEL_TRUSTED_PROXIES"])
    if proxies > 0:
        # Behind that many reverse proxies the peer is the nearest proxy: the client's address and scheme
        # come from the headers they add (throttling keys on the address, the cookie on the scheme).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    if session_factory is None:
        engine = make_engine(config["LINTEL_DATABASE_URL"])
        session_factory = sessionmaker(engine, expire_on_commit=False)
    app.extensions["lintel.sessions"] = session_factory
    try:
        app.extensions["lintel.foundation"] = foundation or Foundation(
            calendar=business_calendar(config),
            script_limits=script_limits(config),
            messaging=messaging(config),
        )
        # What the dispatcher sends through; built now, so that a bad setting stops the start.
        app.extensions["lintel.channels"] = build_channels(config, robot_secret_lookup(session_factory))
        app.extensions["lintel.retry"] = retry_policy(config)
        app.extensions["lintel.notice_poll"] = _number(config, "LINTEL_NOTICE_POLL_SECONDS", 0.1)
        app.extensions["lintel.bell_poll"] = _number(config, "LINTEL_BELL_POLL_SECONDS", 1)
    except ValueError as bad:
        raise settings.SettingsProblem(str(bad)) from bad

    @app.url_value_preprocessor
    def _ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        # An id no database row can have is simply not found (rather than an overflow in the driver).
        if values and any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in values.values()):
            raise NotFound("no such record")

    from webapp.api import api

    app.register_blueprint(api)

    from webapp.pages import init_pages

    init_pages(app)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    return app


MAX_ID = 2**63 - 1


def business_calendar(config: dict[str, Any]) -> BusinessCalendar:
    """The working calendar from the settings: working hours and the holidays file."""
    path = config["LINTEL_HOLIDAYS_FILE"] or str(Path(config["LINTEL_INSTANCE_PATH"]) / "holidays.json")
    return BusinessCalendar.from_file(Path(path), WorkingHours.parse(config["LINTEL_WORKING_HOURS"]))


def messaging(config: dict[str, Any]) -> MessagingConfig:
    """Links, quiet hours and batching of messages, from the settings."""
    return MessagingConfig(
        public_url=config["LINTEL_PUBLIC_URL"].rstrip("/"),
        quiet=QuietHours.parse(config["LINTEL_QUIET_HOURS"]),
        batch_window=timedelta(seconds=float(config["LINTEL_NOTICE_BATCH_SECONDS"])),
    )


def retry_policy(config: dict[str, Any]) -> Retry:
    """Attempts and backoff of messages that failed, from the settings."""
    return Retry(
        max_attempts=int(_number(config, "LINTEL_NOTICE_MAX_ATTEMPTS", 1)),
        first_delay=timedelta(seconds=_number(config, "LINTEL_NOTICE_RETRY_SECONDS", 0)),
    )


def _number(config: dict[str, Any], name: str, least: float) -> float:
    text = str(config[name]).strip()
    try:
        value = float(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise ValueError(f"{name} must be a number of at least {least:g}, not '{text}'")
    return value


def script_limits(config: dict[str, Any]) -> EvaluatorLimits:
    """What a diagram's scripts may take, from the settings."""
    return EvaluatorLimits(
        seconds=float(config["LINTEL_SCRIPT_TIME_LIMIT"]),
        memory_bytes=int(config["LINTEL_SCRIPT_MEMORY_MB"]) * MiB,
        max_data_bytes=int(config["LINTEL_STATE_MAX_BYTES"]),
        processes=int(config["LINTEL_SCRIPT_PROCESSES"]),
    )


def db_session() -> Session:
    """The session of the current request or command; its owner commits."""
    from flask import current_app

    if "db_session" not in g:
        session = current_app.extensions["lintel.sessions"]()
        begin_reading(session)
        g.db_session = session
    found: Session = g.db_session
    return found


def begin_reading(session: Session) -> None:
    """A page or API read starts its SQLite transaction deferred, so it reads alongside a writer (WAL)
    instead of queueing behind one, e.g. a step whose script takes its whole time limit. Called again by a
    read that committed or rolled back early, for the transaction that follows."""
    if request and request.method in ("GET", "HEAD"):
        session.connection(execution_options={READ_MOSTLY: True})


def platform() -> Platform:
    from flask import current_app

    if "platform" not in g:
        g.platform = Platform(db_session(), current_app.extensions["lintel.foundation"])
    result: Platform = g.platform
    return result
