"""Quiet hours: no SMS at night; what falls due then is held until the morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from lintel.clock import SHANGHAI


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time (crossing midnight when start > end). None: never quiet."""

    start: time | None = time(21, 0)
    end: time | None = time(8, 0)
    zone: ZoneInfo = SHANGHAI

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo = SHANGHAI) -> QuietHours:
        """`21:00-08:00`; empty turns quiet hours off. Raises ValueError with the reason."""
        text = text.strip()
        if not text:
            return cls(None, None, zone)
        try:
            start_text, end_text = text.split("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        except ValueError:
            raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM, e.g. 21:00-08:00") from None
        if start == end:
            raise ValueError(f"quiet hours {text!r}: start and end are the same time")
        return cls(start, end, zone)

    def is_quiet(self, at: datetime) -> bool:
        if self.start is None or self.end is None:
            return False
        local = at.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, at: datetime) -> datetime:
        """`at` itself outside quiet hours, else the end of the quiet period that holds it (aware, UTC
        offset kept as given)."""
        if not self.is_quiet(at) or self.end is None:
            return at
        local = at.astimezone(self.zone)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(at.tzinfo)
