"""Photos and files attached to a request, stored on disk under the instance folder.

Checked before anything is kept: the size (read in chunks, never trusting a declared length), the total a
request may hold, and the type (the extension must be allowed, and the first bytes must look like that kind
of file, so a renamed executable is not served back as a photo). A .docx or .xlsx is a zip archive: it is
opened and unpacked into nothing, within a budget, so a zip bomb (a few KB that unpack to gigabytes in
whoever opens it next) is refused too.
"""

from __future__ import annotations

import os
import re
import secrets
import zipfile
import zlib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.models import Attachment
from engine.errors import NotFound
from forms import Form
from lintel.clock import Clock

CHUNK = 64 * 1024
_ZIP = (b"PK\x03\x04",)
# extension -> (content type, accepted leading bytes)
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PACKAGES = frozenset({".docx", ".xlsx"})  # Office Open XML: zip archives of XML parts
MAX_PACKAGE_PARTS = 10_000
DEFAULT_REQUEST_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_UNPACKED_MAX_BYTES = 100 * 1024 * 1024
# What zipfile raises for an archive that is corrupt, truncated, encrypted or uses an unknown compression.
_BROKEN_ARCHIVE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
)


class UploadRefused(Exception):
    """An upload that is too big, empty or of a type that is not accepted; the message says which."""


def megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 1 else f"{size // 1024} KB"


def _display_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "file"
    return name[-255:]


def content_matches(extension: str, head: bytes) -> bool:
    """Whether a file's first bytes look like the kind of file its extension says."""
    _, signatures = FILE_TYPES[extension]
    if not any(head.startswith(signature) for signature in signatures):
        return False
    return extension != ".webp" or head[8:12] == b"WEBP"


def check_package(path: Path | BinaryIO, name: str, extension: str, unpacked_max: int) -> None:
    """Refuse an Office file that is not a sound zip archive, or that unpacks to more than `unpacked_max`.

    The sizes the archive declares are added up first; then every part is really unpacked (and thrown
    away) within that budget, since zipfile stops at the declared size and a lying header then fails its
    checksum."""
    not_ours = f"{name}: the content is not a {extension} file"
    too_big = f"{name}: unpacked it would be larger than {megabytes(unpacked_max)}"
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PACKAGE_PARTS:
                raise UploadRefused(f"{name}: the file holds more than {MAX_PACKAGE_PARTS} parts")
            if sum(part.file_size for part in parts) > unpacked_max:
                raise UploadRefused(too_big)
            if "[Content_Types].xml" not in {part.filename for part in parts}:
                raise UploadRefused(not_ours)
            budget = unpacked_max
            for part in parts:
                with archive.open(part) as content:
                    while chunk := content.read(CHUNK):
                        budget -= len(chunk)
                        if budget < 0:
                            raise UploadRefused(too_big)
    except _BROKEN_ARCHIVE:
        raise UploadRefused(not_ours) from None


