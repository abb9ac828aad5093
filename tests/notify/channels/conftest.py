from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

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


class Upstream:
    """A MockTransport that records each request and answers with ``handler``."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler or (lambda _: httpx.Response(200, json={"errcode": 0}))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._handle))


def answer(status: int = 200, **body: Any) -> Handler:
    return lambda _: httpx.Response(status, json=body)


def raising(exc: type[httpx.TransportError]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc("upstream did not answer", request=request)

    return handle


@pytest.fixture
def message() -> Message:
    return make_message()
