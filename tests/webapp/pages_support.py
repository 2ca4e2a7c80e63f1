"""Helpers the page tests share: signing in, registering a complaint, walking it through its steps."""

from __future__ import annotations

import re
from typing import Any

from crm.directory import actor_for
from crm.platform import Platform
from engine.models import HumanTask

OWNER_PHONE = "13800000001"
TRIAGE = {"category": "quality", "severity": "high", "department": "engineering"}


def login(client: Any, username: str, password: str = "demo") -> Any:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text(response: Any) -> str:
    """The page's text with tags and runs of whitespace removed: what a reader sees, roughly."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def csrf_token(client: Any, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def actor(platform: Platform, username: str):  # type: ignore[no-untyped-def]
    user = platform.directory.user(username)
    assert user is not None, username
    return actor_for(user)


def register(platform: Platform, *, phone: str = OWNER_PHONE, description: str = "卫生间天花板渗水") -> Any:
    """A complaint registered by the coordinator through the service layer (committed by the caller)."""
    complaint = platform.complaints.register(
        actor(platform, "crc"), channel="hotline", description=description, owner_phone=phone
    )
    platform.session.commit()
    return complaint


def open_task(platform: Platform, instance_id: int) -> HumanTask:
    rows = [
        t for t in platform.tasks.open_tasks_of(instance_id) if (getattr(t, "kind", None) or "task") == "task"
    ]
    assert len(rows) == 1, [r.element_id for r in rows]
    return rows[0]


def complete(platform: Platform, instance_id: int, username: str, data: dict[str, Any]) -> HumanTask:
    row = open_task(platform, instance_id)
    platform.tasks.complete(row.id, data, actor(platform, username))
    platform.session.commit()
    return row


def close(platform: Platform, instance_id: int) -> None:
    """Triage, handling, and the reply with the owner's confirmation: the complaint is closed."""
    complete(platform, instance_id, "crc", TRIAGE)
    complete(platform, instance_id, "eng", {"resolution": "已更换防水层"})
    answer = {"reached": "yes", "reply": "已维修完毕", "satisfied": "yes", "score": 5}
    complete(platform, instance_id, "crc", answer)
