"""The studio's drafts: a process owner's diagram saved as they draw, one per owner and process.

Nothing reads a draft but its owner's studio: drafts are not definitions, so they are never started, never
scheduled and never put anything in an inbox. Deploying one goes through `DefinitionService.deploy` like an
upload, after which the draft is discarded.

A draft also holds the forms and decision tables edited in the studio (`ProcessDraftFile`): deployed with
the diagram in place of the latest version's files of the same names, discarded with the draft."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.models import ProcessDraft, ProcessDraftFile
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

    def files(self, draft: ProcessDraft | None) -> list[ProcessDraftFile]:
        if draft is None:
            return []
        return list(
            self.session.scalars(
                select(ProcessDraftFile)
                .where(ProcessDraftFile.draft_id == draft.id)
                .order_by(ProcessDraftFile.filename)
            )
        )

    def save_file(
        self,
        owner: str,
        key: str,
        xml: str,
        base_version: int | None,
        *,
        filename: str,
        kind: str,
        content: str,
    ) -> ProcessDraftFile:
        """Store a form or decision table in the owner's draft of `key` (with the diagram as it is drawn,
        so a draft exists), replacing the draft's file of that name."""
        draft = self.save(owner, key, xml, base_version)
        found = self.session.scalars(
            select(ProcessDraftFile).where(
                ProcessDraftFile.draft_id == draft.id, ProcessDraftFile.filename == filename
            )
        ).first()
        if found is None:
            found = ProcessDraftFile(draft_id=draft.id, filename=filename)
            self.session.add(found)
        found.kind = kind
        found.content = content
        found.updated_at = draft.updated_at
        self.session.flush()
        return found

    def discard(self, owner: str, key: str) -> None:
        draft = self.get(owner, key)
        if draft is not None:
            self.session.execute(delete(ProcessDraftFile).where(ProcessDraftFile.draft_id == draft.id))
        self.session.execute(
            delete(ProcessDraft).where(ProcessDraft.owner == owner, ProcessDraft.process_key == key)
        )

    def of_owner(self, owner: str) -> list[ProcessDraft]:
        return list(
            self.session.scalars(
                select(ProcessDraft).where(ProcessDraft.owner == owner).order_by(ProcessDraft.process_key)
            )
        )
