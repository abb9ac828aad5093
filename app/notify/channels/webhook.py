"""A generic outgoing webhook: the notification as JSON, signed so the receiver can trust it.

The receiver checks ``X-Signature: sha256=<hex>``, the HMAC-SHA256 under the shared secret of
``"{X-Timestamp}.{raw body}"``, and refuses old timestamps to stop replays. The target is
resolved before each send and refused when any address is not public (SSRF, OWASP API7):
the request then goes to the checked address itself, so a second lookup cannot swap in an
internal one (DNS rebinding)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
from typing import Any

import httpx

from app.kit.clock import Clock
from app.models import Channel
from app.notify.channels.base import (
    Message,
    Recipient,
    SendResult,
    delivered,
    permanent,
    retry,
)
from app.notify.channels.http import request, status_failure

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback in disguise
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


async def resolve(host: str, port: int) -> list[IPAddress]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # The scope of a link-local IPv6 address (fe80::1%eth0) is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


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
        allow_private: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._url = httpx.URL(url)
        self._secret = secret
        self._clock = clock
        self._allow_private = allow_private
        self._timeout = timeout

    async def _target(self) -> httpx.URL | SendResult:
        url = self._url
        if url.scheme not in ("http", "https") or not url.host:
            return permanent("webhook: the URL must be http(s) with a host")
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await resolve(url.host, port)
        except (socket.gaierror, UnicodeError, ValueError) as exc:
            return retry(f"webhook: cannot resolve {url.host}: {exc}"[:300])
        if not addresses:
            return retry(f"webhook: {url.host} has no address")
        refused = [str(a) for a in addresses if not is_public(a)]
        if refused and not self._allow_private:
            return permanent(f"webhook: {url.host} resolves to non-public {', '.join(refused)}")
        return url.copy_with(host=str(addresses[0]))

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        del recipient  # a group channel's is always empty
        target = await self._target()
        if isinstance(target, SendResult):
            return target
        body = payload(message)
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Host": self._url.netloc.decode("ascii"),
            "Content-Type": "application/json; charset=utf-8",
            "X-Timestamp": timestamp,
            "X-Signature": signature(self._secret, timestamp, body),
            "X-Notification-Id": str(message.notification_id),  # the receiver's dedupe key
        }
        extensions: dict[str, Any] = {"sni_hostname": self._url.host}
        response = await request(
            self._http,
            "webhook",
            "POST",
            str(target),
            content=body,
            headers=headers,
            timeout=self._timeout,
            extensions=extensions,
            follow_redirects=False,  # a redirect could point inside; it is a failure
        )
        if isinstance(response, SendResult):
            return response
        return status_failure("webhook", response) or delivered(f"HTTP {response.status_code}")
