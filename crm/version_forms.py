"""The forms of each deployed version, read once: a running instance keeps the forms of the version it
started with, and a new form arrives with the diagram that uses it, not with a release."""

from __future__ import annotations

import threading
from collections import OrderedDict

from engine.definitions import stored_files
from engine.models import ProcessDefinition
from forms import FormRegistry, FormSet, version_forms


class VersionForms:
    """Each version's FormSet (its own forms in front of Lintel's bundled ones). Versions never change, so
    entries never go stale."""

    def __init__(self, bundled: FormRegistry, maxsize: int = 128) -> None:
        self.bundled = bundled
        self._entries: OrderedDict[int, FormSet] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def of(self, definition: ProcessDefinition | None) -> FormSet:
        if definition is None:
            return FormSet({}, self.bundled)
        with self._lock:
            found = self._entries.get(definition.id)
            if found is not None:
                self._entries.move_to_end(definition.id)
                return found
        files = [
            (f.filename, f.content.encode("utf-8"))
            for f in stored_files(definition, with_content=True)
            if f.kind == "form"
        ]
        built = version_forms(files, (definition.meta or {}).get("forms", {}), self.bundled)
        with self._lock:
            self._entries[definition.id] = built
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return built
