"""The records a customer-relations centre keeps about its projects and the people who bought in them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models import BigId
from lintel.db import Base

# Contract states: signed (签约) until the keys are handed over (已交付), or cancelled (退房/解约).
CONTRACT_STATUSES = ("signed", "handed_over", "cancelled")
# Who calls about a unit without owning it.
CALLER_RELATIONS = ("family", "tenant", "agent", "property", "other")


class Project(Base):
    """A development (楼盘/项目), known by its code (the natural key of every import)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))

    phases: Mapped[list[ProjectPhase]] = relationship(
        back_populates="project", order_by="ProjectPhase.name", lazy="selectin"
    )


class ProjectPhase(Base):
    """A phase (分期) of a project: buildings built, sold and handed over together."""

    __tablename__ = "project_phases"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))

    project: Mapped[Project] = relationship(back_populates="phases")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("project_phases.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))

    project: Mapped[Project] = relationship(lazy="joined")
    phase: Mapped[ProjectPhase | None] = relationship()


class Layout(Base):
    """A unit type (户型) of a project: its rooms, as inspectors and owners name them (客厅, 主卧, 卫生间),
    and its floor plan, an image stored under the instance folder (`floor_plan` is the stored file's name)."""

    __tablename__ = "layouts"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    rooms: Mapped[list[str]] = mapped_column(JSON, default=list)
    floor_plan: Mapped[str | None] = mapped_column(String(100))
    floor_plan_type: Mapped[str | None] = mapped_column(String(100))

    project: Mapped[Project] = relationship()


class Unit(Base):
    """A unit (房号), known by its building and number."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    number: Mapped[str] = mapped_column(String(50))
    floor: Mapped[int | None] = mapped_column(Integer)
    layout_id: Mapped[int | None] = mapped_column(ForeignKey("layouts.id"), index=True)
    area_m2: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    building: Mapped[Building] = relationship(lazy="joined")
    layout: Mapped[Layout | None] = relationship()

    @property
    def label(self) -> str:
        return f"{self.building.project.name} {self.building.name} {self.number}"


class Owner(Base):
    """A buyer (业主). Found by phone (normalised: a mobile's 11 digits, a landline's digits with its area
    code) or ID number, by name or by the pinyin initials of the name (`name_initials`, `zw` for 张伟)."""

    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    phone: Mapped[str] = mapped_column(String(30), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    # major: 重要客户; group: the group's own staff or VIP — both get halved deadlines.
    tier: Mapped[str] = mapped_column(String(20), default="regular")
    id_number: Mapped[str | None] = mapped_column(String(30), unique=True)
    name_initials: Mapped[str] = mapped_column(String(100), default="", server_default="", index=True)
    name_pinyin: Mapped[str] = mapped_column(String(400), default="", server_default="", index=True)
    created_at: Mapped[datetime | None]

    # The units the owner holds now (an ownership ended by a transfer stays in `ownerships`).
    units: Mapped[list[Unit]] = relationship(
        secondary="ownerships",
        primaryjoin="Owner.id == Ownership.owner_id",
        secondaryjoin="and_(Unit.id == Ownership.unit_id, Ownership.ended_on.is_(None))",
        viewonly=True,
    )
    ownerships: Mapped[list[Ownership]] = relationship(back_populates="owner", viewonly=True)


class Ownership(Base):
    """An owner's share in a unit: co-owners each have one, one of them the contact owner (联系业主)
    whom the centre calls. A transfer ends it (`ended_on`): the earlier owner's requests stay theirs."""

    __tablename__ = "ownerships"
    __table_args__ = (Index("ix_ownerships_unit_id_current", "unit_id", "ended_on"),)

    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    is_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)

    owner: Mapped[Owner] = relationship(back_populates="ownerships", lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")


class Contract(Base):
    """A purchase contract (购房合同) for one unit; a unit that changes hands has several, history kept."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    planned_handover_on: Mapped[date | None] = mapped_column(Date)
    handed_over_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="signed")  # CONTRACT_STATUSES
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship(lazy="joined")


class Contractor(Base):
    """A contractor or supplier (承建商/供方) and the trades it works in (土建, 防水, 门窗 …)."""

    __tablename__ = "contractors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    trades: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class Caller(Base):
    """Someone who called about a unit without owning it — family, a tenant, an agent — kept with the unit
    so that the next call finds them."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30), index=True)
    relation: Mapped[str] = mapped_column(String(20))  # CALLER_RELATIONS
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))

    unit: Mapped[Unit | None] = relationship(lazy="joined")


class PersonalDataAccess(Base):
    """A view of a full phone or ID number, or an export of personal data: who, when, whose, how (PIPL)."""

    __tablename__ = "personal_data_access"
    __table_args__ = (Index("ix_personal_data_access_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(BigId, index=True)
    what: Mapped[str] = mapped_column(String(30))  # phone | id_number | export
    via: Mapped[str] = mapped_column(String(30))  # page | api | cli
    detail: Mapped[dict[str, Any] | None]
