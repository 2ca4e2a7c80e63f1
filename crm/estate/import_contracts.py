"""Writing a batch of checked contract rows: a contract's status comes from its dates; a new contract that
becomes the unit's current one ends the ownerships of the contract before it (the unit changed hands),
owners recorded without a contract come under it, and a contract that becomes cancelled ends its
ownerships (crm.estate.services.Records.record_contract, for a batch at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.import_shares import ContractRecord, OwnerRecord, Shares, current_of, end_under
from crm.estate.import_sql import among, insert_all, new_ids, read, update_all
from crm.estate.import_writes import Catalogue
from crm.estate.imports import Row
from crm.estate.models import Contract
from crm.estate.services import contract_problems, contract_status
from lintel.clock import Clock


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
        # Two queries, each on its index (an OR of the two can make SQLite read the whole table).
        found = [
            *read(self.session, select(*columns).where(among(self.session, Contract.number, numbers))),
            *read(self.session, select(*columns).where(among(self.session, Contract.unit_id, by_unit))),
        ]
        for c in found:
            record = ContractRecord(*c)
            if record.number in by_number:
                continue
            by_number[record.number] = record
            if record.unit_id in by_unit:
                by_unit[record.unit_id].append(record)
        shares = Shares(self.session, self.owners)
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
            before = current_of(by_unit[unit_id])
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
                    end_under(shares, contract, contract.cancelled_on)
            else:
                row.done(False)
                continue
            current = current_of(by_unit[unit_id])
            if current is contract and before is not None and before is not contract:
                end_under(shares, before, contract.signed_on)  # the unit changed hands
            if current is not None:
                for share in shares.current(unit_id):
                    if share.contract_id is None and share.contract is None:
                        share.contract = current
            shares.keep_one_contact(unit_id)
        self._insert(new)
        keys = ("signed_on", "planned_handover_on", "handed_over_on", "cancelled_on", "status")
        rows = [{"id": c.id, **dict(zip(keys, c.values(), strict=True))} for c in changed]
        update_all(self.session, Contract.__table__, ("id",), rows)
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
