"""The notification worker: the scheduled jobs features registered (due activity events,
scheduled articles), then dispatch rounds, until told to stop. `python -m app worker` runs
one per process on PostgreSQL, as many as needed; on SQLite `serve` runs a single one
in-process. Both take the registry ``create_app`` filled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import Clock
from app.notify import dispatch
from app.notify.registry import NotifyRegistry

log = logging.getLogger("app.notify.worker")


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        registry: NotifyRegistry,
        settings: Settings,
        clock: Clock,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.adapters = registry.channels
        self.settings = settings
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.rng = random.Random()
        self.jobs = list(registry.jobs.values())
        self._stopping = asyncio.Event()

    async def run_scheduled(self) -> int:
        done = 0
        for job in self.jobs:
            async with self.sessionmaker.begin() as session:
                done += await job(session, self.settings, self.clock.now())
        return done

    async def tick(self) -> int:
        """Scheduled work, then dispatch until nothing is due; answers deliveries handled."""
        await self.run_scheduled()
        handled = 0
        while not self._stopping.is_set():
            count = await dispatch.run_once(
                self.sessionmaker,
                self.adapters,
                self.settings,
                self.worker_id,
                self.clock.now(),
                self.rng,
            )
            handled += count
            if count < self.settings.notify_batch_size:
                break
        return handled

    async def run(self) -> None:
        log.info("notification worker %s started", self.worker_id)
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:  # a database hiccup must not end the worker: try again soon
                log.exception("notification worker round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.notify_poll_seconds)
        log.info("notification worker %s stopped", self.worker_id)

    def stop(self) -> None:
        self._stopping.set()