class Attachments:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        folder: Path,
        max_bytes: int,
        *,
        request_max_bytes: int = DEFAULT_REQUEST_MAX_BYTES,
        unpacked_max_bytes: int = DEFAULT_UNPACKED_MAX_BYTES,
    ) -> None:
        self.session = session
        self.clock = clock
        self.folder = folder
        self.max_bytes = max_bytes
        self.request_max_bytes = request_max_bytes
        self.unpacked_max_bytes = unpacked_max_bytes
        self.written: list[Path] = []

    def total(self, instance_id: int) -> int:
        """Bytes already attached to the request."""
        used = self.session.scalar(
            select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.instance_id == instance_id)
        )
        return int(used or 0)

    def allowed(self, accept: Collection[str] = ()) -> list[str]:
        return [ext for ext in FILE_TYPES if not accept or ext in accept]

    def store(
        self,
        instance_id: int,
        uploaded_by: str,
        filename: str,
        stream: BinaryIO,
        *,
        task_id: int | None = None,
        field: str | None = None,
        accept: Sequence[str] = (),
        token: str | None = None,
    ) -> Attachment:
        """Check and keep one file; `token` (32 letters or digits) when the caller derives the public id
        itself, e.g. from a device's own id of the photo so that sending it again finds it."""
        name = _display_name(filename)
        extension = os.path.splitext(name)[1].lower()
        allowed = self.allowed(accept)
        if extension not in allowed:
            raise UploadRefused(f"{name}: only {', '.join(allowed)} files are accepted")
        room = self.request_max_bytes - self.total(instance_id)
        over_total = (
            f"{name}: the request's attachments would exceed {megabytes(self.request_max_bytes)} in all"
        )
        folder = self.folder / str(instance_id)
        folder.mkdir(parents=True, exist_ok=True)
        if token is None or not (len(token) == 32 and token.isalnum()):
            token = secrets.token_hex(16)
        partial = folder / f".{token}.part"
        size = 0
        head = b""
        try:
            with partial.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    if len(head) < 16:
                        head += chunk[: 16 - len(head)]
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadRefused(f"{name}: the file is larger than {megabytes(self.max_bytes)}")
                    if size > room:
                        raise UploadRefused(over_total)
                    out.write(chunk)
            if size == 0:
                raise UploadRefused(f"{name}: the file is empty")
            if not content_matches(extension, head):
                raise UploadRefused(f"{name}: the content is not a {extension} file")
            if extension in PACKAGES:
                check_package(partial, name, extension, self.unpacked_max_bytes)
            stored = folder / f"{token}{extension}"
            partial.replace(stored)
        finally:
            partial.unlink(missing_ok=True)
        self.written.append(stored)
        attachment = Attachment(
            token=token,
            instance_id=instance_id,
            task_id=task_id,
            field=field,
            filename=name,
            stored_name=stored.name,
            content_type=FILE_TYPES[extension][0],
            size=size,
            uploaded_by=uploaded_by,
            uploaded_at=self.clock.now(),
        )
        self.session.add(attachment)
        self.session.flush()
        return attachment

    def discard_written(self) -> None:
        """Remove the files this unit of work wrote: its transaction was rolled back."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()

    def get(self, token: str) -> Attachment:
        found = self.session.scalars(select(Attachment).where(Attachment.token == token)).first()
        if found is None:
            raise NotFound("the attachment does not exist")
        return found

    def of(self, instance_id: int) -> list[Attachment]:
        return list(
            self.session.scalars(
                select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)
            )
        )

    def by_tokens(self, instance_id: int, tokens: Collection[str]) -> dict[str, Attachment]:
        if not tokens:
            return {}
        found = self.session.scalars(
            select(Attachment).where(
                Attachment.instance_id == instance_id, Attachment.token.in_(list(tokens))
            )
        )
        return {a.token: a for a in found}

    def foreign_references(self, instance_id: int, form: Form, data: Mapping[str, Any]) -> dict[str, str]:
        """Per file field of `form`, a message when `data` names a file that is not an attachment of this
        request (another request's, or none at all): a form's file values are attachment ids."""
        problems: dict[str, str] = {}
        for field in form.fields:
            if field.type != "file":
                continue
            value = data.get(field.name)
            items = value if isinstance(value, list) else [] if value in (None, "") else [value]
            named = [item.strip() for item in items if isinstance(item, str)]  # the rest: the form's check
            known = self.by_tokens(instance_id, named)
            unknown = [token for token in named if token not in known]
            if unknown:
                shown = unknown[0] if len(unknown[0]) <= 40 else unknown[0][:37] + "..."
                problems[field.name] = f"'{shown}' is not an attachment of this request"
        return problems

    def path(self, attachment: Attachment) -> Path:
        return self.folder / str(attachment.instance_id) / attachment.stored_name

    @staticmethod
    def is_image(attachment: Attachment) -> bool:
        return attachment.content_type in IMAGE_TYPES
