"""Shared by the outbox and worker tests: a frozen clock, a worker over the app's own
channels, and short sessions that read committed rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import Channel, Delivery, InboxMessage, Notification
from app.notify.channels.base import Adapter
from app.notify.registry import registry_of
from app.notify.worker import Worker

T0 = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def worker(app: FastAPI, name: str = "w1", **channels: Adapter) -> Worker:
    runtime = app.state.runtime
    registry = registry_of(app).with_channels({Channel(c): a for c, a in channels.items()})
    return Worker(runtime.sessionmaker, registry, runtime.settings, runtime.clock, worker_id=name)


async def rows(app: FastAPI, model: Any) -> Sequence[Any]:
    async with app.state.runtime.sessionmaker() as session:
        return (await session.scalars(select(model).order_by(model.id))).all()


async def deliveries(app: FastAPI) -> Sequence[Delivery]:
    result: Sequence[Delivery] = await rows(app, Delivery)
    return result


async def notifications(app: FastAPI) -> Sequence[Notification]:
    result: Sequence[Notification] = await rows(app, Notification)
    return result


async def inbox(app: FastAPI) -> Sequence[InboxMessage]:
    result: Sequence[InboxMessage] = await rows(app, InboxMessage)
    return result


def frozen() -> FrozenClock:
    return FrozenClock(T0)
