"""Who a notice goes to.

- A progress notice: every current owner of a unit of the project whose purchase contract is signed and not
  yet handed over (签约未收房). A project is under construction while it has such a unit; the monthly
  schedule leaves it once its last unit is handed over.
- A design change: every current owner of the chosen buildings' or units' units under a contract still in
  force (signed or handed over; a cancelled purchase is no longer theirs to hear about).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Exists, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from crm.estate.models import Building, Contract, Ownership, Project, Unit

_SIGNED = ("signed",)
_IN_FORCE = ("signed", "handed_over")


def _contract_in(statuses: Sequence[str]) -> Exists:
    return exists().where(Contract.unit_id == Ownership.unit_id, Contract.status.in_(statuses))


def under_construction() -> Select[tuple[int]]:
    """Ids of the projects with a unit signed and not yet handed over."""
    return (
        select(Project.id)
        .where(
            exists()
            .where(Contract.status.in_(_SIGNED))
            .where(
                Contract.unit_id == Unit.id,
                Unit.building_id == Building.id,
                Building.project_id == Project.id,
            )
        )
        .order_by(Project.id)
    )


def waiting_buildings(project_id: int) -> Select[tuple[int]]:
    """Ids of the project's buildings with a unit signed and not yet handed over: their buyers are waiting,
    so engineering reports each of them every month."""
    return select(Building.id).where(
        Building.project_id == project_id,
        exists()
        .where(Contract.status.in_(_SIGNED))
        .where(Contract.unit_id == Unit.id, Unit.building_id == Building.id),
    )


def progress_owners(project_id: int) -> Select[tuple[int]]:
    """Ids of the owners a progress notice of the project goes to, each once."""
    return (
        select(Ownership.owner_id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Building.project_id == project_id, Ownership.ended_on.is_(None), _contract_in(_SIGNED))
        .distinct()
    )


def design_change_owners(
    project_id: int, building_ids: Sequence[int], unit_ids: Sequence[int]
) -> Select[tuple[int]]:
    """Ids of the owners of the chosen buildings and units (of the project), each once."""
    chosen = []
    if building_ids:
        chosen.append(Unit.building_id.in_(list(building_ids)))
    if unit_ids:
        chosen.append(Unit.id.in_(list(unit_ids)))
    return (
        select(Ownership.owner_id)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(
            Building.project_id == project_id,
            Ownership.ended_on.is_(None),
            or_(*chosen) if chosen else False,
            _contract_in(_IN_FORCE),
        )
        .distinct()
    )


def count(session: Session, owners: Select[tuple[int]]) -> int:
    return session.scalar(select(func.count()).select_from(owners.subquery())) or 0
