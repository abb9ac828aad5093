"""reliability.md: four dispatchers on PostgreSQL share 1,000 deliveries and the provider is
called exactly 1,000 times, once per delivery."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import Channel, Delivery, DeliveryStatus, Notification, NotificationKind
from app.notify.channels.base import Message, Recipient, SendResult, delivered
from tests.notify.helpers import T0, deliveries, frozen, worker

pytestmark = pytest.mark.postgres_only

MESSAGES = 1_000


@pytest.fixture
def clock() -> FrozenClock:
    return frozen()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.notify_batch_size = 50
    return settings


class CountingProvider:
    channel = Channel.CONSOLE

    def __init__(self) -> None:
        self.calls: Counter[int] = Counter()

    async def send(self, message: Message, _recipient: Recipient) -> SendResult:
        await asyncio.sleep(0)  # let the other dispatchers interleave
        self.calls[message.data["n"]] += 1
        return delivered()


async def test_four_dispatchers_send_each_of_a_thousand_messages_once(app: FastAPI) -> None:
    async with app.state.runtime.sessionmaker.begin() as session:
        notification_ids = (
            await session.scalars(
                insert(Notification).returning(Notification.id),
                [
                    {
                        "kind": NotificationKind.NEWS_PUBLISHED,
                        "source": f"load:{n}",
                        "title": "标题",
                        "body": "正文",
                        "data": {"n": n},
                        "critical": False,
                        "created_at": T0,
                    }
                    for n in range(MESSAGES)
                ],
            )
        ).all()
        await session.execute(
            insert(Delivery),
            [
                {
                    "notification_id": notification_id,
                    "channel": Channel.CONSOLE,
                    "dedupe_key": f"n{notification_id}:console",
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": T0,
                    "created_at": T0,
                }
                for notification_id in notification_ids
            ],
        )
    provider = CountingProvider()
    workers = [worker(app, f"w{n}", console=provider) for n in range(4)]
    handled = await asyncio.gather(*(w.tick() for w in workers))
    assert sum(handled) == MESSAGES
    assert len(provider.calls) == MESSAGES
    assert set(provider.calls.values()) == {1}
    assert all(count > 0 for count in handled), f"one dispatcher did all the work: {handled}"
    statuses = Counter(row.status for row in await deliveries(app))
    assert statuses == {DeliveryStatus.DELIVERED: MESSAGES}
