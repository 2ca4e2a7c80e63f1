"""Photos of a defect, kept as attachments of its rectification request (field "photos").

A device that captured a defect offline sends its photos when it is back online, perhaps twice (the answer
was lost on the way): each photo then carries the device's own id for it, and the stored photo's public id is
derived from that id and the request, so the second send finds the first and nothing is kept twice."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import BinaryIO

from crm.attachments import Attachments
from crm.handover.models import Defect
from crm.models import Attachment
from engine.actors import Actor
from engine.errors import InvalidData

FIELD = "photos"
PHOTO_TYPES = (".jpg", ".jpeg", ".png", ".webp")
MAX_PHOTOS = 20  # in one send
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def photo_token(instance_id: int, client_photo_id: str) -> str:
    """The public id of the photo a device calls `client_photo_id`, on this request."""
    return hashlib.sha256(f"defect-photo:{instance_id}:{client_photo_id}".encode()).hexdigest()[:32]


class DefectPhotos:
    def __init__(self, attachments: Attachments) -> None:
        self.attachments = attachments

    def add(
        self, actor: Actor, defect: Defect, files: Sequence[tuple[str, BinaryIO, str | None]]
    ) -> list[tuple[Attachment, bool]]:
        """Keep the photos (file name, content, the device's id or None); returns each with whether it is
        new. Raises InvalidData for a bad device id, UploadRefused for a file that is not a photo."""
        if not files:
            raise InvalidData("send at least one photo", {FIELD: "send at least one photo"})
        if len(files) > MAX_PHOTOS:
            raise InvalidData("too many photos", {FIELD: f"at most {MAX_PHOTOS} photos at a time"})
        bad = [cid for _n, _s, cid in files if cid is not None and not _CLIENT_ID.match(cid)]
        if bad:
            message = "a photo id is 1 to 64 letters, digits, - or _"
            raise InvalidData("the photos have errors", {"photo_id": message})
        assert defect.instance_id is not None
        kept: list[tuple[Attachment, bool]] = []
        for filename, stream, client_id in files:
            token = photo_token(defect.instance_id, client_id) if client_id else None
            if token is not None:
                known = self.attachments.by_tokens(defect.instance_id, [token]).get(token)
                if known is not None:
                    kept.append((known, False))
                    continue
            stored = self.attachments.store(
                defect.instance_id,
                actor.username,
                filename,
                stream,
                field=FIELD,
                accept=PHOTO_TYPES,
                token=token,
            )
            kept.append((stored, True))
        return kept

    def of(self, defect: Defect) -> list[Attachment]:
        if defect.instance_id is None:
            return []
        return [a for a in self.attachments.of(defect.instance_id) if a.field == FIELD]
