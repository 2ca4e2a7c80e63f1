"""SMS through an HTTP gateway, on a JSON contract close to Aliyun's and Tencent's SendSms.

The contract (README, *Notifications*): POST JSON with phone, sign_name, template_id, template_params,
content and idempotency_key; headers X-Api-Key, X-Timestamp, X-Nonce, X-Signature (hex HMAC-SHA256 with the
secret over "timestamp\\nnonce\\nbody") and Idempotency-Key. A gateway must deliver one SMS per idempotency
key: that is what keeps a message sent again after a crash from reaching the phone twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from lintel.clock import Clock, SystemClock
from notifications.channels import DeliveryFailed, Outgoing
from notifications.posting import is_web_url, post_json

DEFAULT_TIMEOUT = 15.0
DELIVERED = ("OK", "DUPLICATE")  # DUPLICATE: this idempotency key was delivered before
FAR_END = "短信网关"


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 keyed with the secret over timestamp, nonce and the body's exact bytes."""
    signed = f"{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def template_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The message's scalar parameters as strings, as SMS templates take them (lists, such as a batch's
    items, and mappings stay out: a template variable holds one short value)."""
    found: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, bool):
            found[name] = "是" if value else "否"
        elif isinstance(value, str | int | float):
            found[name] = str(value)
    return found


def parse_template_ids(text: str) -> dict[str, str]:
    """`complaint.registered=SMS_123456, complaint.closed=SMS_123457`. Raises ValueError with the reason."""
    found: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        kind, equals, template_id = (part.strip() for part in pair.partition("="))
        if not (kind and equals and template_id):
            raise ValueError(f"{pair!r} is not KIND=TEMPLATE_ID, e.g. complaint.registered=SMS_123456")
        found[kind] = template_id
    return found


class SmsGatewayChannel:
    def __init__(
        self,
        url: str,
        *,
        key: str,
        secret: str,
        sign_name: str,
        template_ids: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        if not is_web_url(url):
            raise ValueError(f"{url!r} is not an http(s) URL")
        self.url = url
        self.key = key
        self.secret = secret
        self.sign_name = sign_name
        # The gateway's template of a message kind; a kind not listed is its own template id.
        self.template_ids = dict(template_ids or {})
        self.timeout = timeout
        # Real time: the gateway compares the timestamp with its own clock to refuse replayed requests.
        self.clock = clock or SystemClock()
        self.nonce = nonce

    def request(self, message: Outgoing) -> tuple[bytes, dict[str, str]]:
        """The body and the headers of the request that sends `message`."""
        body = json.dumps(
            {
                "phone": message.address,
                "sign_name": self.sign_name,
                "template_id": self.template_ids.get(message.kind, message.kind),
                "template_params": template_params(message.params),
                "content": message.body,
                "idempotency_key": message.idempotency_key,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(self.clock.now().timestamp()))
        nonce = self.nonce()
        headers = {
            "X-Api-Key": self.key,
            "X-Timestamp": timestamp,
            "X-Nonce": nonce,
            "X-Signature": signature(self.secret, timestamp, nonce, body),
            "Idempotency-Key": message.idempotency_key,
        }
        return body, headers

    def send(self, message: Outgoing) -> None:
        body, headers = self.request(message)
        reply = post_json(self.url, body, headers, self.timeout, FAR_END)
        answer = reply.json() or {}
        said = str(answer.get("message") or answer.get("code") or reply.text())
        if reply.retry_later:
            raise DeliveryFailed(f"{FAR_END}暂时无法处理（HTTP {reply.status}）：{said}")
        if not reply.ok:
            raise DeliveryFailed(f"{FAR_END}拒绝（HTTP {reply.status}）：{said}", permanent=True)
        if "code" not in answer:
            # Not the gateway's own answer (a proxy's page?): sending again is safe, the key guards it.
            raise DeliveryFailed(f"{FAR_END}的答复无法识别：{reply.text()}")
        if answer["code"] not in DELIVERED:
            raise DeliveryFailed(f"{FAR_END}拒绝（{answer['code']}）：{said}", permanent=True)
