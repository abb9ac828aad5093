"""The generic webhook: a signed JSON POST, status classification, and refusal of targets
that are not public addresses (OWASP API7, SSRF) unless development allows them."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from app.config import Environment, Settings
from app.kit.clock import FrozenClock
from app.notify.channels.base import Message, Outcome, Recipient
from app.notify.channels.webhook import WebhookAdapter
from tests.notify.channels.conftest import (
    SENT_AT,
    FakeResolver,
    Handler,
    Upstream,
    answer,
    raising,
)

SECRET = "hook-secret"
PUBLIC_IP = "93.184.216.34"


async def send(
    url: str,
    message: Message,
    handler: Handler | None = None,
    *,
    allow_private: bool = False,
    dns: FakeResolver | None = None,
) -> Upstream:
    upstream = Upstream(handler or (lambda _: httpx.Response(204)))
    async with upstream.client(guarded=True, allow_private=allow_private, resolver=dns) as http:
        adapter = WebhookAdapter(http, url=url, secret=SECRET, clock=FrozenClock(SENT_AT))
        upstream.result = await adapter.send(message, Recipient())  # type: ignore[attr-defined]
    return upstream


@pytest.fixture
def dns() -> FakeResolver:
    return FakeResolver()


async def test_delivers_signed_json(message: Message) -> None:
    upstream = await send(f"http://{PUBLIC_IP}/hooks/party", message)

    assert upstream.result.outcome is Outcome.DELIVERED  # type: ignore[attr-defined]
    request = upstream.requests[0]
    timestamp = request.headers["x-timestamp"]
    assert timestamp == str(int(SENT_AT.timestamp()))
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256
    ).hexdigest()
    assert request.headers["x-signature"] == f"sha256={expected}"
    body = json.loads(request.content)
    assert body["id"] == message.notification_id
    assert body["kind"] == "activity_changed"
    assert body["title"] == message.title
    assert request.headers["x-notification-id"] == "7"


async def test_request_goes_to_the_checked_address(message: Message, dns: FakeResolver) -> None:
    dns.names["hooks.example.com"] = [PUBLIC_IP]
    upstream = await send("https://hooks.example.com:8443/in?team=1", message, dns=dns)

    request = upstream.requests[0]
    assert upstream.result.outcome is Outcome.DELIVERED  # type: ignore[attr-defined]
    assert request.url.host == PUBLIC_IP
    assert request.url.port == 8443
    assert request.url.query == b"team=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://127.1/hook",
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://example.com@127.0.0.1/hook",
    ],
)
async def test_refuses_non_public_targets(url: str, message: Message) -> None:
    upstream = await send(url, message)
    assert upstream.result.outcome is Outcome.PERMANENT  # type: ignore[attr-defined]
    assert upstream.requests == []


async def test_refuses_a_name_with_any_private_address(message: Message, dns: FakeResolver) -> None:
    dns.names["mixed.example.com"] = [PUBLIC_IP, "10.0.0.5"]
    upstream = await send("http://mixed.example.com/hook", message, dns=dns)
    assert upstream.result.outcome is Outcome.PERMANENT  # type: ignore[attr-defined]
    assert "10.0.0.5" in upstream.result.detail  # type: ignore[attr-defined]
    assert upstream.requests == []


async def test_refuses_other_schemes(message: Message) -> None:
    upstream = await send("file:///etc/passwd", message)
    assert upstream.result.outcome is Outcome.PERMANENT  # type: ignore[attr-defined]


async def test_development_switch_allows_private_targets(message: Message) -> None:
    upstream = await send("http://127.0.0.1:9000/hook", message, allow_private=True)
    assert upstream.result.outcome is Outcome.DELIVERED  # type: ignore[attr-defined]
    assert upstream.requests[0].url.host == "127.0.0.1"


def test_switch_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="APP_OUTBOUND_ALLOW_PRIVATE"):
        Settings(
            env=Environment.PRODUCTION,
            outbound_allow_private=True,
            _env_file=None,  # type: ignore[call-arg]
        )


@pytest.mark.parametrize(
    ("handler", "outcome"),
    [
        (answer(200, ok=True), Outcome.DELIVERED),
        (answer(500), Outcome.RETRY),
        (answer(503), Outcome.RETRY),
        (answer(429), Outcome.RETRY),
        (answer(404), Outcome.PERMANENT),
        (answer(401), Outcome.PERMANENT),
        (
            lambda _: httpx.Response(302, headers={"location": "http://10.0.0.1/"}),
            Outcome.PERMANENT,
        ),
        (raising(httpx.ReadTimeout), Outcome.RETRY),
        (raising(httpx.ConnectError), Outcome.RETRY),
    ],
)
async def test_statuses_are_classified(
    handler: Handler, outcome: Outcome, message: Message
) -> None:
    upstream = await send(f"http://{PUBLIC_IP}/hook", message, handler)
    assert upstream.result.outcome is outcome  # type: ignore[attr-defined]
    assert len(upstream.requests) == 1


async def test_retry_after_is_passed_on(message: Message) -> None:
    handler = lambda _: httpx.Response(429, headers={"retry-after": "30"})  # noqa: E731
    upstream = await send(f"http://{PUBLIC_IP}/hook", message, handler)
    assert upstream.result.retry_after == 30.0  # type: ignore[attr-defined]
