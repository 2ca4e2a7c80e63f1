"""An owner's choice of channels for one kind of message (no row: the kind's defaults)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lintel.db import Base, BigId


class OwnerNoticePreference(Base):
    __tablename__ = "owner_notice_preferences"

    owner_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    # Comma-separated channels of crm.messaging.kinds.OWNER_CHANNELS; empty: the owner opted out.
    channels: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))  # owner (on the portal) or the staff username
