"""Notices to buyers (通报): the notice, each building's progress for the month, and its recipients."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.estate.models import Building, Project
from lintel.db import Base, BigId

KINDS = ("progress", "design_change")
# progress: waiting for engineering's progress (monthly notices only); drafting: the centre writes it (also
# after a manager sent it back: `return_comment`); approving: with a manager; sending: approved, its
# recipients' messages being queued; sent: every recipient's messages queued; cancelled: its request was.
STATUSES = ("progress", "drafting", "approving", "sending", "sent", "cancelled")
# The milestones a building's progress is reported against, in the order a building reaches them.
MILESTONES = (
    "桩基工程",
    "主体施工",
    "主体封顶",
    "砌体工程",
    "外立面施工",
    "室内安装",
    "精装修",
    "园林景观",
    "市政配套",
    "竣工验收",
)


class Bulletin(Base):
    """One notice: a project's progress for a month (one per project, month and kind), or a design change
    to the owners of the buildings or units in `audience`."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("project_id", "period", "kind", name="uq_bulletins_project_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # KINDS
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    period: Mapped[str | None] = mapped_column(String(7))  # the month of a progress notice: 2026-12
    instance_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("process_instances.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="drafting")  # STATUSES
    title: Mapped[str] = mapped_column(String(200), default="")
    # What owners read on the portal and by email; the SMS is its short form (with the portal link).
    body: Mapped[str] = mapped_column(Text, default="")
    sms_text: Mapped[str] = mapped_column(String(500), default="")
    # Design changes: {"building_ids": [...], "unit_ids": [...]}; a progress notice goes to the project.
    audience: Mapped[dict[str, Any] | None]
    requires_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    return_comment: Mapped[str | None] = mapped_column(Text)
    returned_by: Mapped[str | None] = mapped_column(String(100))
    returned_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    # Sending: how many owners it goes to, how many have their messages queued, when the last one was.
    recipients_total: Mapped[int] = mapped_column(Integer, default=0)
    recipients_queued: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    project: Mapped[Project] = relationship(lazy="joined")


def natural_order(name: str) -> list[Any]:
    """Buildings and units as people count them: 2栋 before 10栋."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def portal_path(bulletin_id: int) -> str:
    """Where an owner reads the notice on the portal (the link every message of it carries)."""
    return f"/portal/bulletins/{bulletin_id}"


class BuildingProgress(Base):
    """A building's progress for the month of a progress notice, as engineering reports it; its photos are
    attachments of the notice's request (field `progress_<building id>`)."""

    __tablename__ = "bulletin_buildings"
    __table_args__ = (UniqueConstraint("bulletin_id", "building_id", name="uq_bulletin_buildings"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    # The milestone the building has reached (MILESTONES) and how far the work as a whole is, 0–100.
    milestone: Mapped[str] = mapped_column(String(50))
    percent: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]

    building: Mapped[Building] = relationship(lazy="joined")


class BulletinRecipient(Base):
    """An owner a notice goes to: written when the sending starts, `queued_at` once their messages are in
    the outbox (a restarted sending picks up those without), `opened_at` when they first open it on the
    portal, `acknowledged_at` when they confirm a design change there."""

    __tablename__ = "bulletin_recipients"
    __table_args__ = (
        UniqueConstraint("bulletin_id", "owner_id", name="uq_bulletin_recipients"),
        Index("ix_bulletin_recipients_waiting", "bulletin_id", "queued_at"),
        Index("ix_bulletin_recipients_owner", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("owners.id", ondelete="CASCADE"))
    queued_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
