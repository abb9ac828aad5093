from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.kit.outbound import GuardedTransport, IPAddress, resolve
from app.models import NotificationKind
from app.notify.channels.base import Message

Handler = Callable[[httpx.Request], httpx.Response]
SENT_AT = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def make_message(**fields: Any) -> Message:
    values: dict[str, Any] = {
        "notification_id": 7,
        "kind": NotificationKind.ACTIVITY_CHANGED,
        "title": "支部主题党日活动时间调整",
        "body": "原定周六上午的主题党日改到周日下午两点，地点不变。",
        "page": "pages/activity/detail?id=3",
        "data": {"activity_id": 3, "starts_at": "2025-03-02T06:00:00+00:00", "place": "党群中心"},
        "created_at": SENT_AT,
    }
    values.update(fields)
    return Message(**values)


class FakeResolver:
    """Answers for the names in ``names`` without a network; anything else (an address
    in any spelling) goes to the system resolver, which reads numbers without a network."""

    def __init__(self, **names: list[str]) -> None:
        self.names = dict(names)

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        if host in self.names:
            return [ipaddress.ip_address(a) for a in self.names[host]]
        return await resolve(host, port)


class Upstream:
    """A MockTransport that records each request and answers with ``handler``; its client
    refuses non-public targets as the app's does (a ``guarded=False`` client does not)."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler or (lambda _: httpx.Response(200, json={"errcode": 0}))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def client(
        self,
        *,
        guarded: bool = False,
        allow_private: bool = False,
        resolver: FakeResolver | None = None,
    ) -> httpx.AsyncClient:
        mock = self.transport()
        if not guarded:
            return httpx.AsyncClient(transport=mock)
        transport = GuardedTransport(
            mock, allow_private=allow_private, resolver=resolver or FakeResolver()
        )
        return httpx.AsyncClient(transport=transport)


def answer(status: int = 200, **body: Any) -> Handler:
    return lambda _: httpx.Response(status, json=body)


def raising(exc: type[httpx.TransportError]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc("upstream did not answer", request=request)

    return handle


@pytest.fixture
def message() -> Message:
    return make_message()
