"""Where the DingTalk channel finds a robot's signing secret: the department whose robot it is."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.models import Department


def robot_secret_lookup(sessions: sessionmaker[Session]) -> Callable[[str], str | None]:
    """`url -> secret` for `notifications.config.build_channels`. Read at each send, in its own short
    session (the dispatcher holds none while sending), so a secret an administrator changes applies to the
    next message."""

    def robot_secret(url: str) -> str | None:
        with sessions() as session:
            found = session.scalars(
                select(Department.robot_secret).where(Department.robot_url == url).limit(1)
            ).first()
        return found or None

    return robot_secret
