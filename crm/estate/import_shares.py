"""What the owner and contract imports work on, a batch at a time: owners, contracts and ownerships as
plain records, read at once for the batch's units and written back with one statement per table; the rules
of crm.estate.services applied to them (the unit's current contract, one contact owner, the ownerships a
contract's transfer or cancellation ends)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.import_sql import among, insert_all, read, update_all
from crm.estate.models import Contract, Owner, Ownership


@dataclass(eq=False)
class OwnerRecord:
    id: int | None
    name: str
    phone: str
    email: str | None
    id_number: str | None
    tier: str = "regular"


@dataclass(eq=False)
class Share:
    """An ownership as the batch sees it; `before` is what the database holds (None: new)."""

    owner: OwnerRecord
    unit_id: int
    is_contact: bool
    contract_id: int | None
    started_on: date | None
    ended_on: date | None
    before: tuple[Any, ...] | None = None
    contract: ContractRecord | None = None  # a contract of this batch, before it has an id

    def state(self) -> tuple[Any, ...]:
        contract_id = self.contract.id if self.contract is not None else self.contract_id
        return (self.is_contact, contract_id, self.started_on, self.ended_on)


@dataclass(eq=False)
class ContractRecord:
    id: int | None
    number: str
    unit_id: int
    signed_on: date
    planned_handover_on: date | None
    handed_over_on: date | None
    cancelled_on: date | None
    status: str

    def values(self) -> tuple[Any, ...]:
        return (self.signed_on, self.planned_handover_on, self.handed_over_on, self.cancelled_on, self.status)


def current_of(contracts: list[ContractRecord]) -> ContractRecord | None:
    """The unit's latest contract that is not cancelled (as crm.estate.services.Records.current_contract)."""
    live = [c for c in contracts if c.status != "cancelled"]
    return max(live, key=lambda c: (c.signed_on, c.id is None, c.id or 0), default=None)


class Shares:
    """The ownerships of a batch's units, read at once and written at the end of the batch."""

    def __init__(self, session: Session, owners: dict[int, OwnerRecord]) -> None:
        self.session = session
        self.owners = owners
        self.by_unit: dict[int, list[Share]] = {}

    def load(self, unit_ids: set[int]) -> None:
        self.by_unit = {unit_id: [] for unit_id in unit_ids}
        if not unit_ids:
            return
        rows = read(
            self.session,
            select(
                Ownership.owner_id,
                Ownership.unit_id,
                Ownership.is_contact,
                Ownership.contract_id,
                Ownership.started_on,
                Ownership.ended_on,
            ).where(among(self.session, Ownership.unit_id, unit_ids)),
        ).all()
        missing = {r.owner_id for r in rows} - self.owners.keys()
        if missing:
            for o in read(
                self.session,
                select(Owner.id, Owner.name, Owner.phone, Owner.email, Owner.id_number, Owner.tier).where(
                    among(self.session, Owner.id, missing)
                ),
            ):
                self.owners[o.id] = OwnerRecord(o.id, o.name, o.phone, o.email, o.id_number, o.tier)
        for r in rows:
            share = Share(
                self.owners[r.owner_id], r.unit_id, r.is_contact, r.contract_id, r.started_on, r.ended_on
            )
            share.before = share.state()
            self.by_unit[r.unit_id].append(share)

    def current(self, unit_id: int) -> list[Share]:
        return [s for s in self.by_unit[unit_id] if s.ended_on is None]

    def keep_one_contact(self, unit_id: int) -> None:
        """Exactly one contact owner among the current owners: the first one when none is."""
        current = self.current(unit_id)
        for share in self.by_unit[unit_id]:
            if share.ended_on is not None:
                share.is_contact = False
        if current and not any(s.is_contact for s in current):
            current[0].is_contact = True

    def write(self) -> None:
        inserts, updates = [], []
        for shares in self.by_unit.values():
            for share in shares:
                state = share.state()
                values = dict(
                    zip(("is_contact", "contract_id", "started_on", "ended_on"), state, strict=True)
                )
                if share.before is None:
                    inserts.append({"owner_id": share.owner.id, "unit_id": share.unit_id, **values})
                elif state != share.before:
                    updates.append({"owner_id": share.owner.id, "unit_id": share.unit_id, **values})
        if inserts:
            insert_all(self.session, Ownership.__table__, inserts)
        update_all(self.session, Ownership.__table__, ("owner_id", "unit_id"), updates)


def current_contracts(session: Session, unit_ids: set[int]) -> dict[int, tuple[int, date]]:
    """Each unit's current contract: (id, signed_on)."""
    found: dict[int, tuple[int, date]] = {}
    if not unit_ids:
        return found
    for contract_id, unit_id, signed_on in read(
        session,
        select(Contract.id, Contract.unit_id, Contract.signed_on)
        .where(among(session, Contract.unit_id, unit_ids), Contract.status != "cancelled")
        .order_by(Contract.signed_on, Contract.id),
    ):
        found[unit_id] = (contract_id, signed_on)
    return found


def end_under(shares: Shares, contract: ContractRecord, on: date | None) -> None:
    """The ownerships under `contract` end on `on` (Records.end_under)."""
    for share in shares.current(contract.unit_id):
        under = share.contract is contract or (contract.id is not None and share.contract_id == contract.id)
        if under:
            share.ended_on = on
            share.is_contact = False
