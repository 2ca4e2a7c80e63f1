"""Wiring: the process-wide parts (spec cache, forms, event subscribers, script functions) built once, and
the services of one unit of work built around its session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from crm import complaints, escalations, ratings, requests_index
from crm.bulletins import bulletins
from crm.bulletins.bulletins import Bulletins
from crm.bulletins.progress import ProgressReports
from crm.comments import Comments
from crm.complaints import ComplaintService
from crm.directory import Directory
from crm.estate.overview import RecordsOverview
from crm.estate.profile import OwnerProfiles
from crm.estate.services import Records
from crm.handover import defects, handover_steps, handovers, loop
from crm.handover import notices as defect_notices
from crm.handover.board import Boards
from crm.handover.defects import Defects
from crm.handover.handovers import Handovers
from crm.handover.rectifications import Rectifications
from crm.handover.slots import HandoverSlots
from crm.kpis.figures import Kpis
from crm.kpis.heatmap import Heatmaps
from crm.kpis.refresh import KpiRefresher
from crm.lookup import CaseLookup
from crm.messaging import owners as owner_notices
from crm.messaging import staff as staff_notices
from crm.messaging.config import MessagingConfig
from crm.messaging.portal import OwnerMessages
from crm.messaging.preferences import NoticePreferences
from crm.process_requests import ProcessRequests
from crm.requests_index import RequestDirectory
from crm.saved_filters import SavedFilters
from crm.staff import StaffAdmin
from crm.validation import FormValidator
from crm.version_forms import VersionForms
from crm.visits import online as online_visits
from crm.visits import visits
from crm.visits.campaigns import Campaigns, refuse_manual_start
from crm.visits.launch import PROCESS_KEY as RETURN_VISIT
from crm.visits.online import OnlineVisits
from crm.visits.visits import Visits
from crm.worklist import Worklist
from engine.business_time import BusinessCalendar
from engine.deadlines import deadline_library
from engine.definitions import DefinitionService, SpecCache
from engine.drafts import DraftService
from engine.evaluator import EvaluatorLimits, EvaluatorPool, FunctionLibrary, shared_pool
from engine.events import EventBus
from engine.inbox import Inbox
from engine.incidents import IncidentService
from engine.runtime import Runtime
from engine.serialization import InstanceSerializer
from engine.tasks import TaskService
from engine.timer_starts import TimerStarts
from forms import FormRegistry, form_keys
from lintel.clock import Clock, SystemClock
from notifications.inapp import InAppMessages
from notifications.outbox import Outbox


@dataclass
class Foundation:
    """What every unit of work in one process shares."""

    clock: Clock = field(default_factory=SystemClock)
    forms: FormRegistry = field(default_factory=FormRegistry.bundled)
    # Each deployed version's own forms in front of the bundled ones, read once per version.
    version_forms: VersionForms = field(init=False)
    specs: SpecCache = field(default_factory=SpecCache)
    serializer: InstanceSerializer = field(default_factory=InstanceSerializer)
    events: EventBus = field(default_factory=EventBus)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    # Time and memory a diagram's script or expression may take, and the size of an instance's state.
    script_limits: EvaluatorLimits = field(default_factory=EvaluatorLimits)
    # Besides the deadline functions: recipes for more functions a diagram's scripts may call.
    libraries: list[FunctionLibrary] = field(default_factory=list)
    # Links, quiet hours, batching and templates of the messages this process queues.
    messaging: MessagingConfig = field(default_factory=MessagingConfig)
    # The functions a diagram's scripts and expressions may call, by name (built from the libraries).
    functions: dict[str, Callable[..., Any]] = field(init=False)
    evaluator: EvaluatorPool = field(init=False)

    def __post_init__(self) -> None:
        self.version_forms = VersionForms(self.forms)
        self.libraries = [deadline_library(self.calendar), *self.libraries]
        self.functions = {}
        for library in self.libraries:
            self.functions.update(library.build())
        self.evaluator = shared_pool(self.libraries, self.script_limits)
        complaints.subscribe(self.events)
        requests_index.subscribe(self.events)
        escalations.subscribe(self.events)
        ratings.subscribe(self.events)
        handover_steps.subscribe(self.events, self.clock)
        loop.subscribe(self.events)
        bulletins.subscribe(self.events, self.clock)
        visits.subscribe(self.events, self.clock)
        # Last: the notices see the change as the other subscribers left it (an escalation's manager); a
        # defect sent back is told as such, in place of its rework's new-task notice.
        defect_notices.subscribe(self.events, self)
        staff_notices.subscribe(self.events, self)
        owner_notices.subscribe(self.events, self)
        online_visits.subscribe(self.events, self)


class Platform:
    """The services for one session; the caller owns the transaction and commits."""

    def __init__(self, session: Session, foundation: Foundation) -> None:
        self.session = session
        self.foundation = foundation
        clock = foundation.clock
        self.clock = clock
        self.directory = Directory(session, clock)
        departments = self.directory.department_lookup()
        self.validator = FormValidator(foundation.forms, self.directory, foundation.version_forms, session)
        self.definitions = DefinitionService(
            session,
            clock=clock,
            departments=departments,
            form_exists=foundation.forms.__contains__,
            functions=foundation.functions.keys(),
            user_exists=self.directory.user_exists,
            form_keys=form_keys,
        )
        self.runtime = Runtime(
            session,
            clock=clock,
            specs=foundation.specs,
            definitions=self.definitions,
            evaluator=foundation.evaluator,
            functions=foundation.functions.keys(),
            events=foundation.events,
            departments=departments,
            serializer=foundation.serializer,
            calendar=foundation.calendar,
            max_state_bytes=foundation.script_limits.max_data_bytes,
            user_active=self.directory.user_active,
        )
        self.timer_starts = TimerStarts(session, self.runtime)
        self.definitions.on_deployed = self.timer_starts.schedule
        self.drafts = DraftService(session, clock=clock)
        self.tasks = TaskService(session, self.runtime, self.validator)
        self.incidents = IncidentService(session, self.runtime)
        self.inbox = Inbox(session)
        self.records = Records(session, clock)
        # Reading the records for the pages (projects, unit grids, a unit) and the owner's page (客户360).
        self.estate = RecordsOverview(session)
        self.owner_profiles = OwnerProfiles(session)
        self.complaints = ComplaintService(session, self.runtime, self.validator, clock, self.tasks)
        self.defects = Defects(session, self.runtime, clock)
        # Before the keys: readiness and the building board, handovers and their appointments.
        self.boards = Boards(session)
        self.handovers = Handovers(session, self.runtime, self.tasks, self.defects, clock)
        self.handover_slots = HandoverSlots(session, self.handovers, clock)
        self.rectifications = Rectifications(session, self.tasks, clock)
        # Notices to buyers: the monthly progress notice and design changes.
        self.bulletins = Bulletins(session, self.runtime, clock)
        self.progress_reports = ProgressReports(session, clock, self.bulletins, self.tasks)
        # Return visits: recording a visit's calls and answers.
        self.visits = Visits(session, self.tasks, self.complaints, clock)
        # The web workplace: the request index, the worklist over the inbox, notes, administration.
        self.requests = RequestDirectory(session)
        self.process_requests = ProcessRequests(
            session,
            self.runtime,
            self.validator,
            self.requests,
            starters={
                complaints.PROCESS_KEY: self.complaints.start,
                defects.PROCESS_KEY: self.defects.start,
                handovers.PROCESS_KEY: self.handovers.start_from_data,
                bulletins.PROGRESS_PROCESS: self.bulletins.start_progress,
                bulletins.DESIGN_CHANGE_PROCESS: self.bulletins.start_design_change,
                RETURN_VISIT: refuse_manual_start,
            },
        )
        self.worklist = Worklist(session, clock)
        self.lookup = CaseLookup(session, clock)
        self.saved_filters = SavedFilters(session, clock)
        self.comments = Comments(session, clock)
        self.staff = StaffAdmin(session)
        messaging = foundation.messaging
        self.outbox = Outbox(session, clock, messaging.templates, messaging.quiet, messaging.batch_window)
        self.inapp = InAppMessages(session, clock)
        # Each owner's channels per kind of message; the portal's side of an owner's messages and choices.
        self.notice_preferences = NoticePreferences(session, clock)
        self.owner_messages = OwnerMessages(session, clock)
        # Return visits: the online questionnaires on the portal.
        self.online_visits = OnlineVisits(session, clock, self.visits, self.runtime.send_message)
        # Return visits: campaigns, their audience, launch, pause, resume, finish.
        self.campaigns = Campaigns(session, clock)
        # The figures (及时率, 封闭率, times, rework, escalations), read from the audit trail.
        self.kpis = Kpis(session)
        self.kpi_refresher = KpiRefresher(session, clock, foundation.calendar)
        # The process heatmap: what waits at each step now, how the steps done there lately went.
        self.heatmaps = Heatmaps(session, clock)
