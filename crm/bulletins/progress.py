"""Engineering's monthly progress of a progress notice, building by building (工程进度填报).

- The buildings to report are all the project's; those with buyers waiting (a unit signed and not yet handed
  over) come first and must each be reported before the step is submitted (the guard in bulletins.py).
- A building's progress is its milestone, how far the work as a whole is (a whole percent) and a note; saving
  it again replaces it. Its photos are attachments of the notice's request, field `progress_<building id>`.
- Last month's values (the project's previous progress notice) are offered as the starting point: progress
  changes little from one month to the next.
- Only while the notice waits for its progress, and only by a member of the step's department(s) or an
  overseer. Submitting completes the step (claimed first if nobody holds it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.attachments import Attachments
from crm.bulletins import audience
from crm.bulletins.bulletins import SUBMIT_STEP, Bulletins
from crm.bulletins.models import MILESTONES, BuildingProgress, Bulletin, natural_order
from crm.estate.models import Building
from crm.models import Attachment
from engine.actors import Actor
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.inbox import works_on
from engine.models import HumanTask
from engine.tasks import TaskService
from lintel.clock import Clock

NOTE_MAX = 2000
PHOTO_TYPES = (".jpg", ".jpeg", ".png", ".webp")
MAX_PHOTOS = 20  # in one upload
FIELD_PREFIX = "progress_"
FIELDS = ("milestone", "percent", "note")


def photo_field(building_id: int) -> str:
    return f"{FIELD_PREFIX}{building_id}"


@dataclass(frozen=True)
class BuildingReport:
    """A building on the progress page: whether its buyers wait, this month's progress and last month's."""

    building: Building
    waiting: bool
    progress: BuildingProgress | None
    previous: BuildingProgress | None


def _percent(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


class ProgressReports:
    """Reading and saving a notice's progress; the caller owns the transaction (and, for photos, removes
    the files of a transaction it rolls back: Attachments.discard_written)."""

    def __init__(self, session: Session, clock: Clock, bulletins: Bulletins, tasks: TaskService) -> None:
        self.session = session
        self.clock = clock
        self.bulletins = bulletins
        self.tasks = tasks

    # -- reading -----------------------------------------------------------------------------------------

    def previous_notice(self, bulletin: Bulletin) -> Bulletin | None:
        """The project's progress notice before this one (the latest earlier month)."""
        if bulletin.kind != "progress" or bulletin.period is None:
            return None
        return self.session.scalars(
            select(Bulletin)
            .where(
                Bulletin.kind == "progress",
                Bulletin.project_id == bulletin.project_id,
                Bulletin.period < bulletin.period,
                Bulletin.status != "cancelled",
            )
            .order_by(Bulletin.period.desc(), Bulletin.id.desc())
            .limit(1)
        ).first()

    def _rows(self, bulletin: Bulletin | None) -> dict[int, BuildingProgress]:
        if bulletin is None:
            return {}
        query = select(BuildingProgress).where(BuildingProgress.bulletin_id == bulletin.id)
        return {row.building_id: row for row in self.session.scalars(query)}

    def buildings(self, bulletin: Bulletin) -> list[BuildingReport]:
        """Every building of the notice's project, those with buyers waiting first, then by name."""
        buildings = self.session.scalars(select(Building).where(Building.project_id == bulletin.project_id))
        waiting = set(self.session.scalars(audience.waiting_buildings(bulletin.project_id)))
        now, before = self._rows(bulletin), self._rows(self.previous_notice(bulletin))
        reports = [BuildingReport(b, b.id in waiting, now.get(b.id), before.get(b.id)) for b in buildings]
        return sorted(reports, key=lambda r: (not r.waiting, natural_order(r.building.name), r.building.id))

    def unreported(self, bulletin: Bulletin) -> list[Building]:
        """The buildings with buyers waiting whose progress is not reported yet."""
        return [r.building for r in self.buildings(bulletin) if r.waiting and r.progress is None]

    def photos(self, bulletin: Bulletin, store: Attachments) -> dict[int, list[Attachment]]:
        """Each building's photos (by building id), oldest first."""
        if bulletin.instance_id is None:
            return {}
        found: dict[int, list[Attachment]] = {}
        for attachment in store.of(bulletin.instance_id):
            field = attachment.field or ""
            if field.startswith(FIELD_PREFIX) and field[len(FIELD_PREFIX) :].isdigit():
                found.setdefault(int(field[len(FIELD_PREFIX) :]), []).append(attachment)
        return found

    def may_report(self, bulletin: Bulletin, actor: Actor) -> bool:
        """Whether the page offers this person the forms."""
        try:
            self._reporting(bulletin, actor)
        except (Conflict, Forbidden):
            return False
        return True

    # -- checks ------------------------------------------------------------------------------------------

    def submit_step(self, bulletin: Bulletin) -> HumanTask | None:
        step = self.bulletins.open_step(bulletin)
        return step if step is not None and step.element_id == SUBMIT_STEP else None

    def _reporting(self, bulletin: Bulletin, actor: Actor) -> HumanTask:
        """The open progress step, if the notice waits for its progress and `actor` may report it."""
        if bulletin.kind != "progress":
            raise Conflict("a design-change notice has no progress to report")
        if bulletin.status == "cancelled":
            raise Conflict("the notice was cancelled")
        step = self.submit_step(bulletin)
        if bulletin.status != "progress" or step is None:
            raise Conflict("the progress of this notice was already submitted")
        if not (actor.sees_all or works_on(self.session, actor, step)):
            raise Forbidden(f"only members of '{step.department}' or a supervisor report this progress")
        return step

    def _building(self, bulletin: Bulletin, building_id: Any) -> Building:
        building = (
            self.session.get(Building, building_id)
            if isinstance(building_id, int) and not isinstance(building_id, bool) and 0 < building_id < 2**31
            else None
        )
        if building is None or building.project_id != bulletin.project_id:
            raise NotFound(f"building {building_id} is not a building of {bulletin.project.name}")
        return building

    # -- writing -----------------------------------------------------------------------------------------

    def save(
        self, bulletin: Bulletin, building_id: int, values: Mapping[str, Any], actor: Actor
    ) -> BuildingProgress:
        """Record or replace one building's progress: `milestone` (one of MILESTONES), `percent` (a whole
        number 0–100), `note` (optional, at most NOTE_MAX characters)."""
        self._reporting(bulletin, actor)
        building = self._building(bulletin, building_id)
        problems = {str(k): "unknown field" for k in values if k not in FIELDS}
        milestone = values.get("milestone")
        if milestone is None or milestone == "":
            problems["milestone"] = "required"
        elif milestone not in MILESTONES:
            problems["milestone"] = "must be one of the milestones: " + ", ".join(MILESTONES)
        raw = values.get("percent")
        percent = _percent(raw)
        if raw is None or raw == "":
            problems["percent"] = "required"
        elif percent is None or not 0 <= percent <= 100:
            problems["percent"] = "must be a whole number from 0 to 100"
        note = values.get("note")
        if note is None:
            note = ""
        if not isinstance(note, str):
            problems["note"] = "must be text"
        elif len(note.strip()) > NOTE_MAX:
            problems["note"] = f"must be at most {NOTE_MAX} characters"
        if problems:
            raise InvalidData(f"the progress of {building.name} has errors", problems)
        assert isinstance(milestone, str) and percent is not None and isinstance(note, str)
        row = self.session.scalars(
            select(BuildingProgress).where(
                BuildingProgress.bulletin_id == bulletin.id, BuildingProgress.building_id == building.id
            )
        ).first()
        if row is None:
            row = BuildingProgress(bulletin_id=bulletin.id, building_id=building.id)
            self.session.add(row)
        row.milestone = milestone
        row.percent = percent
        row.note = note.strip()
        row.updated_by = actor.username
        row.updated_at = self.clock.now()
        bulletin.updated_at = row.updated_at
        self.session.flush()
        return row

    def add_photos(
        self,
        bulletin: Bulletin,
        building_id: int,
        files: Sequence[tuple[str, BinaryIO]],
        actor: Actor,
        store: Attachments,
    ) -> list[Attachment]:
        """Keep photos (file name, content) of a building; UploadRefused for a file that is not a photo."""
        self._reporting(bulletin, actor)
        building = self._building(bulletin, building_id)
        field = photo_field(building.id)
        if not files:
            raise InvalidData("send at least one photo", {"photos": "send at least one photo"})
        if len(files) > MAX_PHOTOS:
            raise InvalidData("too many photos", {"photos": f"at most {MAX_PHOTOS} photos at a time"})
        assert bulletin.instance_id is not None
        return [
            store.store(bulletin.instance_id, actor.username, name, stream, field=field, accept=PHOTO_TYPES)
            for name, stream in files
        ]

    def remove_photo(self, bulletin: Bulletin, token: str, actor: Actor, store: Attachments) -> Path:
        """Forget one of the notice's progress photos; returns its file, for the caller to delete once the
        transaction is committed."""
        self._reporting(bulletin, actor)
        assert bulletin.instance_id is not None
        found = store.by_tokens(bulletin.instance_id, [token]).get(token) if token.isalnum() else None
        if found is None or not (found.field or "").startswith(FIELD_PREFIX):
            raise NotFound("the photo is not a progress photo of this notice")
        path = store.path(found)
        self.session.delete(found)
        self.session.flush()
        return path

    def submit(self, bulletin: Bulletin, note: str | None, actor: Actor) -> HumanTask:
        """Complete the progress step (claimed first if nobody holds it) with an optional note for the
        centre; the notice then goes to the centre for drafting."""
        step = self._reporting(bulletin, actor)
        if step.assignee is None:
            self.tasks.claim(step.id, actor)
        return self.tasks.complete(step.id, {"progress_note": (note or "").strip()}, actor)
