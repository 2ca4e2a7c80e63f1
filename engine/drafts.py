"""The studio's drafts: a process owner's diagram saved as they draw, one per owner and process.

Nothing reads a draft but its owner's studio: drafts are not definitions, so they are never started, never
scheduled and never put anything in an inbox. Deploying one goes through `DefinitionService.deploy` like an
upload, after which the draft is discarded."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.models import ProcessDraft
from lintel.clock import Clock

NEW_PROCESS = ""  # the process key of a draft whose process is not deployed yet


class DraftService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def get(self, owner: str, key: str) -> ProcessDraft | None:
        return self.session.scalars(
            select(ProcessDraft).where(ProcessDraft.owner == owner, ProcessDraft.process_key == key)
        ).first()

    def save(self, owner: str, key: str, xml: str, base_version: int | None) -> ProcessDraft:
        """Store the owner's draft of `key`, replacing the one saved before. The version a draft is based
        on is the one it was started from: saving again keeps it, so the studio can say when a newer
        version was deployed meanwhile."""
        draft = self.get(owner, key)
        if draft is None:
            draft = ProcessDraft(owner=owner, process_key=key, base_version=base_version)
            self.session.add(draft)
        draft.bpmn_xml = xml
        draft.updated_at = self.clock.now()
        self.session.flush()
        return draft

    def discard(self, owner: str, key: str) -> None:
        self.session.execute(
            delete(ProcessDraft).where(ProcessDraft.owner == owner, ProcessDraft.process_key == key)
        )

    def of_owner(self, owner: str) -> list[ProcessDraft]:
        return list(
            self.session.scalars(
                select(ProcessDraft).where(ProcessDraft.owner == owner).order_by(ProcessDraft.process_key)
            )
        )
