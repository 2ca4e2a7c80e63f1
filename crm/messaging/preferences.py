"""Each owner chooses, per kind of message, the channels it comes by — or, for optional kinds, none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.messaging.kinds import KINDS, OWNER_CHANNELS, Kind
from crm.messaging.models import OwnerNoticePreference
from engine.errors import InvalidData
from lintel.clock import Clock


@dataclass(frozen=True)
class Choice:
    kind: Kind
    channels: tuple[str, ...]
    chosen: bool  # False: the kind's defaults (the owner never chose)


class NoticePreferences:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def of_owner(self, owner_id: int) -> list[Choice]:
        """Every owner kind, in catalogue order, with the channels it comes by."""
        rows = {
            row.kind: row
            for row in self.session.scalars(
                select(OwnerNoticePreference).where(OwnerNoticePreference.owner_id == owner_id)
            )
        }
        choices = []
        for kind in KINDS.values():
            if kind.audience != "owner":
                continue
            row = rows.get(kind.code)
            if row is None:
                choices.append(Choice(kind, kind.channels, False))
            else:
                choices.append(Choice(kind, _split(row.channels), True))
        return choices

    def channels_for(self, owner_id: int, kind_code: str) -> tuple[str, ...]:
        """The channels `kind_code` reaches this owner by; empty: they opted out."""
        row = self.session.get(OwnerNoticePreference, (owner_id, kind_code))
        if row is None:
            return KINDS[kind_code].channels
        return _split(row.channels)

    def choose(self, owner_id: int, kind_code: str, channels: Iterable[str], by: str) -> Choice:
        """Store the owner's choice. Raises InvalidData: an unknown kind or channel, or no channel for a
        service notice (only optional kinds may be turned off)."""
        kind = KINDS.get(kind_code)
        if kind is None or kind.audience != "owner":
            raise InvalidData("unknown message kind", {"kind": f"no owner message kind {kind_code!r}"})
        chosen = tuple(c for c in OWNER_CHANNELS if c in set(channels))
        unknown = set(channels) - set(OWNER_CHANNELS)
        if unknown:
            raise InvalidData("unknown channel", {"channels": f"unknown channel {sorted(unknown)[0]!r}"})
        if not chosen and not kind.optional:
            raise InvalidData(
                "a service notice needs a channel",
                {"channels": "this notice is about the owner's own request: choose at least one channel"},
            )
        row = self.session.get(OwnerNoticePreference, (owner_id, kind_code))
        if row is None:
            row = OwnerNoticePreference(owner_id=owner_id, kind=kind_code)
            self.session.add(row)
        row.channels = ",".join(chosen)
        row.updated_at = self.clock.now()
        row.updated_by = by
        self.session.flush()
        return Choice(kind, chosen, True)


def _split(channels: str) -> tuple[str, ...]:
    return tuple(c for c in channels.split(",") if c)
