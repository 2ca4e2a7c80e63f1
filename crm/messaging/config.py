"""What the messaging of one process is built with (from the settings, in webapp)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from notifications.quiet import QuietHours
from notifications.templates import Templates

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class MessagingConfig:
    # Links in messages to owners (portal, rating) and staff (task) start with it.
    public_url: str = "http://127.0.0.1:5000"
    quiet: QuietHours = field(default_factory=QuietHours)
    # How long a department's new-task notice waits for more tasks to join it.
    batch_window: timedelta = timedelta(seconds=60)
    templates: Templates = field(default_factory=lambda: Templates([TEMPLATES]))
