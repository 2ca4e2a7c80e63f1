"""Writing a batch of checked owner and contract rows, with the rules of crm.estate.services applied to the
whole batch at once: an owner is found by ID number, else by phone and name; an owner added to a unit comes
under its current contract and the unit keeps exactly one contact owner; a new contract that becomes the
unit's current one ends the ownerships of the contract before it (the unit changed hands), owners recorded
without a contract come under it, and a cancelled contract ends its ownerships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from crm.estate.import_sql import among, insert_all, new_ids, read
from crm.estate.import_writes import Catalogue
from crm.estate.imports import Row
from crm.estate.models import Contract, Owner, Ownership
from crm.estate.people import name_keys
from crm.estate.services import contract_problems, contract_status
from lintel.clock import SHANGHAI, Clock


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


def _current(contracts: list[ContractRecord]) -> ContractRecord | None:
    """The unit's latest contract that is not cancelled (as crm.estate.services.Records.current_contract)."""
    live = [c for c in contracts if c.status != "cancelled"]
    return max(live, key=lambda c: (c.signed_on, c.id is None, c.id or 0), default=None)


class _Shares:
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
        if updates:
            table = Ownership.__table__
            self.session.execute(
                update(table)
                .where(table.c.owner_id == bindparam("b_owner"), table.c.unit_id == bindparam("b_unit"))
                .values({k: bindparam(k) for k in ("is_contact", "contract_id", "started_on", "ended_on")}),
                [u | {"b_owner": u.pop("owner_id"), "b_unit": u.pop("unit_id")} for u in updates],
            )


