"""Every message kind rendered on each channel it can go out on, with its sample context: what the
administrator's preview page shows so a process owner can check the wording before anyone receives it."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import TemplateError

from crm.messaging.kinds import KINDS, Kind
from crm.messaging.samples import SAMPLES, channels_of
from notifications.templates import TemplateMissing, Templates


@dataclass(frozen=True)
class Rendering:
    channel: str
    subject: str
    body: str
    problem: str | None = None  # the template could not be rendered (shown instead of the message)


@dataclass(frozen=True)
class KindPreview:
    kind: Kind
    renderings: list[Rendering]


def render_sample(templates: Templates, kind: str, channel: str) -> Rendering:
    context = dict(SAMPLES[kind])
    if channel == "inapp":
        # As the outbox renders a bell message: one item of a batch (crm.messaging.staff) at a time.
        context["items"] = [context.get("item")]
    try:
        rendered = templates.render(kind, channel, context)
    except (TemplateMissing, TemplateError) as exc:
        return Rendering(channel, "", "", str(exc))
    return Rendering(channel, rendered.subject, rendered.body)


def previews(templates: Templates) -> list[KindPreview]:
    return [
        KindPreview(kind, [render_sample(templates, code, channel) for channel in channels_of(code)])
        for code, kind in KINDS.items()
    ]
