"""The incidents desk: failed instances with the request each belongs to, for the page and the API alike
(engine.incidents does the work; this adds what a person recognises a request by)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import RequestIndex
from engine.incidents import Incident, IncidentService
from engine.models import ProcessDefinition


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    number: str | None
    title: str | None
    process_name: str

    @property
    def instance_id(self) -> int:
        return self.incident.instance.id

    @property
    def process_key(self) -> str:
        return self.incident.instance.process_key

    @property
    def version(self) -> int:
        return self.incident.version

    @property
    def element_id(self) -> str | None:
        return self.incident.element_id

    @property
    def element_name(self) -> str | None:
        return self.incident.element_name

    @property
    def error(self) -> str | None:
        return self.incident.instance.error

    @property
    def failed_at(self) -> datetime:
        return self.incident.failed_at

    @property
    def newer_version(self) -> int | None:
        return self.incident.newer_version


class IncidentDesk:
    def __init__(self, session: Session, service: IncidentService) -> None:
        self.session = session
        self.service = service

    def list(self, *, process_key: str | None = None, limit: int = 200) -> list[IncidentView]:
        incidents = self.service.failed(process_key=process_key, limit=limit)
        ids = [i.instance.id for i in incidents]
        requests = {
            r.instance_id: r
            for r in (
                self.session.scalars(select(RequestIndex).where(RequestIndex.instance_id.in_(ids)))
                if ids
                else []
            )
        }
        names = self._process_names({i.instance.process_key for i in incidents})
        views = []
        for incident in incidents:
            found = requests.get(incident.instance.id)
            views.append(
                IncidentView(
                    incident,
                    number=found.number if found is not None else None,
                    title=found.title if found is not None else None,
                    process_name=names.get(incident.instance.process_key, incident.instance.process_key),
                )
            )
        return views

    def _process_names(self, keys: set[str]) -> dict[str, str]:
        """Each process's name as its latest version gives it."""
        if not keys:
            return {}
        rows = self.session.execute(
            select(ProcessDefinition.key, ProcessDefinition.name)
            .where(ProcessDefinition.key.in_(sorted(keys)))
            .order_by(ProcessDefinition.version)
        )
        return {key: name for key, name in rows}
