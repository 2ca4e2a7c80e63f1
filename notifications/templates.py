"""Message templates: Jinja2, one file per message kind and channel, Chinese by default.

A kind's templates live in `<folder>/<kind>/<channel>.j2`, falling back to `<kind>/default.j2`. Each file
defines `{% block subject %}` (one line) and `{% block body %}`; an SMS body should stay within one or two
SMS (70 characters each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class TemplateMissing(LookupError):
    pass


class Templates:
    def __init__(self, folders: Sequence[Path]) -> None:
        # Plain text: no HTML escaping; an HTML email part, if one is ever added, gets its own autoescape.
        self.env = Environment(
            loader=FileSystemLoader([str(f) for f in folders]),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._cache: dict[tuple[str, str], Template] = {}

    def template(self, kind: str, channel: str) -> Template:
        key = (kind, channel)
        found = self._cache.get(key)
        if found is None:
            try:
                found = self.env.select_template([f"{kind}/{channel}.j2", f"{kind}/default.j2"])
            except TemplateNotFound:
                raise TemplateMissing(f"no template for {kind} on {channel}") from None
            self._cache[key] = found
        return found

    def render(self, kind: str, channel: str, context: dict[str, Any]) -> Rendered:
        template = self.template(kind, channel)
        ctx = template.new_context(context)
        subject = "".join(template.blocks["subject"](ctx)).strip() if "subject" in template.blocks else ""
        body = "".join(template.blocks["body"](ctx)).strip() if "body" in template.blocks else ""
        return Rendered(" ".join(subject.split()), body)
