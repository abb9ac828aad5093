"""What the notification worker runs with, handed to notify at start-up: the channels this
process sends on and the scheduled jobs of the features. Notify imports no feature; each
feature registers its jobs from its own ``notifications`` module, and ``app.main`` calls
those (the server and ``python -m app worker`` both build the app, so both get the same)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import MappingProxyType

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Channel
from app.notify.channels.base import Adapter

# A round of scheduled work: it claims its own due rows by id (SKIP LOCKED on PostgreSQL)
# inside the session's transaction, the worker hands it no object, and it answers how many
# it handled. Writing the outbox there makes the notification commit with the work done.
ScheduledJob = Callable[[AsyncSession, Settings, datetime], Awaitable[int]]


class NotifyRegistry:
    def __init__(self, channels: Mapping[Channel, Adapter]) -> None:
        self.channels: Mapping[Channel, Adapter] = MappingProxyType(dict(channels))
        self._jobs: dict[str, ScheduledJob] = {}

    def register_job(self, name: str, job: ScheduledJob) -> None:
        """Run ``job`` every round, before dispatch, in its own transaction; jobs run in
        the order they were registered."""
        if name in self._jobs:
            raise ValueError(f"notify job {name!r} is registered twice")
        self._jobs[name] = job

    @property
    def jobs(self) -> Mapping[str, ScheduledJob]:
        return MappingProxyType(self._jobs)

    def with_channels(self, overrides: Mapping[Channel, Adapter]) -> NotifyRegistry:
        """The same jobs, some channels replaced (a test's scripted console, say)."""
        copy = NotifyRegistry({**self.channels, **overrides})
        for name, job in self._jobs.items():
            copy.register_job(name, job)
        return copy


def registry_of(app: FastAPI) -> NotifyRegistry:
    """The registry ``create_app`` filled."""
    registry: NotifyRegistry = app.state.notify
    return registry