class OwnersWriter:
    what = "owner of this unit"

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalogue = Catalogue(session)
        self.owners: dict[int, OwnerRecord] = {}

    def key(self, row: Row) -> Any:
        v = row.values
        person = v["id_number"] or (v["phone"], v["owner_name"])
        return v["project_code"], v["building"], v["unit_number"], person

    def write(self, rows: list[Row]) -> None:
        units = self.catalogue.resolve_units(rows)
        rows = [row for row in rows if row.ok]
        by_id, by_phone = self._find_owners(rows)
        shares = _Shares(self.session, self.owners)
        shares.load(set(units.values()))
        contracts = _current_contracts(self.session, set(units.values()))
        contact_lines: dict[int, int] = {}
        new_owners: list[OwnerRecord] = []
        changed_owners: dict[OwnerRecord, None] = {}
        touched: dict[int, None] = {}
        outcome: list[tuple[Row, OwnerRecord, Share, bool, bool]] = []
        for row in rows:
            v = row.values
            unit_id = units[row.line]
            owner = self._match(v, by_id, by_phone)
            share = next((s for s in shares.by_unit[unit_id] if owner is not None and s.owner is owner), None)
            if share is not None and share.ended_on is not None:
                row.fail(
                    "ownership_ended",
                    f"this owner's ownership of the unit ended on {share.ended_on.isoformat()}",
                    "owner_name",
                    date=share.ended_on.isoformat(),
                )
                continue
            if v["is_contact"]:
                earlier = contact_lines.get(unit_id)
                if earlier is not None:
                    row.fail(
                        "contact_twice",
                        f"line {earlier} already names the contact owner of this unit",
                        "is_contact",
                        line=earlier,
                    )
                    continue
                contact_lines[unit_id] = row.line
            created = owner is None
            if owner is None:
                owner = OwnerRecord(
                    None, v["owner_name"], v["phone"], v["email"], v["id_number"], v["tier"] or "regular"
                )
                new_owners.append(owner)
                if owner.id_number:
                    by_id[owner.id_number] = owner
                by_phone.setdefault((owner.phone, owner.name), owner)
            elif self._update(owner, v):
                changed_owners[owner] = None
            if share is None:
                contract = contracts.get(unit_id)
                share = Share(
                    owner,
                    unit_id,
                    False,
                    contract[0] if contract else None,
                    contract[1] if contract else self.clock.now().astimezone(SHANGHAI).date(),
                    None,
                )
                shares.by_unit[unit_id].append(share)
                created = True
            if v["is_contact"]:
                for other in shares.current(unit_id):
                    other.is_contact = other is share
            elif v["is_contact"] is False:
                share.is_contact = False
            touched[unit_id] = None
            outcome.append((row, owner, share, created, owner in changed_owners))
        for unit_id in touched:
            shares.keep_one_contact(unit_id)
        self._insert_owners(new_owners)
        self._update_owners(list(changed_owners))
        shares.write()
        for row, _owner, share, created, owner_changed in outcome:
            row.done(owner_changed or share.before != share.state(), created)

    def _find_owners(
        self, rows: list[Row]
    ) -> tuple[dict[str, OwnerRecord], dict[tuple[str, str], OwnerRecord]]:
        id_numbers = {row.values["id_number"] for row in rows if row.values["id_number"]}
        phones = {row.values["phone"] for row in rows}
        by_id: dict[str, OwnerRecord] = {}
        by_phone: dict[tuple[str, str], OwnerRecord] = {}
        if not rows:
            return by_id, by_phone
        columns = select(Owner.id, Owner.name, Owner.phone, Owner.email, Owner.id_number, Owner.tier)
        found = sorted(
            {
                *read(self.session, columns.where(among(self.session, Owner.id_number, id_numbers))),
                *read(self.session, columns.where(among(self.session, Owner.phone, phones))),
            },
            key=lambda o: o.id,
        )
        for o in found:
            record = self.owners.get(o.id)
            if record is None:
                record = self.owners[o.id] = OwnerRecord(o.id, o.name, o.phone, o.email, o.id_number, o.tier)
            if record.id_number:
                by_id[record.id_number] = record
            by_phone.setdefault((record.phone, record.name), record)
        return by_id, by_phone

    @staticmethod
    def _match(
        v: dict[str, Any], by_id: dict[str, OwnerRecord], by_phone: dict[tuple[str, str], OwnerRecord]
    ) -> OwnerRecord | None:
        """By ID number when the row gives one; else (or when no owner has it yet, and the owner of this
        phone and name has no other ID number) by phone and name."""
        if v["id_number"] and v["id_number"] in by_id:
            return by_id[v["id_number"]]
        found = by_phone.get((v["phone"], v["owner_name"]))
        if found is not None and v["id_number"] and found.id_number not in (None, v["id_number"]):
            return None
        return found

    @staticmethod
    def _update(owner: OwnerRecord, v: dict[str, Any]) -> bool:
        """The row's details on the owner it names; blank cells leave what is on file."""
        before = (owner.name, owner.phone, owner.email, owner.id_number, owner.tier)
        owner.name, owner.phone = v["owner_name"], v["phone"]
        owner.email = v["email"] or owner.email
        owner.id_number = v["id_number"] or owner.id_number
        owner.tier = v["tier"] or owner.tier
        return before != (owner.name, owner.phone, owner.email, owner.id_number, owner.tier)

    def _insert_owners(self, owners: list[OwnerRecord]) -> None:
        if not owners:
            return
        now = self.clock.now()
        values = [_owner_values(o) | {"created_at": now} for o in owners]
        ids = new_ids(self.session, Owner.__table__, len(values))
        insert_all(self.session, Owner.__table__, [v | {"id": i} for v, i in zip(values, ids, strict=True)])
        for owner, owner_id in zip(owners, ids, strict=True):
            owner.id = owner_id
            self.owners[owner_id] = owner

    def _update_owners(self, owners: list[OwnerRecord]) -> None:
        if owners:
            self.session.execute(update(Owner), [{"id": o.id, **_owner_values(o)} for o in owners])


# Names repeat (surnames far more): their pinyin keys are worked out once per import process.
_name_keys = lru_cache(maxsize=65_536)(name_keys)


def _owner_values(owner: OwnerRecord) -> dict[str, Any]:
    initials, pinyin = _name_keys(owner.name)
    return {
        "name": owner.name,
        "phone": owner.phone,
        "email": owner.email,
        "id_number": owner.id_number,
        "tier": owner.tier,
        "name_initials": initials,
        "name_pinyin": pinyin,
    }


def _current_contracts(session: Session, unit_ids: set[int]) -> dict[int, tuple[int, date]]:
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


