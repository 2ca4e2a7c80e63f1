"""Who may do what: the one place the pages and the REST API ask.

A permission is first held by role (`GRANTS`); a permission about one object (`ABOUT`) then also
asks about that object. A request is seen by the overseers (centre supervisors, the group centre,
administrators), by whoever started it and by the departments with a step in it; seeing it means seeing
its timeline, internal notes and files. A task is seen by its department and the overseers, and worked
only by its department's members (any of its departments', when its candidateGroups named several). A
saved inbox filter is opened by its author and the department it is shared with, deleted by its author.
Supervisors, department managers and the group centre reassign (改派) any task of their departments
whoever holds it, and a step escalated to them. A process is started by every staff member unless its
diagram names the departments that may (`startableBy`). The owner portal is not staff work and is decided
by its own look-up (number and phone), not here.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from crm.models import Attachment, Complaint, RequestIndex, SavedFilter, User
from engine.actors import Actor
from engine.bpmn_meta import ProcessProperties
from engine.models import HumanTask, HumanTaskCandidate, ProcessDefinition, ProcessInstance


class Permission(StrEnum):
    USE_INBOX = "inbox.use"  # home, inbox, saving a filter, the task list: each sees their departments' work
    REGISTER_COMPLAINT = "complaint.register"
    VIEW_REQUEST = "request.view"  # a request with its timeline, internal notes, diagram and files
    ANNOTATE_REQUEST = "request.annotate"  # add notes and files to a request
    VIEW_TASK = "task.view"
    WORK_TASK = "task.work"  # claim, release, assign, wait for the owner, complete
    REASSIGN_TASK = "task.reassign"  # give a task to another member of its department, whoever holds it
    OPEN_SAVED_FILTER = "filter.open"  # one's own inbox filters and those shared with one's departments
    DELETE_SAVED_FILTER = "filter.delete"  # one's own
    VIEW_DEFINITIONS = "definition.view"  # deployed processes, their versions and diagrams
    DEPLOY_DEFINITION = "definition.deploy"  # deploy a diagram, and the dry run
    HANDLE_INCIDENTS = "incident.handle"  # failed instances: list them, retry (on a newer version), cancel
    ADMINISTER_STAFF = "staff.administer"  # accounts and departments
    OWN_ACCOUNT = "account.own"  # one's own account page: one's API tokens
    SEE_OVERDUE_BY_DEPARTMENT = "overview.departments"  # the home page's overdue-by-department table
    START_PROCESS = "process.start"  # start a deployed process as a request (its startableBy departments)
    VIEW_RECORDS = "records.view"  # projects, units, owners (masked phones), contracts, contractors; 客户360
    MANAGE_RECORDS = "records.manage"  # create and edit those records
    IMPORT_RECORDS = "records.import"  # import record files, download their templates
    VIEW_PERSONAL_DATA = "personal.view"  # an owner's full phone and ID number (each view audited)
    PREVIEW_MESSAGES = "messages.preview"  # every message kind rendered on each channel with a sample
    MANAGE_NOTICES = "notices.manage"  # the outbox: what was sent, the dead letters, resending them
    # Before the keys (crm.handover): inspections, defects and their rectification, handover.
    MANAGE_INSPECTIONS = "inspections.manage"  # open days and self-inspections: plan them, their inspectors
    CAPTURE_DEFECTS = "defects.capture"  # walk a unit: record its defects, the owner signs the list
    VIEW_DEFECTS = "defects.view"  # defect lists, a defect, the building board, a unit's readiness
    MANAGE_DEFECTS = "defects.manage"  # bulk: assign many to a contractor, extend deadlines
    EDIT_CATALOGUE = "defects.catalogue"  # the defect catalogue: categories, parts, items, severity, days
    CONTRACTOR_WORK = "defects.contractor"  # a contractor's own company's defects, closed with evidence
    MANAGE_HANDOVER = "handover.manage"  # handover slots, bookings, the handover with readings and keys
    EXPORT_DEFECT_REPORTS = "defects.reports"  # defect lists, the housing-bureau summary, defect feedback
    OWN_MESSAGES = "messages.own"  # one's own in-app messages: the bell, 我的消息, marking them read
    CHOOSE_OWNER_NOTICES = "notices.choose"  # change an owner's channels per message kind at their request
    # Notices to buyers (crm.bulletins): progress notices and design changes.
    VIEW_BULLETINS = "bulletins.view"  # the notices, a notice with its progress, draft and delivery
    REPORT_PROGRESS = "bulletins.progress"  # a building's progress for the month, with photos
    DRAFT_BULLETINS = "bulletins.draft"  # draft a notice, start a design change, retry failed messages
    APPROVE_BULLETINS = "bulletins.approve"  # approve a notice for sending, or send it back with a comment
    # Return visits (crm.visits): campaigns, visits, questionnaires, satisfaction.
    VIEW_VISITS = "visits.view"  # campaigns with their figures, a visit with its answers
    MAKE_VISITS = "visits.make"  # make a visit: record the call and the owner's answers
    MANAGE_CAMPAIGNS = "visits.manage"  # create, launch, pause, resume and finish campaigns; questionnaires
    # The centre's figures: dashboards, the figures per slice with the requests behind them, their exports.
    VIEW_KPIS = "kpis.view"


# "*": every member of the homebuilder's own staff. People of an outside company (a contractor's) are not
# staff in that sense: they hold only what is granted to their role by name, so a permission given to
# everyone inside never reaches them — they see their company's defects and their own account, nothing of
# owners, records, complaints or other requests.
EVERY_STAFF_MEMBER = "*"
EXTERNAL_ROLES = frozenset({"contractor"})
# Acting on a task still needs membership of its department; these roles see every department's work.
OVERSEEING_ROLES = frozenset({"administrator", "supervisor", "group"})
# Reassign (改派) a task a colleague holds: in their own departments, or a step escalated to them.
REASSIGNING_ROLES = frozenset({"supervisor", "manager", "group"})

GRANTS: dict[Permission, frozenset[str]] = {
    Permission.USE_INBOX: frozenset({EVERY_STAFF_MEMBER}),
    Permission.REGISTER_COMPLAINT: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.VIEW_REQUEST: frozenset({EVERY_STAFF_MEMBER}),
    Permission.ANNOTATE_REQUEST: frozenset({EVERY_STAFF_MEMBER}),
    Permission.VIEW_TASK: frozenset({EVERY_STAFF_MEMBER}),
    Permission.WORK_TASK: frozenset({EVERY_STAFF_MEMBER}),
    Permission.REASSIGN_TASK: REASSIGNING_ROLES,
    Permission.OPEN_SAVED_FILTER: frozenset({EVERY_STAFF_MEMBER}),
    Permission.DELETE_SAVED_FILTER: frozenset({EVERY_STAFF_MEMBER}),
    Permission.VIEW_DEFINITIONS: frozenset({"process_owner", "administrator"}),
    Permission.DEPLOY_DEFINITION: frozenset({"process_owner", "administrator"}),
    Permission.HANDLE_INCIDENTS: frozenset({"process_owner", "administrator"}),
    Permission.ADMINISTER_STAFF: frozenset({"administrator"}),
    Permission.OWN_ACCOUNT: frozenset({EVERY_STAFF_MEMBER, "contractor"}),
    Permission.SEE_OVERDUE_BY_DEPARTMENT: frozenset({"manager"}) | OVERSEEING_ROLES,
    Permission.START_PROCESS: frozenset({EVERY_STAFF_MEMBER}),
    Permission.VIEW_RECORDS: frozenset({EVERY_STAFF_MEMBER}),
    Permission.MANAGE_RECORDS: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.IMPORT_RECORDS: frozenset({"administrator"}),
    Permission.VIEW_PERSONAL_DATA: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.PREVIEW_MESSAGES: frozenset({"administrator", "process_owner"}),
    Permission.MANAGE_NOTICES: frozenset({"administrator"}),
    Permission.MANAGE_INSPECTIONS: frozenset({"coordinator", "supervisor", "manager", "administrator"}),
    Permission.CAPTURE_DEFECTS: frozenset({"inspector", "coordinator", "supervisor", "administrator"}),
    Permission.VIEW_DEFECTS: frozenset({EVERY_STAFF_MEMBER}),
    Permission.MANAGE_DEFECTS: frozenset({"manager", "supervisor", "administrator"}),
    Permission.EDIT_CATALOGUE: frozenset({"administrator", "process_owner"}),
    Permission.CONTRACTOR_WORK: frozenset({"contractor"}),
    Permission.MANAGE_HANDOVER: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.EXPORT_DEFECT_REPORTS: frozenset({"manager", "supervisor", "group", "administrator"}),
    Permission.OWN_MESSAGES: frozenset({EVERY_STAFF_MEMBER}),
    Permission.CHOOSE_OWNER_NOTICES: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.VIEW_BULLETINS: frozenset({EVERY_STAFF_MEMBER}),
    Permission.REPORT_PROGRESS: frozenset({"handler", "manager", "supervisor", "administrator"}),
    Permission.DRAFT_BULLETINS: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.APPROVE_BULLETINS: frozenset({"supervisor", "manager", "administrator"}),
    Permission.VIEW_VISITS: frozenset({EVERY_STAFF_MEMBER}),
    Permission.MAKE_VISITS: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.MANAGE_CAMPAIGNS: frozenset({"coordinator", "supervisor", "administrator"}),
    Permission.VIEW_KPIS: frozenset({"manager", "coordinator", "process_owner"}) | OVERSEEING_ROLES,
}

# What a permission is about, when it is about one object.
ABOUT: dict[Permission, Literal["request", "task", "saved_filter", "process"]] = {
    Permission.VIEW_REQUEST: "request",
    Permission.ANNOTATE_REQUEST: "request",
    Permission.VIEW_TASK: "task",
    Permission.WORK_TASK: "task",
    Permission.REASSIGN_TASK: "task",
    Permission.OPEN_SAVED_FILTER: "saved_filter",
    Permission.DELETE_SAVED_FILTER: "saved_filter",
    Permission.START_PROCESS: "process",
}

TargetKind = Literal[
    "request", "request_number", "complaint", "attachment", "task", "saved_filter", "process"
]


@dataclass(frozen=True)
class Target:
    """How an endpoint names the object a permission is about: its kind and the URL argument."""

    kind: TargetKind
    argument: str

    @classmethod
    def request(cls, argument: str = "instance_id") -> Target:
        return cls("request", argument)

    @classmethod
    def request_number(cls, argument: str = "number") -> Target:
        return cls("request_number", argument)

    @classmethod
    def complaint(cls, argument: str = "complaint_id") -> Target:
        return cls("complaint", argument)

    @classmethod
    def attachment(cls, argument: str = "token") -> Target:
        return cls("attachment", argument)

    @classmethod
    def task(cls, argument: str = "task_id") -> Target:
        return cls("task", argument)

    @classmethod
    def saved_filter(cls, argument: str = "filter_id") -> Target:
        return cls("saved_filter", argument)

    @classmethod
    def process(cls, argument: str = "key") -> Target:
        return cls("process", argument)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    by_role: bool = False  # refused because of the user's roles, whatever the object
    # Refused because of the object (not the role): the caller shows it as absent where ids are guessable.
    hidden: bool = False
    missing: bool = False  # the object does not exist
    reason: str = ""
    # How the same object reads when it does not exist: a hidden object is answered with this message.
    absent: str = ""


ALLOWED = Decision(True)


def sees_everything(roles: Set[str]) -> bool:
    return bool(roles & OVERSEEING_ROLES) and not is_external(roles)


def is_external(roles: Set[str]) -> bool:
    """Whether these roles are those of someone outside the staff (a contractor's people)."""
    return bool(roles & EXTERNAL_ROLES)


def holds(roles: Set[str], permission: Permission) -> bool:
    """Whether someone with these roles holds the permission (before any object is asked about): what is
    granted to every staff member is held by the homebuilder's own people only."""
    granted = GRANTS[permission]
    return (EVERY_STAFF_MEMBER in granted and not is_external(roles)) or bool(roles & granted)


def holders(permission: Permission) -> str:
    granted = GRANTS[permission]
    named = sorted(granted - {EVERY_STAFF_MEMBER})
    if EVERY_STAFF_MEMBER in granted:
        return " or ".join(["every staff member", *named])
    return " or ".join(named)


class Policy:
    """Decisions for one unit of work (object rules read the session)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def may(self, user: User | None, permission: Permission) -> bool:
        """The role-level question: may this user do this kind of thing at all?"""
        return user is not None and user.active and holds(user.role_set, permission)

    def decide(
        self, user: User, permission: Permission, target: Target | None = None, key: object = None
    ) -> Decision:
        if not self.may(user, permission):
            reason = f"this needs the role {holders(permission)} ({permission.value})"
            return Decision(False, by_role=True, reason=reason)
        about = ABOUT.get(permission)
        if target is None:
            if about is not None:
                raise ValueError(f"{permission.value} is about one {about}: name it")
            return ALLOWED
        actor = actor_of(user)
        if about in ("task", "saved_filter", "process") and target.kind != about:
            raise ValueError(f"{permission.value} is about a {about}, not a {target.kind}")
        if about == "task":
            return self._task(actor, permission, key)
        if about == "saved_filter":
            return self._saved_filter(actor, permission, key)
        if about == "request":
            return self._request(actor, target, key)
        if about == "process":
            return self._process(actor, key)
        raise ValueError(f"{permission.value} is not about one object")

    # -- requests ---------------------------------------------------------------------------------------

    def may_see_request(self, actor: Actor, instance_id: int | None, started_by: str | None) -> bool:
        """Overseers see every request; others those with a step in one of their departments, or that
        they started themselves."""
        if actor.sees_all or (started_by is not None and started_by == actor.username):
            return True
        if instance_id is None or not actor.departments:
            return False
        departments = sorted(actor.departments)
        own = exists().where(HumanTask.instance_id == instance_id, HumanTask.department.in_(departments))
        further = exists().where(
            HumanTask.instance_id == instance_id,
            HumanTaskCandidate.task_id == HumanTask.id,
            HumanTaskCandidate.department.in_(departments),
        )
        return bool(self.session.scalar(select(own))) or bool(self.session.scalar(select(further)))

    def visible_requests(self, actor: Actor) -> list[ColumnElement[bool]] | None:
        """`may_see_request` for lists of requests: conditions on request_index, any one of which lets the
        actor see a request; None when they see every one. (Kept apart rather than or-ed: each can then be
        walked newest first on its own index and stop after a page.)"""
        if actor.sees_all:
            return None
        started = exists().where(
            ProcessInstance.id == RequestIndex.instance_id, ProcessInstance.started_by == actor.username
        )
        if not actor.departments:
            return [started]
        worked_on = exists().where(
            HumanTask.instance_id == RequestIndex.instance_id,
            HumanTask.department.in_(sorted(actor.departments)),
        )
        return [worked_on, started]

    def _request(self, actor: Actor, target: Target, key: object) -> Decision:
        found, absent = self._find_request(target, key)
        if found is None:
            return Decision(False, hidden=True, missing=True, reason=absent, absent=absent)
        if self.may_see_request(actor, *found):
            return ALLOWED
        reason = "you are not in a department that works on this request"
        return Decision(False, hidden=True, reason=reason, absent=absent)

    def _find_request(self, target: Target, key: object) -> tuple[tuple[int | None, str | None] | None, str]:
        """The request's instance id and who started it, or None; and how its absence reads."""
        session = self.session
        instance_id: int | None = None
        if target.kind == "request":
            absent = f"request {key} does not exist"
            instance_id = _id(key)
        elif target.kind == "request_number":
            absent = f"request {key} does not exist"
            number = str(key).strip().upper()[:30]
            instance_id = session.scalar(
                select(RequestIndex.instance_id).where(RequestIndex.number == number)
            )
        elif target.kind == "complaint":
            absent = f"complaint {key} does not exist"
            complaint_id = _id(key)
            complaint = session.execute(
                select(Complaint.instance_id, Complaint.created_by).where(Complaint.id == complaint_id)
            ).first()
            if complaint is not None and complaint.instance_id is None:
                return (None, complaint.created_by), absent  # its workflow never started
            instance_id = complaint.instance_id if complaint is not None else None
        elif target.kind == "attachment":
            absent = "the attachment does not exist"
            token = str(key)
            if token.isalnum() and len(token) <= 32:
                instance_id = session.scalar(select(Attachment.instance_id).where(Attachment.token == token))
        else:
            raise ValueError(f"a request cannot be found from a {target.kind}")
        if instance_id is None:
            return None, absent
        started_by = session.execute(
            select(ProcessInstance.started_by).where(ProcessInstance.id == instance_id)
        ).first()
        return ((instance_id, started_by[0]) if started_by is not None else None), absent

    # -- starting a process ------------------------------------------------------------------------------

    def _process(self, actor: Actor, key: object) -> Decision:
        absent = f"no process '{key}' is deployed"
        meta = self.session.scalar(
            select(ProcessDefinition.meta)
            .where(ProcessDefinition.key == str(key))
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        )
        if meta is None:
            return Decision(False, hidden=True, missing=True, reason=absent, absent=absent)
        properties = ProcessProperties.from_json(meta.get("properties") or {}, str(key))
        if may_start(actor, properties):
            return ALLOWED
        names = ", ".join(properties.startable_by)
        return Decision(False, reason=f"only members of {names} may start the process '{key}'")

    # -- tasks ------------------------------------------------------------------------------------------

    def _task(self, actor: Actor, permission: Permission, key: object) -> Decision:
        task_id = _id(key)
        absent = f"task {key} does not exist"
        # Only the department is read: the view loads the row itself, fresh, in its own query.
        department = (
            self.session.scalar(select(HumanTask.department).where(HumanTask.id == task_id))
            if task_id is not None
            else None
        )
        if department is None:
            return Decision(False, hidden=True, missing=True, reason=absent, absent=absent)
        # A task whose candidateGroups named several departments is worked by members of any of them.
        member = actor.member_of(department) or self._candidate_member(actor, task_id)
        if not actor.sees_all and not member:
            reason = f"task {task_id} belongs to the department '{department}'"
            return Decision(False, hidden=True, reason=reason, absent=absent)
        if permission is Permission.WORK_TASK and not member:
            return Decision(False, reason=f"only members of '{department}' can act on task {task_id}")
        if permission is Permission.REASSIGN_TASK and not member:
            if not self.escalated_to(actor, task_id):
                reason = f"only supervisors and managers of '{department}' can reassign task {task_id}"
                return Decision(False, reason=reason)
        return ALLOWED

    def _candidate_member(self, actor: Actor, task_id: int | None) -> bool:
        """Whether `actor` belongs to one of the task's further candidate departments."""
        if task_id is None or not actor.departments:
            return False
        return bool(
            self.session.scalar(
                select(
                    exists().where(
                        HumanTaskCandidate.task_id == task_id,
                        HumanTaskCandidate.department.in_(sorted(actor.departments)),
                    )
                )
            )
        )

    def escalated_to(self, actor: Actor, task_id: int | None) -> bool:
        """Whether an open escalation of the task waits for this person: they may reassign the step."""
        if task_id is None:
            return False
        return bool(
            self.session.scalar(
                select(
                    exists().where(
                        HumanTask.escalates_task_id == task_id,
                        HumanTask.state == "open",
                        HumanTask.assignee == actor.username,
                    )
                )
            )
        )

    def may_reassign(self, user: User, task: HumanTask) -> bool:
        """For the pages: whether to offer reassigning this task to this user."""
        return self.decide(user, Permission.REASSIGN_TASK, Target.task(), task.id).allowed

    # -- saved inbox filters ----------------------------------------------------------------------------

    def _saved_filter(self, actor: Actor, permission: Permission, key: object) -> Decision:
        filter_id = _id(key)
        absent = f"saved filter {key} does not exist"
        found = self.session.get(SavedFilter, filter_id) if filter_id is not None else None
        if found is None or not may_open_filter(actor, found):  # someone else's is not there for you
            return Decision(False, hidden=True, missing=True, reason=absent, absent=absent)
        if permission is Permission.DELETE_SAVED_FILTER and not may_delete_filter(actor, found):
            return Decision(False, reason="only the person who saved a filter can delete it")
        return ALLOWED


def may_start(actor: Actor, properties: ProcessProperties) -> bool:
    """Whether a staff member may start a process: any, unless its diagram names the departments
    (`startableBy`) and they are in none of them."""
    return not properties.startable_by or any(actor.member_of(code) for code in properties.startable_by)


def may_open_filter(actor: Actor, saved: SavedFilter) -> bool:
    return saved.username == actor.username or (
        saved.department is not None and actor.member_of(saved.department)
    )


def may_delete_filter(actor: Actor, saved: SavedFilter) -> bool:
    return saved.username == actor.username


def actor_of(user: User) -> Actor:
    """The engine's view of a staff member: a name, departments, and whether they oversee every one."""
    return Actor(user.username, user.department_codes, sees_all=sees_everything(user.role_set))


def _id(key: object) -> int | None:
    return key if isinstance(key, int) and not isinstance(key, bool) and 0 < key < 2**63 else None
