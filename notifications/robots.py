"""Group robots for staff: WeCom (企业微信群机器人) and DingTalk (钉钉群机器人) webhooks.

The message's address is the robot's webhook URL, so both are always available. Neither service knows an
idempotency key: a notice sent again after a crash may show twice in the group, which for staff is harmless
(an SMS to an owner is the one that must not).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from urllib.parse import quote_plus

from lintel.clock import Clock, SystemClock
from notifications.channels import DeliveryFailed, Outgoing
from notifications.posting import Reply, is_web_url, post_json

DEFAULT_TIMEOUT = 15.0
# WeCom takes at most 4096 bytes of markdown.
WECOM_MAX_BYTES = 4096
# errcodes that mean "too fast / busy, try later" (documented by each service); any other is final.
WECOM_RETRY = frozenset({-1, 45009, 45033})  # system busy, over the per-minute limit, too many at once
DINGTALK_RETRY = frozenset({-1, 130101, 130102, 410100})  # system busy, sent too fast / rate limited


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64 HMAC-SHA256 keyed with the secret over "timestamp\\nsecret", URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def _fit(text: str, limit: int) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - len("…".encode())].decode("utf-8", "ignore") + "…"


def _judge(reply: Reply, far_end: str, retry_codes: frozenset[int]) -> None:
    answer = reply.json() or {}
    said = str(answer.get("errmsg") or reply.text())
    if reply.retry_later:
        raise DeliveryFailed(f"{far_end}暂时无法处理（HTTP {reply.status}）：{said}")
    if not reply.ok:
        raise DeliveryFailed(f"{far_end}拒绝（HTTP {reply.status}）：{said}", permanent=True)
    code = answer.get("errcode")
    if not isinstance(code, int):
        raise DeliveryFailed(f"{far_end}的答复无法识别：{reply.text()}")
    if code in retry_codes:
        raise DeliveryFailed(f"{far_end}暂时无法处理（{code}）：{said}")
    if code != 0:
        raise DeliveryFailed(f"{far_end}拒绝（{code}）：{said}", permanent=True)


def _webhook(message: Outgoing, far_end: str) -> str:
    if not is_web_url(message.address):
        raise DeliveryFailed(f"{far_end}地址 {message.address!r} 不是网址", permanent=True)
    return message.address


class WeComRobotChannel:
    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def payload(self, message: Outgoing) -> dict[str, object]:
        text = f"**{message.subject}**\n{message.body}" if message.subject else message.body
        return {"msgtype": "markdown", "markdown": {"content": _fit(text, WECOM_MAX_BYTES)}}

    def send(self, message: Outgoing) -> None:
        far_end = "企业微信机器人"
        url = _webhook(message, far_end)
        body = json.dumps(self.payload(message), ensure_ascii=False).encode()
        _judge(post_json(url, body, {}, self.timeout, far_end), far_end, WECOM_RETRY)


class DingTalkRobotChannel:
    def __init__(
        self,
        robot_secret: Callable[[str], str | None] = lambda url: None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
    ) -> None:
        # The robot's signing secret by webhook URL (the department's robot_secret), None when unsigned.
        self.robot_secret = robot_secret
        self.timeout = timeout
        # Real time: DingTalk refuses a signature more than an hour away from its own clock.
        self.clock = clock or SystemClock()

    def payload(self, message: Outgoing) -> dict[str, object]:
        title = message.subject or message.body.split("\n", 1)[0]
        # DingTalk's markdown joins single line breaks: each line of the body becomes its own paragraph.
        lines = [line for line in message.body.splitlines() if line.strip()]
        text = "\n\n".join([f"#### {message.subject}"] * bool(message.subject) + lines)
        return {"msgtype": "markdown", "markdown": {"title": title[:100], "text": text}}

    def url(self, webhook: str) -> str:
        secret = self.robot_secret(webhook)
        if not secret:
            return webhook
        timestamp = int(self.clock.now().timestamp() * 1000)
        joiner = "&" if "?" in webhook else "?"
        return f"{webhook}{joiner}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"

    def send(self, message: Outgoing) -> None:
        far_end = "钉钉机器人"
        url = self.url(_webhook(message, far_end))
        body = json.dumps(self.payload(message), ensure_ascii=False).encode()
        _judge(post_json(url, body, {}, self.timeout, far_end), far_end, DINGTALK_RETRY)