class ContractsWriter:
    what = "contract"

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalogue = Catalogue(session)
        self.owners: dict[int, OwnerRecord] = {}

    def key(self, row: Row) -> Any:
        return row.values["contract_number"]

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            v = row.values
            for column in contract_problems(
                v["signed_on"], v["planned_handover_on"], v["handed_over_on"], v["cancelled_on"]
            ):
                row.fail("before_signing", f"{column} is before signed_on", column)
        rows = [row for row in rows if row.ok]
        units = self.catalogue.resolve_units(rows)
        rows = [row for row in rows if row.ok]
        numbers = [row.values["contract_number"] for row in rows]
        by_number: dict[str, ContractRecord] = {}
        by_unit: dict[int, list[ContractRecord]] = {unit_id: [] for unit_id in units.values()}
        columns = (
            Contract.id,
            Contract.number,
            Contract.unit_id,
            Contract.signed_on,
            Contract.planned_handover_on,
            Contract.handed_over_on,
            Contract.cancelled_on,
            Contract.status,
        )
        found = read(
            self.session,
            select(*columns).where(
                or_(
                    among(self.session, Contract.number, numbers),
                    among(self.session, Contract.unit_id, by_unit),
                )
            ),
        )
        for c in found:
            record = ContractRecord(*c)
            if record.number in by_number:
                continue
            by_number[record.number] = record
            if record.unit_id in by_unit:
                by_unit[record.unit_id].append(record)
        shares = _Shares(self.session, self.owners)
        shares.load(set(by_unit))
        new: list[ContractRecord] = []
        changed: list[ContractRecord] = []
        for row in rows:
            v = row.values
            unit_id = units[row.line]
            contract = by_number.get(v["contract_number"])
            if contract is not None and contract.unit_id != unit_id:
                row.fail(
                    "contract_other_unit",
                    f"contract {contract.number} is on file for another unit",
                    "contract_number",
                    number=contract.number,
                )
                continue
            # A blank date leaves the one on file (a file never un-cancels or un-hands-over a contract).
            planned, handed, cancelled = (
                v[k] if v[k] is not None or contract is None else getattr(contract, k)
                for k in ("planned_handover_on", "handed_over_on", "cancelled_on")
            )
            if contract is not None and contract_problems(v["signed_on"], planned, handed, cancelled):
                row.fail("before_signing", "a date on file is before signed_on", "signed_on")
                continue
            values = (v["signed_on"], planned, handed, cancelled, contract_status(handed, cancelled))
            before = _current(by_unit[unit_id])
            if contract is None:
                contract = ContractRecord(None, v["contract_number"], unit_id, *values)
                by_number[contract.number] = contract
                by_unit[unit_id].append(contract)
                new.append(contract)
                row.done(True, created=True)
            elif contract.values() != values:
                was_cancelled = contract.status == "cancelled"
                (
                    contract.signed_on,
                    contract.planned_handover_on,
                    contract.handed_over_on,
                    contract.cancelled_on,
                    contract.status,
                ) = values
                changed.append(contract)
                row.done(True)
                if contract.status == "cancelled" and not was_cancelled:
                    _end_under(shares, contract, contract.cancelled_on)
            else:
                row.done(False)
                continue
            current = _current(by_unit[unit_id])
            if current is contract and before is not None and before is not contract:
                _end_under(shares, before, contract.signed_on)  # the unit changed hands
            if current is not None:
                for share in shares.current(unit_id):
                    if share.contract_id is None and share.contract is None:
                        share.contract = current
            shares.keep_one_contact(unit_id)
        self._insert(new)
        if changed:
            self.session.execute(
                update(Contract),
                [
                    dict(
                        zip(
                            ("signed_on", "planned_handover_on", "handed_over_on", "cancelled_on", "status"),
                            c.values(),
                            strict=True,
                        ),
                        id=c.id,
                    )
                    for c in changed
                ],
            )
        shares.write()

    def _insert(self, contracts: list[ContractRecord]) -> None:
        if not contracts:
            return
        now: datetime = self.clock.now()
        ids = new_ids(self.session, Contract.__table__, len(contracts))
        insert_all(
            self.session,
            Contract.__table__,
            [
                {
                    "id": contract_id,
                    "number": c.number,
                    "unit_id": c.unit_id,
                    "signed_on": c.signed_on,
                    "planned_handover_on": c.planned_handover_on,
                    "handed_over_on": c.handed_over_on,
                    "cancelled_on": c.cancelled_on,
                    "status": c.status,
                    "created_at": now,
                }
                for c, contract_id in zip(contracts, ids, strict=True)
            ],
        )
        for contract, contract_id in zip(contracts, ids, strict=True):
            contract.id = contract_id


def _end_under(shares: _Shares, contract: ContractRecord, on: date | None) -> None:
    """The ownerships under `contract` end on `on` (Records._end_under)."""
    for share in shares.current(contract.unit_id):
        under = share.contract is contract or (contract.id is not None and share.contract_id == contract.id)
        if under:
            share.ended_on = on
            share.is_contact = False
