"""A generic outgoing webhook: the notification as JSON, signed so the receiver can trust it.

The receiver checks ``X-Signature: sha256=<hex>``, the HMAC-SHA256 under the shared secret of
``"{X-Timestamp}.{raw body}"``, and refuses old timestamps to stop replays. The client's
transport (app/kit/outbound.py) refuses targets that are not public addresses."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from app.kit.clock import Clock
from app.models import Channel
from app.notify.channels.base import Message, Recipient, SendResult, delivered
from app.notify.channels.http import request, status_failure


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(message: Message) -> bytes:
    body = {
        "id": message.notification_id,
        "kind": message.kind.value,
        "title": message.title,
        "body": message.body,
        "page": message.page,
        "data": message.data,
        "org_id": message.org_id,
        "created_at": message.created_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class WebhookAdapter:
    channel = Channel.WEBHOOK

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        url: str,
        secret: str,
        clock: Clock,
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._url = url
        self._secret = secret
        self._clock = clock
        self._timeout = timeout

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        del recipient  # a group channel's is always empty
        body = payload(message)
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Timestamp": timestamp,
            "X-Signature": signature(self._secret, timestamp, body),
            "X-Notification-Id": str(message.notification_id),  # the receiver's dedupe key
        }
        response = await request(
            self._http,
            "webhook",
            "POST",
            self._url,
            content=body,
            headers=headers,
            timeout=self._timeout,
            follow_redirects=False,  # a redirect could point inside; it is a failure
        )
        if isinstance(response, SendResult):
            return response
        return status_failure("webhook", response) or delivered(f"HTTP {response.status_code}")
