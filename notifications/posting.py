"""One JSON POST over HTTP, for the SMS gateway and the group robots (standard library only).

Network trouble (refused, reset, timed out) is a DeliveryFailed to retry; an answer of any status is
handed back for the channel to judge, since each far end says "done" and "try later" its own way.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from notifications.channels import DeliveryFailed

# Statuses that mean "not now" rather than "never": request timeout, too early, rate limited.
RETRY_STATUSES = frozenset({408, 425, 429})
# Enough of an answer to read its code and message; nobody answers a notice with megabytes.
MAX_REPLY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    @property
    def retry_later(self) -> bool:
        return self.status in RETRY_STATUSES or self.status >= 500

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> dict[str, Any] | None:
        try:
            found = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def text(self, limit: int = 300) -> str:
        return " ".join(self.body.decode("utf-8", "replace").split())[:limit]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would arrive as a GET without its body (301/302/303): a 3xx is an answer to judge.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def post_json(url: str, payload: bytes, headers: dict[str, str], timeout: float, far_end: str) -> Reply:
    """POST `payload` (UTF-8 JSON) to `url`. `far_end` names it in the reason of a failure (Chinese: the
    reason is shown to the centre's administrators)."""
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Reply(response.status, response.read(MAX_REPLY_BYTES))
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.read(MAX_REPLY_BYTES))
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise DeliveryFailed(f"{far_end}在 {timeout:g} 秒内没有答复") from error
        raise DeliveryFailed(f"{far_end}无法连接：{error.reason}") from error
    except TimeoutError as error:
        raise DeliveryFailed(f"{far_end}在 {timeout:g} 秒内没有答复") from error
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryFailed(f"{far_end}连接中断：{error!r}") from error
