"""Every setting Lintel reads, declared once: name, default, help. Environment variables `LINTEL_*`."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SettingsProblem(ValueError):
    """A setting the process cannot start with; the message says which and why."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "LINTEL_INSTANCE_PATH", "./instance", "Folder for the SQLite database, uploads and the secret key."
    ),
    Setting(
        "LINTEL_DATABASE_URL",
        "",
        "SQLAlchemy URL. Empty means SQLite at INSTANCE_PATH/lintel.db; production uses "
        "postgresql+psycopg://user@host/db.",
    ),
    Setting(
        "LINTEL_SECRET_KEY", "", "Signs sessions. Empty means a random key kept in INSTANCE_PATH/secret_key."
    ),
    Setting("LINTEL_HOST", "127.0.0.1", "Address `lintel serve` listens on."),
    Setting("LINTEL_PORT", "5000", "Port `lintel serve` listens on."),
    Setting(
        "LINTEL_SCRIPT_TIME_LIMIT",
        "2",
        "Seconds (wall clock and CPU) a diagram's script or expression may run before its evaluator is "
        "stopped and the step or instance fails.",
    ),
    Setting(
        "LINTEL_SCRIPT_MEMORY_MB",
        "256",
        "Memory (MB of address space) a script evaluator may take on top of what it starts with.",
    ),
    Setting(
        "LINTEL_SCRIPT_PROCESSES",
        "2",
        "Script evaluator processes per server or worker process; scripts beyond that wait for a free one.",
    ),
    Setting(
        "LINTEL_STATE_MAX_BYTES",
        str(2 * 1024 * 1024),
        "Largest stored state of one instance, in bytes (and largest data a script may hand back); "
        "an instance that grows past it fails with the reason.",
    ),
    Setting(
        "LINTEL_WORKING_HOURS", "09:00-12:00,13:30-18:00", "Working periods of a working day (Asia/Shanghai)."
    ),
    Setting(
        "LINTEL_HOLIDAYS_FILE",
        "",
        'JSON file of extra holidays and make-up working days: {"holidays": [...], "workdays": [...]}; '
        "empty means INSTANCE_PATH/holidays.json when it exists.",
    ),
    Setting(
        "LINTEL_TIMER_POLL_SECONDS", "1", "How often `lintel serve` and `lintel worker` look for due timers."
    ),
    Setting(
        "LINTEL_NOTICE_POLL_SECONDS",
        "2",
        "How often `lintel serve` and `lintel worker` look for messages due to be sent.",
    ),
    Setting(
        "LINTEL_NOTICE_MAX_ATTEMPTS",
        "8",
        "Attempts to send a message before it becomes a dead letter (an administrator resends it).",
    ),
    Setting(
        "LINTEL_NOTICE_RETRY_SECONDS",
        "30",
        "Wait after a message's first failed attempt; each further wait doubles, up to two hours.",
    ),
    Setting(
        "LINTEL_UPLOAD_MAX_BYTES",
        str(10 * 1024 * 1024),
        "Largest photo or file a page accepts, in bytes (stored under INSTANCE_PATH/uploads).",
    ),
    Setting(
        "LINTEL_UPLOAD_REQUEST_MAX_BYTES",
        str(100 * 1024 * 1024),
        "Most bytes of photos and files one request may hold in all; the file that would cross it is "
        "refused.",
    ),
    Setting(
        "LINTEL_UPLOAD_UNPACKED_MAX_BYTES",
        str(100 * 1024 * 1024),
        "Most bytes a .docx or .xlsx may unpack to (a zip bomb is refused).",
    ),
    Setting(
        "LINTEL_IMPORT_MAX_BYTES",
        str(50 * 1024 * 1024),
        "Largest record file (CSV or XLSX) `lintel import` and the import page accept, in bytes.",
    ),
    Setting(
        "LINTEL_THROTTLE_ATTEMPTS",
        "10",
        "Failed sign-ins to one account (portal: look-ups of one request number) from one client before "
        "each further attempt from that client waits a delay that doubles from 5 seconds.",
    ),
    Setting(
        "LINTEL_THROTTLE_CLIENT_ATTEMPTS",
        "50",
        "Failed sign-ins (portal: look-ups) from one client, whatever the account or number, before its "
        "further attempts wait the same doubling delay.",
    ),
    Setting(
        "LINTEL_THROTTLE_WINDOW",
        "900",
        "Seconds without a failure after which a client's failures are forgotten; the longest delay is a "
        "third of it.",
    ),
    Setting(
        "LINTEL_TRUSTED_PROXIES",
        "0",
        "Reverse proxies in front of Lintel whose X-Forwarded-For and X-Forwarded-Proto are believed "
        "(0: the peer address is the client).",
    ),
    Setting("LINTEL_TOKEN_DAYS", "90", "Days an API token works after it is issued."),
    Setting(
        "LINTEL_HOTLINE",
        "",
        "The customer-service hotline the owner portal shows on every page (e.g. 400-820-8820); empty shows "
        "no number.",
    ),
    Setting(
        "LINTEL_PUBLIC_URL",
        "http://127.0.0.1:5000",
        "The address owners and staff reach Lintel at; links in messages (portal, rating, task) start with "
        "it.",
    ),
    Setting(
        "LINTEL_QUIET_HOURS",
        "21:00-08:00",
        "No SMS between these times (Asia/Shanghai): what falls due is held until the end. Empty turns quiet "
        "hours off.",
    ),
    Setting(
        "LINTEL_BELL_POLL_SECONDS",
        "30",
        "How often an open staff page asks for the signed-in user's unread message count (the bell).",
    ),
    Setting(
        "LINTEL_NOTICE_BATCH_SECONDS",
        "60",
        "How long a department's new-task notice waits for more tasks, so that a burst is one message.",
    ),
    Setting(
        "LINTEL_NOTICE_CONSOLE",
        "",
        "Development: 1 prints every message of a channel that is not configured (email, SMS) to the "
        "console instead of dropping it.",
    ),
    Setting(
        "LINTEL_NOTICE_TIMEOUT",
        "15",
        "Seconds one email, SMS or robot message may take to send (connect and answer) before it is tried "
        "again later; at most 120.",
    ),
    Setting("LINTEL_SMTP_HOST", "", "Mail server that sends email; empty means no email channel."),
    Setting(
        "LINTEL_SMTP_PORT", "25", "Port of the mail server (usually 25, 587 with starttls, 465 with ssl)."
    ),
    Setting(
        "LINTEL_SMTP_TLS",
        "none",
        "none, starttls (upgrade the connection) or ssl (TLS from the start); the server's certificate is "
        "checked against the system's trusted authorities.",
    ),
    Setting("LINTEL_SMTP_USER", "", "Login at the mail server; empty sends without logging in."),
    Setting("LINTEL_SMTP_PASSWORD", "", "Password of LINTEL_SMTP_USER."),
    Setting(
        "LINTEL_MAIL_FROM",
        "",
        "Sender of every email, e.g. 客户关系中心 <crc@example.com> (needed with LINTEL_SMTP_HOST); its "
        "domain ends each Message-ID.",
    ),
    Setting(
        "LINTEL_SMS_GATEWAY_URL",
        "",
        "SMS gateway (http or https URL) that takes the JSON contract in the README; empty means no SMS "
        "channel.",
    ),
    Setting("LINTEL_SMS_GATEWAY_KEY", "", "Access key sent to the SMS gateway as X-Api-Key."),
    Setting("LINTEL_SMS_GATEWAY_SECRET", "", "Secret that signs every request to the SMS gateway."),
    Setting(
        "LINTEL_SMS_SIGN_NAME", "", "SMS signature (短信签名) registered with the provider, e.g. 某某地产."
    ),
    Setting(
        "LINTEL_SMS_TEMPLATES",
        "",
        "The provider's template of a message kind, e.g. complaint.registered=SMS_123456,complaint.closed="
        "SMS_123457; a kind not listed is sent with its own name as template id.",
    ),
    Setting(
        "LINTEL_NODE_MODULES",
        "",
        "Folder of the npm packages the pages use (bpmn-js, htmx). Empty means node_modules beside the code.",
    ),
)


def read(environ: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    values = {s.name: env.get(s.name, s.default) for s in SETTINGS}
    instance = Path(values["LINTEL_INSTANCE_PATH"]).resolve()
    values["LINTEL_INSTANCE_PATH"] = str(instance)
    if not values["LINTEL_DATABASE_URL"]:
        values["LINTEL_DATABASE_URL"] = f"sqlite:///{instance / 'lintel.db'}"
    if not values["LINTEL_SECRET_KEY"]:
        values["LINTEL_SECRET_KEY"] = _stored_secret(instance)
    return values


def _stored_secret(instance: Path) -> str:
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
