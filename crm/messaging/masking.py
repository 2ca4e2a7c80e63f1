"""A message's address as staff pages and the CLI show it."""

from __future__ import annotations

from crm.estate.people import mask_phone


def shown_address(channel: str, address: str) -> str:
    """A phone masked as everywhere else; a robot's webhook without its query (its key lets anyone post to
    the group)."""
    if channel == "sms":
        return mask_phone(address)
    if channel in ("wecom", "dingtalk") and "?" in address:
        return address.split("?", 1)[0] + "?…"
    return address
