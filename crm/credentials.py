"""Who is signed in, and with what: browser sessions and API tokens. Both are random values of which only
the SHA-256 is stored, both expire, and both are rows that can be deleted — signing out, revoking a token,
a password reset or a deactivation takes effect on the next request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.models import ApiToken, User, UserSession
from engine.errors import InvalidData, NotFound
from lintel.clock import Clock

TOKEN_LIFETIME = timedelta(days=90)
SESSION_LIFETIME = timedelta(hours=12)  # one working day
MAX_TOKEN_NAME = 100
# A token's last use is written at most this often: an API client polling every second should not turn
# every read into a write.
LAST_USED_STEP = timedelta(minutes=1)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    value: str  # shown once; only its digest is stored
    record: ApiToken

    @property
    def expires_at(self) -> datetime:
        return self.record.expires_at


def revoke_all(session: Session, user: User) -> None:
    """Sign the user out everywhere and revoke every API token (a password reset, a deactivation)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.flush()


class Credentials:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        *,
        token_lifetime: timedelta = TOKEN_LIFETIME,
        session_lifetime: timedelta = SESSION_LIFETIME,
    ) -> None:
        self.session = session
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.session_lifetime = session_lifetime

    # -- browser sessions -------------------------------------------------------------------------------

    def open_session(self, user: User) -> str:
        """A new signed-in session; the returned key goes into the (signed) cookie."""
        now = self.clock.now()
        self.session.execute(
            delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
        )
        key = secrets.token_urlsafe(32)
        self.session.add(
            UserSession(
                user_id=user.id, key_hash=digest(key), created_at=now, expires_at=now + self.session_lifetime
            )
        )
        self.session.flush()
        return key

    def user_for_session(self, key: object) -> User | None:
        if not isinstance(key, str) or not key:
            return None
        found = self.session.scalars(select(UserSession).where(UserSession.key_hash == digest(key))).first()
        if found is None or found.expires_at <= self.clock.now() or not found.user.active:
            return None
        return found.user

    def close_session(self, key: object) -> None:
        if isinstance(key, str) and key:
            self.session.execute(delete(UserSession).where(UserSession.key_hash == digest(key)))
            self.session.flush()

    # -- API tokens -------------------------------------------------------------------------------------

    def issue_token(self, user: User, name: object = "") -> IssuedToken:
        label = name.strip() if isinstance(name, str) else ""
        if len(label) > MAX_TOKEN_NAME:
            message = f"must be at most {MAX_TOKEN_NAME} characters"
            raise InvalidData("the token name is too long", {"name": message})
        value = "lt_" + secrets.token_urlsafe(32)
        now = self.clock.now()
        record = ApiToken(
            user_id=user.id,
            token_hash=digest(value),
            name=label,
            created_at=now,
            expires_at=now + self.token_lifetime,
        )
        self.session.add(record)
        self.session.flush()
        return IssuedToken(value, record)

    def user_for_token(self, value: str) -> User | None:
        """The token's user when the token is known, unexpired and its user active; notes its use (at most
        once a minute, unflushed, so that most requests have nothing to write)."""
        found = self.session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(value))).first()
        now = self.clock.now()
        if found is None or found.expires_at <= now or not found.user.active:
            return None
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_STEP:
            found.last_used_at = now  # left for the caller's commit (`session.dirty` tells it)
        return found.user

    def tokens_of(self, user: User) -> list[ApiToken]:
        """The user's tokens, newest first, the expired ones included until revoked."""
        return list(
            self.session.scalars(
                select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
            )
        )

    def revoke_token(self, user: User, token_id: int) -> ApiToken:
        found = self.session.get(ApiToken, token_id)
        if found is None or found.user_id != user.id:
            raise NotFound(f"token {token_id} does not exist")
        self.session.delete(found)
        self.session.flush()
        return found
