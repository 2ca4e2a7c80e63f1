"""The engine's tables: definition versions, instances with their state, the inbox, the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lintel.db import Base, BigId


class ProcessDefinition(Base):
    """One deployed version of a BPMN file. Immutable once stored: instances pin it."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    meta: Mapped[dict[str, Any]]
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    # What the process owner said changed in this version (the studio asks for it; uploads may leave it out).
    change_note: Mapped[str | None] = mapped_column(Text)


class ProcessDraft(Base):
    """A process owner's diagram in the studio, saved as they draw. A draft is nobody else's and nothing
    runs it: it is never deployed (deploying stores a version and forgets the draft), never started, never
    in an inbox. `process_key` is '' for a process not deployed yet."""

    __tablename__ = "process_drafts"
    __table_args__ = (UniqueConstraint("owner", "process_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), index=True)
    process_key: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    # The version the draft was started from (None for a new process).
    base_version: Mapped[int | None]
    updated_at: Mapped[datetime]


class ProcessDraftFile(Base):
    """A form or decision table edited in the studio, saved with its draft: it replaces the latest
    version's file of the same name (or is added) when the draft is deployed, and goes when the draft goes.
    Nothing else reads it: running tasks keep the forms of the version they run."""

    __tablename__ = "process_draft_files"
    __table_args__ = (UniqueConstraint("draft_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("process_drafts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))  # form | dmn
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class DefinitionFile(Base):
    """A file deployed with a definition version: its BPMN files (the main one too), DMN tables and forms.

    Immutable like the version: a running instance keeps the called processes, decisions and forms it
    started with."""

    __tablename__ = "definition_files"
    __table_args__ = (UniqueConstraint("definition_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn | dmn | form
    main: Mapped[bool] = mapped_column(default=False)
    content: Mapped[str] = mapped_column(Text, deferred=True)


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_process_instances_due", "next_timer_at", "status"),
        Index("ix_process_instances_status_failed", "status", "failed_at"),
        # One version's live instances (the heatmap of a version) from the index alone on PostgreSQL.
        Index("ix_process_instances_definition_live", "definition_id", "status", postgresql_include=["id"]),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    business_key: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))  # running | completed | error | cancelled
    state: Mapped[str] = mapped_column(Text, deferred=True)
    revision: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    started_by: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    # Where and when it failed (an incident until retried or cancelled): the BPMN id of the element.
    error_element: Mapped[str | None] = mapped_column(String(200))
    failed_at: Mapped[datetime | None]
    next_timer_at: Mapped[datetime | None]

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": revision}


class HumanTask(Base):
    """A READY manual step of an instance, as an inbox row. Created in the transaction that readied it."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_inbox", "department", "state", "due_at", "id"),
        Index("ix_human_tasks_assignee", "assignee", "state", "due_at"),
        # The process heatmap: a process's open steps counted per element, overdue ones by due time.
        Index(
            "ix_human_tasks_process_open",
            "process_key",
            "state",
            "kind",
            "element_id",
            "due_at",
            postgresql_include=["instance_id"],  # joined to the instance's version without the table
        ),
        # The dashboards: each department's open steps counted by due time, kind and escalation level from
        # the index alone (PostgreSQL).
        Index(
            "ix_human_tasks_open_queue",
            "department",
            "due_at",
            postgresql_include=["kind", "escalation_level", "waiting_since"],
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    process_key: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(100))
    form_key: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # task: a step of the diagram; escalation: raised by an escalation timer for the task it escalates.
    kind: Mapped[str] = mapped_column(String(20), default="task", server_default="task")
    escalates_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"), index=True)
    # How the deadline counts: business (working hours) or calendar time.
    deadline_clock: Mapped[str | None] = mapped_column(String(10))
    # Set while the handler waits for the owner; the deadline clock stands still meanwhile.
    waiting_since: Mapped[datetime | None]

    # Optimistic lock: two people claiming (or acknowledging) at once cannot both succeed.
    revision: Mapped[int] = mapped_column(Integer, server_default="1")

    instance: Mapped[ProcessInstance] = relationship(lazy="raise")
    # Further departments whose queues show the task; written with a new row, queried on their own.
    candidates: Mapped[list[HumanTaskCandidate]] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": revision}


class HumanTaskCandidate(Base):
    """A further department whose queue shows a task (a candidateGroups list naming several): any member
    may claim and complete it. The task's own department, the first of the list, is on its row.

    `open` follows the task (cleared when it is completed or cancelled, `engine.inbox.close_candidates`), so a
    queue finds its few open candidate tasks from the index alone, however many closed ones went before."""

    __tablename__ = "human_task_candidates"
    __table_args__ = (Index("ix_human_task_candidates_queue", "department", "open", "task_id"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("human_tasks.id"), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    open: Mapped[bool] = mapped_column(default=True, server_default=true())


class AuditEvent(Base):
    """Every transition of an instance or a task: who, what, when, from which state to which, what data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any] | None]

    task: Mapped[HumanTask | None] = relationship(lazy="raise")


class TimerStartSchedule(Base):
    """When the platform next starts an instance of a process with a timer start event."""

    __tablename__ = "timer_start_schedules"
    __table_args__ = (UniqueConstraint("process_key", "element_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    last_fired_at: Mapped[datetime | None]
    last_instance_id: Mapped[int | None] = mapped_column(BigId)


class MigrationRun(Base):
    """A batch move of running instances to another version of their process (engine.migration), worked
    through in the background one instance per transaction; `done` counts the instances dealt with."""

    __tablename__ = "migration_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    from_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    status: Mapped[str] = mapped_column(String(20))  # queued | running | done
    # {"mapping": {old: new}, "instances": [ids to move, in order], "moved": [ids],
    #  "blocked": [{"instance_id", "reason"}]}
    work: Mapped[dict[str, Any]]
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
