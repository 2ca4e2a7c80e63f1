"""Floor plans (户型图): one image per layout, stored under the instance folder and served to staff only.

An upload is checked as a request's photos are (crm.attachments): the size read in chunks, never trusting a
declared length, and the first bytes must match the extension — only PNG, JPEG and WebP are floor plans."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from crm.attachments import CHUNK, FILE_TYPES, UploadRefused, content_matches, megabytes

EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class StoredPlan:
    name: str  # the stored file's name (Layout.floor_plan)
    content_type: str


class FloorPlans:
    """The floor-plan images in `folder`; files written by a unit of work that is rolled back are removed
    with `discard_written`, files replaced by a committed one with `remove`."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.written: list[Path] = []

    def store(self, filename: str, stream: IO[bytes]) -> StoredPlan:
        name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
        extension = os.path.splitext(name)[1].lower()
        if extension not in EXTENSIONS:
            raise UploadRefused(f"{name}: only png, jpg, webp files are accepted")
        self.folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        partial = self.folder / f".{token}.part"
        size, head = 0, b""
        try:
            with partial.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    if len(head) < 16:
                        head += chunk[: 16 - len(head)]
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadRefused(f"{name}: the file is larger than {megabytes(self.max_bytes)}")
                    out.write(chunk)
            if size == 0:
                raise UploadRefused(f"{name}: the file is empty")
            if not content_matches(extension, head):
                raise UploadRefused(f"{name}: the content is not a {extension} file")
            stored = self.folder / f"{token}{extension}"
            partial.replace(stored)
        finally:
            partial.unlink(missing_ok=True)
        self.written.append(stored)
        return StoredPlan(stored.name, FILE_TYPES[extension][0])

    def path(self, stored_name: str) -> Path | None:
        """The stored file, or None when the name is not one this store writes or the file is gone."""
        if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
            return None
        found = self.folder / stored_name
        return found if found.is_file() else None

    def remove(self, stored_name: str | None) -> None:
        if stored_name:
            found = self.path(stored_name)
            if found is not None:
                found.unlink(missing_ok=True)

    def discard_written(self) -> None:
        """Remove the files this unit of work wrote: its transaction was rolled back."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()
