"""The one interface every channel implements: send a rendered message to one recipient and
say what happened (and, where the upstream allows, to many recipients in one request). The
worker turns the answer into delivered, a retry later, or a dead letter; a channel never
raises for an upstream's answer, only for its own bugs."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from app.models import Channel, NotificationKind


@dataclass(frozen=True)
class Message:
    notification_id: int
    kind: NotificationKind
    title: str
    body: str
    page: str | None  # the mini-program page it opens
    data: dict[str, Any]
    created_at: datetime
    org_id: int | None = None


@dataclass(frozen=True)
class Recipient:
    """Who a delivery goes to; a group channel (bot, webhook) gets an empty recipient."""

    member_id: int | None = None
    name: str | None = None
    openid: str | None = None
    phone: str | None = None
    email: str | None = None


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # try again later: timeouts, 5xx, rate limits, busy upstreams
    PERMANENT = "permanent"  # will never succeed as it stands: bad address, rejected content
    NOT_SUBSCRIBED = "not_subscribed"  # nothing to send on: no credit, no address, opted out


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""  # upstream code and message, for the dead-letter list; no secrets
    retry_after: float | None = None  # seconds, when the upstream says
    extra: dict[str, Any] = field(default_factory=dict)


class Adapter(Protocol):
    channel: Channel

    async def send(self, message: Message, recipient: Recipient) -> SendResult: ...


@runtime_checkable
class BatchAdapter(Adapter, Protocol):
    """A channel whose upstream takes one message for many recipients in one request (a
    push to a whole branch is one text for everyone). The worker hands it up to
    ``max_batch`` recipients of one notification at a time; the answer has one result per
    recipient, in order."""

    max_batch: int

    async def send_many(
        self, message: Message, recipients: Sequence[Recipient]
    ) -> list[SendResult]: ...


def delivered(detail: str = "") -> SendResult:
    return SendResult(Outcome.DELIVERED, detail)


def retry(detail: str, retry_after: float | None = None) -> SendResult:
    return SendResult(Outcome.RETRY, detail, retry_after)


def permanent(detail: str) -> SendResult:
    return SendResult(Outcome.PERMANENT, detail)


def not_subscribed(detail: str) -> SendResult:
    return SendResult(Outcome.NOT_SUBSCRIBED, detail)
