"""Writing a batch of checked owner rows: an owner is found by ID number, else by phone and name; an owner
added to a unit comes under its current contract, and the unit keeps exactly one contact owner."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.estate.import_shares import OwnerRecord, Share, Shares, current_contracts
from crm.estate.import_sql import among, insert_all, new_ids, read, update_all
from crm.estate.import_writes import Catalogue
from crm.estate.imports import Row
from crm.estate.models import Owner
from crm.estate.people import name_keys
from lintel.clock import SHANGHAI, Clock


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
        shares = Shares(self.session, self.owners)
        shares.load(set(units.values()))
        contracts = current_contracts(self.session, set(units.values()))
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
            rows = [{"id": o.id, **_owner_values(o)} for o in owners]
            update_all(self.session, Owner.__table__, ("id",), rows)


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
