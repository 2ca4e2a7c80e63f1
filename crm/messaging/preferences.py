"""Each owner chooses, per kind of message, the channels it comes by — or, for optional kinds, none."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

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
    changed_at: datetime | None = None
    changed_by: str | None = None  # "owner" (on the portal) or the staff member's username

    @property
    def defaults(self) -> tuple[str, ...]:
        return self.kind.channels


class NoticePreferences:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def of_owner(self, owner_id: int) -> list[Choice]:
        """Every owner kind, in catalogue order, with the channels it comes by."""
        return self.of_owners([owner_id])

    def of_owners(self, owner_ids: Collection[int]) -> list[Choice]:
        """The same for one person held as several owner records (one phone): per kind, the choice made
        last on any of them (they are saved to all of them together, see `choose_for`)."""
        rows: dict[str, OwnerNoticePreference] = {}
        for stored in self.session.scalars(
            select(OwnerNoticePreference)
            .where(OwnerNoticePreference.owner_id.in_(sorted(owner_ids)))
            .order_by(OwnerNoticePreference.updated_at, OwnerNoticePreference.owner_id)
        ):
            rows[stored.kind] = stored  # the latest wins
        choices = []
        for kind in KINDS.values():
            if kind.audience != "owner":
                continue
            row = rows.get(kind.code)
            if row is None:
                choices.append(Choice(kind, kind.channels, False))
            else:
                choices.append(Choice(kind, _split(row.channels), True, row.updated_at, row.updated_by))
        return choices

    def choose_for(
        self, owner_ids: Collection[int], kind_code: str, channels: Iterable[str], by: str
    ) -> Choice | None:
        """`choose` for each of one person's owner records; None when there are none."""
        chosen = list(channels)
        choice = None
        for owner_id in sorted(owner_ids):
            choice = self.choose(owner_id, kind_code, chosen, by)
        return choice

    def channels_for(self, owner_id: int, kind_code: str) -> tuple[str, ...]:
        """The channels `kind_code` reaches this owner by; empty: they opted out."""
        row = self.session.get(OwnerNoticePreference, (owner_id, kind_code))
        if row is None:
            return KINDS[kind_code].channels
        return _split(row.channels)

    def channels_for_owners(self, owner_ids: Collection[int], kind_code: str) -> dict[int, tuple[str, ...]]:
        """`channels_for` of many owners in one query (a notice to thousands); every id is a key."""
        default = KINDS[kind_code].channels
        found = {owner_id: default for owner_id in owner_ids}
        if not found:
            return found
        rows = self.session.execute(
            select(OwnerNoticePreference.owner_id, OwnerNoticePreference.channels).where(
                OwnerNoticePreference.kind == kind_code,
                OwnerNoticePreference.owner_id.in_(sorted(found)),
            )
        )
        for owner_id, channels in rows:
            found[owner_id] = _split(channels)
        return found

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
        return Choice(kind, chosen, True, row.updated_at, by)


def _split(channels: str) -> tuple[str, ...]:
    return tuple(c for c in channels.split(",") if c)
