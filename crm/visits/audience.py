"""Whom a campaign reaches: its audience filter checked, turned into one query, counted and sampled.

The audience is every current owner (Ownership.ended_on empty) of a unit under a contract in force (signed or
handed over), narrowed by the filter:

- `project_ids`, `building_ids`: the unit's project, building;
- `signed_from` / `signed_to`, `handed_over_from` / `handed_over_to`: the contract's signing or handover day;
- `with_complaints`: owners who complained before (any complaint on file under their name);
- `not_visited_months`: owners with no answered visit in the last N months.

Owners who turned off return-visit messages (不接收 for an `OPT_OUT_KINDS` kind) are always left out. A
campaign visits each owner once per unit; a four-year or thematic campaign once per owner, about their
contact unit (or the first of their units).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, and_, cast, exists, func, null, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Contract, Owner, Ownership, Project, Unit
from crm.estate.people import mask_phone
from crm.messaging.models import OwnerNoticePreference
from crm.models import Complaint
from crm.visits.models import Visit
from engine.errors import InvalidData
from lintel.clock import SHANGHAI

IN_FORCE = ("signed", "handed_over")
# The message kinds whose 不接收 means "no return visits, please".
OPT_OUT_KINDS = ("visit.questionnaire",)
# Kinds that visit each owner once whatever the number of their units.
PER_OWNER_KINDS = ("four_year", "thematic")
MAX_MONTHS = 120
MAX_IDS = 500
SAMPLE = 20
_DATES = ("signed_from", "signed_to", "handed_over_from", "handed_over_to")


@dataclass(frozen=True)
class Audience:
    """A checked filter (the JSON stored on the campaign is `as_json()`)."""

    project_ids: tuple[int, ...] = ()
    building_ids: tuple[int, ...] = ()
    signed_from: date | None = None
    signed_to: date | None = None
    handed_over_from: date | None = None
    handed_over_to: date | None = None
    with_complaints: bool = False
    not_visited_months: int | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.project_ids:
            found["project_ids"] = list(self.project_ids)
        if self.building_ids:
            found["building_ids"] = list(self.building_ids)
        for name in _DATES:
            value = getattr(self, name)
            if value is not None:
                found[name] = value.isoformat()
        if self.with_complaints:
            found["with_complaints"] = True
        if self.not_visited_months:
            found["not_visited_months"] = self.not_visited_months
        return found


@dataclass(frozen=True)
class Sampled:
    owner_id: int
    name: str
    phone: str  # masked
    unit_id: int
    unit: str


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Sampled]


def _ids(raw: Any, name: str) -> tuple[int, ...]:
    if raw in (None, "", []):
        return ()
    if not isinstance(raw, list | tuple) or len(raw) > MAX_IDS:
        raise InvalidData("the audience is invalid", {name: f"must be a list of at most {MAX_IDS} ids"})
    ids = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise InvalidData("the audience is invalid", {name: "must be a list of ids"})
        try:
            number = int(item)
        except ValueError:
            raise InvalidData("the audience is invalid", {name: "must be a list of ids"}) from None
        if not 0 < number < 2**31:
            raise InvalidData("the audience is invalid", {name: f"no such record: {number}"})
        ids.append(number)
    return tuple(sorted(set(ids)))


def _date(raw: Any, name: str) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidData("the audience is invalid", {name: "not a date (YYYY-MM-DD)"}) from None


def parse(session: Session, raw: Mapping[str, Any] | None) -> Audience:
    """The filter checked: known projects and buildings (a building of the chosen projects), real dates in
    order, a sensible number of months. Raises InvalidData naming every field at fault."""
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise InvalidData("the audience is invalid", {"audience": "must be an object"})
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, read in (("project_ids", _ids), ("building_ids", _ids), *((d, _date) for d in _DATES)):
        try:
            values[name] = read(raw.get(name), name)
        except InvalidData as bad:
            problems.update(bad.fields)
    unknown = set(raw) - {"project_ids", "building_ids", *_DATES, "with_complaints", "not_visited_months"}
    for name in sorted(unknown):
        problems[str(name)] = "unknown audience filter"
    with_complaints = raw.get("with_complaints", False)
    if with_complaints in ("", None, "0", "false"):
        with_complaints = False
    elif with_complaints in ("1", "true", "on"):
        with_complaints = True
    if not isinstance(with_complaints, bool):
        problems["with_complaints"] = "must be true or false"
    months = raw.get("not_visited_months")
    if months in ("", None, 0):
        months = None
    else:
        try:
            if isinstance(months, bool) or isinstance(months, float):
                raise ValueError
            months = int(months)
            if not 0 < months <= MAX_MONTHS:
                raise ValueError
        except (TypeError, ValueError):
            problems["not_visited_months"] = f"must be a whole number of months from 1 to {MAX_MONTHS}"
    for start, end in (("signed_from", "signed_to"), ("handed_over_from", "handed_over_to")):
        if values.get(start) and values.get(end) and values[start] > values[end]:
            problems[end] = "must not be before the start of the range"
    if not problems:
        problems.update(_unknown_records(session, values["project_ids"], values["building_ids"]))
    if problems:
        raise InvalidData("the audience is invalid", problems)
    return Audience(
        project_ids=values["project_ids"],
        building_ids=values["building_ids"],
        signed_from=values["signed_from"],
        signed_to=values["signed_to"],
        handed_over_from=values["handed_over_from"],
        handed_over_to=values["handed_over_to"],
        with_complaints=bool(with_complaints),
        not_visited_months=months,
    )


def _unknown_records(session: Session, project_ids: tuple[int, ...], building_ids: tuple[int, ...]) -> dict:
    problems = {}
    if project_ids:
        known = set(session.scalars(select(Project.id).where(Project.id.in_(project_ids))))
        missing = [str(i) for i in project_ids if i not in known]
        if missing:
            problems["project_ids"] = f"no such project: {', '.join(missing)}"
    if building_ids:
        rows = dict(
            session.execute(
                select(Building.id, Building.project_id).where(Building.id.in_(building_ids))
            ).all()
        )
        missing = [str(i) for i in building_ids if i not in rows]
        if missing:
            problems["building_ids"] = f"no such building: {', '.join(missing)}"
        elif project_ids and not set(rows.values()) <= set(project_ids):
            problems["building_ids"] = "a building of another project than the chosen ones"
    return problems


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    local = moment.astimezone(SHANGHAI)
    total = local.year * 12 + local.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for day in range(local.day, 27, -1):
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return local.replace(year=year, month=month, day=min(local.day, 28))


@dataclass(frozen=True)
class EventWindow:
    """Automatic campaigns: only contracts signed (`signing`) or units handed over on these days."""

    kind: str  # "signing" | "handover"
    first: date
    last: date


def candidates(
    audience: Audience,
    *,
    now: datetime,
    per_owner: bool,
    event: EventWindow | None = None,
) -> Select[Any]:
    """(owner_id, unit_id, event_on, ordinal) of the audience, `ordinal` numbering them 1… in the order
    visitors are given them (by building and unit, so that one visitor's visits lie close together)."""
    contract_terms: list[ColumnElement[bool]] = [
        Contract.unit_id == Ownership.unit_id,
        Contract.status.in_(IN_FORCE),
    ]
    if audience.signed_from:
        contract_terms.append(Contract.signed_on >= audience.signed_from)
    if audience.signed_to:
        contract_terms.append(Contract.signed_on <= audience.signed_to)
    if audience.handed_over_from:
        contract_terms.append(Contract.handed_over_on >= audience.handed_over_from)
    if audience.handed_over_to:
        contract_terms.append(Contract.handed_over_on <= audience.handed_over_to)
    event_on: Any = None
    if event is not None:
        column = Contract.signed_on if event.kind == "signing" else Contract.handed_over_on
        contract_terms += [column >= event.first, column <= event.last]
        event_on = (
            select(func.max(column)).where(and_(*contract_terms)).correlate(Ownership).scalar_subquery()
        )
    terms: list[ColumnElement[bool]] = [
        Ownership.ended_on.is_(None),
        exists().where(and_(*contract_terms)),
        ~exists().where(
            OwnerNoticePreference.owner_id == Ownership.owner_id,
            OwnerNoticePreference.kind.in_(OPT_OUT_KINDS),
            OwnerNoticePreference.channels == "",
        ),
    ]
    if audience.project_ids:
        terms.append(Building.project_id.in_(audience.project_ids))
    if audience.building_ids:
        terms.append(Unit.building_id.in_(audience.building_ids))
    if audience.with_complaints:
        terms.append(exists().where(Complaint.owner_id == Ownership.owner_id))
    if audience.not_visited_months:
        since = months_before(now, audience.not_visited_months)
        terms.append(
            ~exists().where(
                Visit.owner_id == Ownership.owner_id,
                Visit.status == "answered",
                Visit.answered_at >= since,
            )
        )
    columns: list[Any] = [
        Ownership.owner_id.label("owner_id"),
        Ownership.unit_id.label("unit_id"),
        (event_on if event_on is not None else _null_date()).label("event_on"),
    ]
    if per_owner:
        columns.append(
            func.row_number()
            .over(
                partition_by=Ownership.owner_id,
                order_by=(Ownership.is_contact.desc(), Ownership.unit_id),
            )
            .label("choice")
        )
    eligible = (
        select(*columns, Unit.building_id.label("building_id"))
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(*terms)
    ).subquery("eligible")
    chosen: list[ColumnElement[bool]] = [eligible.c.choice == 1] if per_owner else []
    ordinal = func.row_number().over(
        order_by=(eligible.c.building_id, eligible.c.unit_id, eligible.c.owner_id)
    )
    return select(
        eligible.c.owner_id, eligible.c.unit_id, eligible.c.event_on, ordinal.label("ordinal")
    ).where(*chosen)


def _null_date() -> Any:
    return cast(null(), Date)


def count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def preview(session: Session, query: Select[Any], size: int = SAMPLE) -> Preview:
    """How many visits the filter makes, and the first `size` of them with names and masked phones."""
    total = count(session, query)
    rows = query.subquery()
    sample = session.execute(
        select(Owner.id, Owner.name, Owner.phone, Unit.id, Unit.number, Building.name, Project.name)
        .select_from(rows)
        .join(Owner, Owner.id == rows.c.owner_id)
        .join(Unit, Unit.id == rows.c.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Project, Project.id == Building.project_id)
        .order_by(rows.c.ordinal)
        .limit(size)
    ).all()
    return Preview(
        total,
        [
            Sampled(owner_id, name, mask_phone(phone), unit_id, f"{project} {building} {number}")
            for owner_id, name, phone, unit_id, number, building, project in sample
        ],
    )


def since_days(day: date, days: int) -> date:
    return day - timedelta(days=days)
