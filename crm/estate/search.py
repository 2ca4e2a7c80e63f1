"""Finding people as a coordinator hears them on the phone: the last digits of a phone or a whole number
typed any way, a partial request number, a surname, pinyin initials (`zw` for 张伟) or the whole pinyin,
a unit written any common way (`江南府1栋1201`, `1-1201`, `1栋 1201`, `1#1201`, `1201`), an ID number
whole or its last four characters. One search serves the registration page, the owners page and the API.

Each way of reading the text is its own small query, limited, that an index answers; the owners found are
ranked by how exactly they matched (a whole phone before a phone ending, a whole name before a surname)
and loaded once, with their current units, contracts and open requests. Callers who are not owners (a
tenant, family) are found by their phone and unit and listed after the owners.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Caller, Contract, Owner, Ownership, Project, Unit
from crm.estate.people import normalise_phone
from crm.estate.services import contract_status
from crm.models import RequestIndex
from engine.errors import InvalidData

MAX_QUERY = 100
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# How many candidates one way of reading the text may bring before ranking (a surname matches thousands).
_CANDIDATES = 200

# Building names as people write them: 1栋, 1幢, 1号楼, 1座, 1#, 1-; the unit, 1201 or 1201室.
UNIT_PATTERN = re.compile(
    r"^(?P<project>.*?)(?P<building>\d+)(?:栋|幢|号楼|座|#|-|－|—)(?P<unit>\d+)(?:室|号)?$",
)
BUILDING_SUFFIXES = ("栋", "幢", "号楼", "座", "#")
REQUEST_NUMBER = re.compile(r"^[A-Z]{1,4}-\d{0,4}-?\d*$")
_PHONE_LIKE = re.compile(r"^\+?[\d\-()（）]+$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_PINYIN = re.compile(r"^[a-z]+$")
_ID_TAIL = re.compile(r"^\d{3}[\dX]$")
_ID_WHOLE = re.compile(r"^\d{17}[\dX]$")

# Ranks: the more exact the match, the higher; an owner keeps their best.
EXACT = 100  # the whole phone, the whole ID number, the request's number
UNIT = 90
NAME = 85
PINYIN = 80
INITIALS = 75
SEQUENCE = 72
PHONE_TAIL = 70
REQUEST = 65
ID_TAIL = 60
NAME_START = 50
PINYIN_START = 40
INITIALS_START = 35
REQUEST_TAIL = 30


def escape_like(text: str) -> str:
    """`text` taken literally inside a LIKE pattern (with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` begins with `prefix`, in a form an index answers on both databases: PostgreSQL reads LIKE
    through its pattern-ops indexes; SQLite (whose LIKE ignores case and so ignores the index) through the
    range the prefix spans, which its binary ordering makes exact."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return column.like(escape_like(prefix) + "%", escape="\\") & (column >= prefix) & (column < upper)


def ends_with(column: Any, suffix: str) -> ColumnElement[bool]:
    return column.like("%" + escape_like(suffix), escape="\\")


def last_four(column: Any, dialect: str) -> ColumnElement[str]:
    """A column's last four characters, written as migration 0014 indexes it (a literal 4, not a bound
    parameter, or the database would not recognise its index)."""
    if dialect == "postgresql":
        return func.right(column, literal_column("4"))
    return func.substr(column, literal_column("-4"))


@dataclass(frozen=True)
class UnitText:
    """A unit as written: the project's name or code (may be empty), the building's number, the unit's."""

    project: str
    building: str
    number: str


def parse_unit(compact: str) -> UnitText | None:
    """`江南府1栋1201`, `1-1201`, `1#1201室` (spaces already removed); None for anything else."""
    parts = UNIT_PATTERN.match(compact)
    if parts is None:
        return None
    return UnitText(parts.group("project").strip(), parts.group("building"), parts.group("unit"))


def unit_numbers(number: str) -> list[str]:
    """A unit number as written and as stored (`801` is unit `0801`)."""
    return sorted({number, number.zfill(4)})


def unit_conditions(compact: str) -> list[ColumnElement[bool]]:
    """Conditions on Unit, Building and Project (joined by the caller) for the units a text names."""
    unit = parse_unit(compact)
    if unit is None:
        return []
    names = [f"{unit.building}{suffix}" for suffix in BUILDING_SUFFIXES] + [unit.building]
    condition = Building.name.in_(names) & Unit.number.in_(unit_numbers(unit.number))
    if unit.project:
        condition = condition & or_(
            Project.name.like(escape_like(unit.project) + "%", escape="\\"),
            Project.code == unit.project.upper(),
        )
    return [condition]


def unit_ids(compact: str, *, bare_numbers: bool = False) -> Select[Any] | None:
    """The ids of the units a text names; with `bare_numbers`, `1201` alone names every unit 1201."""
    conditions = unit_conditions(compact)
    if bare_numbers and compact.isdigit() and 3 <= len(compact) <= 5:
        conditions.append(Unit.number.in_(unit_numbers(compact)))
    if not conditions:
        return None
    return (
        select(Unit.id)
        .join(Building, Building.id == Unit.building_id)
        .join(Project, Project.id == Building.project_id)
        .where(or_(*conditions))
    )


def phone_digits(text: str) -> str | None:
    """The digits of something typed as a phone (`+86 138-0000-0001`, `0001`), without China's 86."""
    if not _PHONE_LIKE.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not text.isdigit() and len(digits) < 7:
        return None  # `1-1201` is a unit, not a phone
    if text.startswith("+86") or (len(digits) == 13 and digits.startswith("86")):
        digits = digits[2:]
    return digits or None


@dataclass(frozen=True)
class Holding:
    """A unit an owner holds now, and whether they are its contact owner (联系业主)."""

    unit: Unit
    is_contact: bool
    since: date | None


@dataclass
class PersonMatch:
    """An owner, or a caller who is not one (非业主来电), found by a search."""

    rank: int
    owner: Owner | None = None
    caller: Caller | None = None
    holdings: list[Holding] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    open_requests: int = 0

    @property
    def units(self) -> list[Unit]:
        if self.caller is not None:
            return [self.caller.unit] if self.caller.unit is not None else []
        return [h.unit for h in self.holdings]

    @property
    def name(self) -> str:
        return self.owner.name if self.owner is not None else self.caller.name if self.caller else ""

    @property
    def phone(self) -> str:
        return self.owner.phone if self.owner is not None else self.caller.phone if self.caller else ""

    @property
    def contract_status(self) -> str | None:
        """The status of the contract of the owner's first current unit (None without one)."""
        current = {h.unit.id for h in self.holdings}
        for contract in self.contracts:
            if contract.unit_id in current:
                return contract_status(contract.handed_over_on, contract.cancelled_on)
        return None


class PeopleSearch:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def _ends_with(self, column: Any, suffix: str) -> ColumnElement[bool]:
        """`column` ends with `suffix` (four characters or more): its last four through their index."""
        return (last_four(column, self.dialect) == suffix[-4:]) & ends_with(column, suffix)

    @staticmethod
    def searchable(text: str) -> bool:
        """Whether `text` is enough to search by: two characters, or one Chinese one (a surname)."""
        compact = "".join(text.split())[:MAX_QUERY]
        return len(compact) >= 2 or bool(_CJK.search(compact))

    def find(self, text: str, limit: int = DEFAULT_LIMIT, *, callers: bool = True) -> list[PersonMatch]:
        """Owners (then callers who are not owners) whom `text` may name, best match first."""
        query = " ".join(text.split())[:MAX_QUERY]
        compact = query.replace(" ", "")
        if not self.searchable(compact):
            return []
        limit = max(1, min(limit, MAX_LIMIT))
        ranks: dict[int, int] = {}
        for rank, statement in self._owner_queries(query, compact):
            for owner_id in self.session.scalars(statement.limit(_CANDIDATES)):
                if owner_id is not None and ranks.get(owner_id, 0) < rank:
                    ranks[owner_id] = rank
        matches = self._owners(ranks, limit)
        if callers and len(matches) < limit:
            matches += self._callers(compact, limit - len(matches))
        return matches

    # -- reading the text --------------------------------------------------------------------------

    def _owner_queries(self, query: str, compact: str) -> Iterable[tuple[int, Select[Any]]]:
        """(rank, owner ids) for each thing the text may be."""
        ids = select(Owner.id)
        upper = compact.upper()
        digits = phone_digits(compact)
        if digits is not None:
            whole = _phone(query) if len(digits) >= 10 else None
            if whole is not None:
                yield EXACT, ids.where(Owner.phone == whole)
            elif 4 <= len(digits) <= 12:
                yield PHONE_TAIL, ids.where(self._ends_with(Owner.phone, digits))
            if 7 <= len(digits) <= 12 and whole is None:
                yield PHONE_TAIL, ids.where(starts_with(Owner.phone, digits)).order_by(Owner.phone)
        if _ID_WHOLE.match(upper):
            yield EXACT, ids.where(Owner.id_number == upper)
        elif _ID_TAIL.match(upper):
            yield ID_TAIL, ids.where(self._ends_with(Owner.id_number, upper))
        yield from self._by_request(upper, digits)
        units = unit_ids(compact, bare_numbers=True)
        if units is not None:
            current = select(Ownership.owner_id).where(
                Ownership.unit_id.in_(units), Ownership.ended_on.is_(None)
            )
            yield UNIT + 1, current.where(Ownership.is_contact)  # the contact owner before co-owners
            yield UNIT, current
        if _CJK.search(compact):
            yield NAME, ids.where(Owner.name == compact)
            yield NAME_START, ids.where(starts_with(Owner.name, compact)).order_by(Owner.name)
        lower = compact.lower()
        if _PINYIN.match(lower) and len(lower) >= 2:
            yield PINYIN, ids.where(Owner.name_pinyin == lower)
            yield INITIALS, ids.where(Owner.name_initials == lower)
            yield PINYIN_START, ids.where(starts_with(Owner.name_pinyin, lower)).order_by(Owner.name_pinyin)
            yield (
                INITIALS_START,
                ids.where(starts_with(Owner.name_initials, lower)).order_by(Owner.name_initials),
            )

    def _by_request(self, upper: str, digits: str | None) -> Iterable[tuple[int, Select[Any]]]:
        """The owner of the request a (partial) number names: `TS-2026-000123`, `000123`, `123`."""
        owners = select(RequestIndex.owner_id).where(RequestIndex.owner_id.is_not(None))
        if REQUEST_NUMBER.match(upper):
            yield EXACT, owners.where(RequestIndex.number == upper)
            yield REQUEST, owners.where(starts_with(RequestIndex.number, upper))
        elif digits is not None and upper.isdigit() and len(upper) <= 6:
            # Its sequence part: `123` is TS-2026-000123; written whole (`000123`) it is surely one.
            rank = SEQUENCE if len(upper) == 6 else REQUEST
            yield rank, owners.where(ends_with(RequestIndex.number, "-" + upper.zfill(6)))
        elif digits is not None and upper.isdigit() and len(upper) <= 10:
            yield REQUEST_TAIL, owners.where(ends_with(RequestIndex.number, upper))

    # -- loading what was found ----------------------------------------------------------------------

    def _owners(self, ranks: dict[int, int], limit: int) -> list[PersonMatch]:
        if not ranks:
            return []
        owners = {o.id: o for o in self.session.scalars(select(Owner).where(Owner.id.in_(list(ranks))))}
        best = sorted(owners.values(), key=lambda o: (-ranks[o.id], o.name, o.id))[:limit]
        matches = [PersonMatch(rank=ranks[o.id], owner=o) for o in best]
        self.describe(matches)
        return matches

    def describe(self, matches: list[PersonMatch]) -> None:
        """Fill in each owner's current units, contracts and open request count (three queries)."""
        by_owner = {m.owner.id: m for m in matches if m.owner is not None}
        if not by_owner:
            return
        contract_ids: dict[int, set[int]] = {i: set() for i in by_owner}
        bare_units: dict[int, set[int]] = {i: set() for i in by_owner}
        for ownership in self.session.scalars(
            select(Ownership)
            .where(Ownership.owner_id.in_(list(by_owner)))
            .order_by(Ownership.started_on, Ownership.unit_id)
        ):
            if ownership.ended_on is None:
                by_owner[ownership.owner_id].holdings.append(
                    Holding(ownership.unit, ownership.is_contact, ownership.started_on)
                )
                if ownership.contract_id is None:
                    bare_units[ownership.owner_id].add(ownership.unit_id)
            if ownership.contract_id is not None:
                contract_ids[ownership.owner_id].add(ownership.contract_id)
        wanted_units = set().union(*bare_units.values())
        conditions = [Contract.id.in_(set().union(*contract_ids.values()))]
        if wanted_units:
            # Owners attached before contracts were kept: their unit's contracts stand for theirs.
            conditions.append(Contract.unit_id.in_(wanted_units) & Contract.cancelled_on.is_(None))
        contracts = list(
            self.session.scalars(
                select(Contract).where(or_(*conditions)).order_by(Contract.signed_on.desc(), Contract.id)
            )
        )
        for owner_id, match in by_owner.items():
            seen: set[int] = set()
            for contract in contracts:
                mine = contract.id in contract_ids[owner_id] or (
                    contract.unit_id in bare_units[owner_id] and contract.unit_id not in seen
                )
                if mine:
                    match.contracts.append(contract)
                    seen.add(contract.unit_id)
        for owner_id, count in self.session.execute(
            select(RequestIndex.owner_id, func.count())
            .where(RequestIndex.owner_id.in_(list(by_owner)), RequestIndex.status.in_(("open", "error")))
            .group_by(RequestIndex.owner_id)
        ):
            by_owner[owner_id].open_requests = count

    def _callers(self, compact: str, limit: int) -> list[PersonMatch]:
        """Callers on file who are not owners, by their phone (whole or its ending) or their unit."""
        conditions: list[ColumnElement[bool]] = []
        digits = phone_digits(compact)
        if digits is not None:
            whole = _phone(compact) if len(digits) >= 10 else None
            if whole is not None:
                conditions.append(Caller.phone == whole)
            elif len(digits) >= 4:
                conditions.append(self._ends_with(Caller.phone, digits))
        units = unit_ids(compact)
        if units is not None:
            conditions.append(Caller.unit_id.in_(units))
        if _CJK.search(compact):
            conditions.append(Caller.name == compact)
        if not conditions:
            return []
        found = self.session.scalars(
            select(Caller).where(or_(*conditions)).order_by(Caller.created_at.desc(), Caller.id).limit(limit)
        )
        return [PersonMatch(rank=0, caller=caller) for caller in found]


def _phone(text: str) -> str | None:
    """The whole phone the text is, normalised; None when it is not one."""
    try:
        return normalise_phone(text)
    except InvalidData:
        return None


def resolve_unit(session: Session, unit_id: Any = None, text: Any = None, *, field: str = "unit") -> Unit:
    """The one unit picked (`unit_id`) or written any common way (`江南府1栋1201`, `1-1201`); InvalidData
    on `field` when none or several match."""
    if unit_id not in (None, ""):
        wanted = unit_id if isinstance(unit_id, int) and not isinstance(unit_id, bool) else None
        if wanted is None and isinstance(unit_id, str) and unit_id.strip().isdigit():
            wanted = int(unit_id.strip())
        unit = session.get(Unit, wanted) if wanted is not None and 0 < wanted <= MAX_UNIT_ID else None
        if unit is None:
            raise InvalidData("unknown unit", {field: "no unit with this id"})
        return unit
    compact = re.sub(r"\s+", "", text)[:MAX_QUERY] if isinstance(text, str) else ""
    if not compact:
        raise InvalidData("the unit is required", {field: "required"})
    ids = unit_ids(compact)
    found = list(session.scalars(select(Unit).where(Unit.id.in_(ids)).limit(2))) if ids is not None else []
    if not found:
        raise InvalidData("no such unit", {field: "no unit matches"})
    if len(found) > 1:
        raise InvalidData("several units", {field: "several units match"})
    return found[0]


def units_matching(session: Session, text: str, limit: int = 10) -> list[Unit]:
    """Units a text names, for picking one (registration of a caller not on file)."""
    compact = re.sub(r"\s+", "", text)[:MAX_QUERY]
    ids = unit_ids(compact, bare_numbers=True) if compact else None
    if ids is None:
        return []
    found = session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id).limit(limit))
    return sorted(found, key=lambda u: u.label)


MAX_UNIT_ID = 2**31 - 1
