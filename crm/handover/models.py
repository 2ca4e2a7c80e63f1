"""The records of inspection, rectification and handover.

A defect's workflow (workflows/rectification.bpmn) is the source of truth for where it stands; the columns
here that follow it (status, assignee, contractor, due, rounds, the dates) are kept in step by engine events
so that boards, lists and reports read one table instead of thousands of workflow states.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.estate.models import Building, Contractor, Project, Unit
from engine.models import BigId
from lintel.db import Base

# How serious a defect is; the catalogue gives each typical item a default.
SEVERITIES = ("minor", "normal", "serious")  # 一般 / 较重 / 严重
# Where a defect was found: the centre's and engineering's own walk before the open day (自查), the owners'
# open day (业主开放日), the handover walk-through (交付验房), or anything else (a complaint, a patrol).
SOURCES = ("self_check", "open_day", "handover", "other")
# A defect's way through its workflow; `closed` is 销号 (confirmed by the owner), `cancelled` withdrawn.
DEFECT_STATUSES = ("assigning", "rectifying", "verifying", "confirming", "closed", "cancelled")
OPEN_DEFECT_STATUSES = ("assigning", "rectifying", "verifying", "confirming")
# Inspection sessions: self-inspection, the open day, handover walk-throughs.
SESSION_KINDS = ("self_check", "open_day", "handover")
HANDOVER_STATUSES = ("waiting", "booked", "handed_over", "cancelled")
METERS = ("water", "electricity", "gas")


class CatalogueItem(Base):
    """One typical defect of the catalogue (缺陷库) administrators keep: category → part → item, e.g.
    装饰装修 / 墙面 / 空鼓, with the severity and the days to rectify it usually gets."""

    __tablename__ = "defect_catalogue"
    __table_args__ = (UniqueConstraint("category", "part", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(50))
    part: Mapped[str] = mapped_column(String(50))
    item: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))  # SEVERITIES
    rectify_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class InspectionSession(Base):
    """An inspection event of a project: a self-inspection, the owners' open day, or handover walk-throughs —
    its dates, the buildings it covers and the inspection engineers who walk them."""

    __tablename__ = "inspection_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # SESSION_KINDS
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    building_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    inspectors: Mapped[list[str]] = mapped_column(JSON, default=list)  # usernames
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))

    project: Mapped[Project] = relationship(lazy="joined")


class UnitWalk(Base):
    """One unit walked in a session: the inspector, the owner who came along, and at the end the owner's
    signature under the unit's defect list."""

    __tablename__ = "unit_walks"
    __table_args__ = (Index("ix_unit_walks_unit", "unit_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_sessions.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id"))
    # Whoever accompanied the inspector when it was not an owner on file (a relative with authorisation).
    companion: Mapped[str | None] = mapped_column(String(100))
    inspector: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    signed_at: Mapped[datetime | None]
    signed_by: Mapped[str | None] = mapped_column(String(100))  # the name the signer gave
    # The drawn signature, a PNG stored under the instance folder (its stored name).
    signature: Mapped[str | None] = mapped_column(String(100))

    unit: Mapped[Unit] = relationship(lazy="joined")


class Defect(Base):
    """A defect found in a unit (or a building's common parts): what, where, how serious, and where its
    rectification stands."""

    __tablename__ = "defects"
    __table_args__ = (
        Index("ix_defects_building_status", "building_id", "status"),
        Index("ix_defects_unit_status", "unit_id", "status"),
        Index("ix_defects_contractor_status_due", "contractor_id", "status", "due_at"),
        Index("ix_defects_project_status", "project_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The request number of its rectification instance (ZG-2026-000123).
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    # Set by the device that captured it (offline capture): a second send of the same defect is the same one.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # None: the building's common parts
    session_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_sessions.id"), index=True)
    walk_id: Mapped[int | None] = mapped_column(ForeignKey("unit_walks.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # SOURCES
    room: Mapped[str | None] = mapped_column(String(30))  # 客厅, 主卧, 厨房 …
    catalogue_id: Mapped[int | None] = mapped_column(ForeignKey("defect_catalogue.id"))
    category: Mapped[str] = mapped_column(String(50))
    part: Mapped[str] = mapped_column(String(50))
    item: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))  # SEVERITIES
    # The spot on the unit's floor plan, as fractions of its width and height (0..1).
    spot_x: Mapped[float | None] = mapped_column(Float)
    spot_y: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="assigning")  # DEFECT_STATUSES
    # Who rectifies it: an engineer (username) or a contractor company (its users see it), or both.
    assignee: Mapped[str | None] = mapped_column(String(100))
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"))
    due_at: Mapped[datetime | None]
    rounds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed verifications
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    rectified_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Who confirmed it closed: "owner:<id>" on the portal, or the staff member with the owner in person.
    confirmed_by: Mapped[str | None] = mapped_column(String(100))

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    building: Mapped[Building] = relationship(lazy="joined")
    contractor: Mapped[Contractor | None] = relationship(lazy="joined")


class HandoverSlot(Base):
    """A time the centre receives owners for handover (交付预约时段), with how many units it takes."""

    __tablename__ = "handover_slots"
    __table_args__ = (UniqueConstraint("project_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)


class Handover(Base):
    """A unit's handover (交付): the appointment, the walk-through, meter readings, keys and documents, the
    owner's signed acceptance — and, when defects were still open, the owner's recorded agreement."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_unit", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="waiting")  # HANDOVER_STATUSES
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("handover_slots.id"), index=True)
    appointment_at: Mapped[datetime | None]
    booked_by: Mapped[str | None] = mapped_column(String(100))  # "owner:<id>" or a username
    # {"water": "123.4", "electricity": "56.0", "gas": "7.8"} as read on the meters.
    readings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    keys: Mapped[int | None] = mapped_column(Integer)  # sets of keys handed over
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)  # 住宅质量保证书, 使用说明书 …
    # The open defects the owner agreed to take the unit with (their numbers), and what they said.
    agreed_open_defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    agreement_note: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(String(100))  # the owner's acceptance, a stored PNG
    handed_over_at: Mapped[datetime | None]
    handed_over_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]

    unit: Mapped[Unit] = relationship(lazy="joined")
