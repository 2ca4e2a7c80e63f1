"""Inbox filters a person names and keeps, optionally shared with one of their departments."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm.models import SavedFilter
from crm.policy import may_delete_filter, may_open_filter
from crm.worklist import WorklistFilter
from engine.actors import Actor
from engine.errors import Forbidden, InvalidData, NotFound
from lintel.clock import Clock

MAX_NAME = 100
MAX_PER_PERSON = 50


class SavedFilters:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def visible_to(self, actor: Actor) -> list[SavedFilter]:
        """Mine, then those shared with my departments, by name."""
        shared = SavedFilter.department.in_(sorted(actor.departments)) if actor.departments else None
        condition = SavedFilter.username == actor.username
        if shared is not None:
            condition = or_(condition, shared)
        found = self.session.scalars(select(SavedFilter).where(condition).order_by(SavedFilter.name))
        return sorted(found, key=lambda f: (f.username != actor.username, f.name))

    def save(
        self, actor: Actor, name: object, worklist_filter: WorklistFilter, share_with: object
    ) -> SavedFilter:
        errors: dict[str, str] = {}
        title = name.strip() if isinstance(name, str) else ""
        if not title:
            errors["name"] = "required"
        elif len(title) > MAX_NAME:
            errors["name"] = f"must be at most {MAX_NAME} characters"
        department = share_with.strip() if isinstance(share_with, str) else ""
        if department and not actor.member_of(department):
            errors["share_with"] = "you can only share with a department you belong to"
        if not errors:
            count = self.session.scalar(
                select(func.count()).select_from(SavedFilter).where(SavedFilter.username == actor.username)
            )
            if (count or 0) >= MAX_PER_PERSON:
                errors["name"] = f"you already have {MAX_PER_PERSON} saved filters; delete one first"
        if errors:
            raise InvalidData("the filter cannot be saved", errors)
        saved = SavedFilter(
            name=title,
            username=actor.username,
            department=department or None,
            query=worklist_filter.as_query(),
            created_at=self.clock.now(),
        )
        self.session.add(saved)
        self.session.flush()
        return saved

    def get(self, actor: Actor, filter_id: int) -> SavedFilter:
        found = self.session.get(SavedFilter, filter_id)
        if found is None or not may_open_filter(actor, found):
            raise NotFound(f"saved filter {filter_id} does not exist")
        return found

    def delete(self, actor: Actor, filter_id: int) -> None:
        found = self.get(actor, filter_id)
        if not may_delete_filter(actor, found):
            raise Forbidden("only the person who saved a filter can delete it")
        self.session.delete(found)
        self.session.flush()
