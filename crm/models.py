"""Organisation and customer records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.bulletins import models as bulletin_models  # noqa: F401  (notices to buyers)
from crm.estate import import_models  # noqa: F401  (registers import_jobs on the metadata)
from crm.estate.models import Caller, Owner, Unit
from crm.handover import models as handover_models  # noqa: F401  (defects, inspections, handovers)
from crm.kpis import models as kpi_models  # noqa: F401  (the figures read from the audit trail)
from crm.messaging import models as messaging_models  # noqa: F401  (owner_notice_preferences)
from crm.visits import models as visit_models  # noqa: F401  (return-visit campaigns)
from engine.models import BigId
from lintel.db import Base
from notifications import models as notification_models  # noqa: F401  (outbox and in-app tables)


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Who an overdue task of this department climbs to first (the department's manager).
    manager_username: Mapped[str | None] = mapped_column(String(100))
    # The department's group robot (企业微信 or 钉钉 群机器人): new work in its queue is posted there.
    robot_kind: Mapped[str | None] = mapped_column(String(20))  # wecom | dingtalk
    robot_url: Mapped[str | None] = mapped_column(String(500))
    robot_secret: Mapped[str | None] = mapped_column(String(200))  # DingTalk's signing secret (加签)
    # A contractor company's own department: its people see and close only the company's defects.
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), unique=True)


class UserDepartment(Base):
    __tablename__ = "user_departments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Comma-separated: administrator, coordinator, supervisor, handler, manager, inspector, process_owner
    roles: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the staff member hears about their work besides the bell (both optional).
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))

    departments: Mapped[list[Department]] = relationship(secondary="user_departments", lazy="selectin")

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)

    @property
    def department_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.departments)


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is kept: the value is shown once, when issued.
    Revoking a token deletes its row."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A signed-in browser. The cookie carries a random key whose SHA-256 is this row: signing out, a
    password reset or a deactivation deletes the row, and the cookie stops working at once."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")


class NumberSequence(Base):
    """Per-prefix, per-year counters for request numbers like TS-2026-000123."""

    __tablename__ = "number_sequences"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    # A caller not on file who is not an owner (a tenant, family) may register for a unit with no owner.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id"), index=True)
    category: Mapped[str | None] = mapped_column(String(30))
    severity: Mapped[str | None] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    # The return visit whose dissatisfied answer opened it (visits.complaint_id links back; no foreign key
    # here, so the two tables do not depend on each other to be created).
    visit_id: Mapped[int | None] = mapped_column(BigId, index=True)

    owner: Mapped[Owner | None] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    caller: Mapped[Caller | None] = relationship(lazy="joined")


# -- the web workplace: request index, saved filters, comments, attachments, portal --------------------


class RequestIndex(Base):
    """One row per service request (every process instance), keyed by its workflow
    instance: what the inbox shows, filters and searches on without loading the request itself."""

    __tablename__ = "request_index"
    __table_args__ = (
        # Prefix search (`LIKE 'TS-2026-00%'`) must use the index whatever the database's collation.
        Index("ix_request_index_number", "number", postgresql_ops={"number": "varchar_pattern_ops"}),
        Index("ix_request_index_owner_id", "owner_id"),
        Index("ix_request_index_unit_id", "unit_id"),
        # The inbox's project/category filters look for open requests: status first.
        Index("ix_request_index_open_project_category", "status", "project", "category"),
    )

    instance_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(200))  # the process key
    record_id: Mapped[int | None] = mapped_column(BigId)
    number: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(BigId)
    owner_name: Mapped[str | None] = mapped_column(String(100))
    owner_phone: Mapped[str | None] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    unit_label: Mapped[str | None] = mapped_column(String(200))
    project: Mapped[str | None] = mapped_column(String(50))
    category: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))  # open | closed | error | cancelled
    step: Mapped[str | None] = mapped_column(String(200))  # the name of the step it waits in
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # The latest reply written for the owner (a form field named `reply`), shown on the portal: a field
    # of its own, so that nothing else entered on the way (notes, resolutions) ever reaches the owner.
    owner_reply: Mapped[str | None] = mapped_column(Text)
    owner_reply_at: Mapped[datetime | None]


class SavedFilter(Base):
    """An inbox filter someone named; shared with a department when `department` is set."""

    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    username: Mapped[str] = mapped_column(String(100), index=True)
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), index=True)
    query: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Comment(Base):
    """A staff note on a request (never shown on the owner portal)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(BigId)
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Attachment(Base):
    """A photo or file stored on disk under the instance folder; `token` is its public id."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(BigId)
    field: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]


class ThrottleAttempt(Base):
    """A failed sign-in or portal look-up under one key (an account or request number with the client, or
    the client alone), kept in the database so delays hold across processes."""

    __tablename__ = "throttle_attempts"
    __table_args__ = (Index("ix_throttle_attempts_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]


class RequestRating(Base):
    """The owner's satisfaction with how a request was handled: one per request, whether the owner gave it
    on the portal or the centre recorded it on the phone (`source`), so every figure counts it once."""

    __tablename__ = "request_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), unique=True
    )
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20), default="portal", server_default="portal")  # | phone
    recorded_by: Mapped[str | None] = mapped_column(String(100))  # the staff member, for a phone score
