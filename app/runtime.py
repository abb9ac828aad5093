"""The long-lived objects one app instance shares, built once in ``create_app``."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.integrations.content_check import ContentCheck
from app.integrations.wechat import WeChatClient
from app.integrations.wechat.token_store import TokenStore
from app.kit.clock import Clock
from app.kit.crypto import FieldCipher
from app.kit.ratelimit import RateLimiter
from app.kit.storage import S3Storage, Storage
from app.kit.time import DISPLAY_ZONE
from app.observability import Metrics


@dataclass
class Runtime:
    """Owns every client and pool it holds: ``aclose`` closes them all."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # The same pool with a reader's options (db.read_engine), and sessions on it.
    read_engine: AsyncEngine
    read_sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    wechat: WeChatClient
    # Moderation of what users write (issue 12): WeChat or the word list, by settings.
    content_check: ContentCheck
    token_store: TokenStore
    # Bots, SMS and webhooks: their own client, so their timeouts are not WeChat's.
    notify_http: httpx.AsyncClient
    limiter: RateLimiter
    cipher: FieldCipher
    metrics: Metrics
    storage: Storage

    def today(self) -> date:
        """Today's date where our users live (Beijing time)."""
        return self.clock.now().astimezone(DISPLAY_ZONE).date()

    async def aclose(self) -> None:
        """Closes the HTTP clients, the token store and the engine, each one even if another
        fails to close; the engine last, as the database token store's sessions use it."""
        async with AsyncExitStack() as closing:
            closing.push_async_callback(self.engine.dispose)
            closing.push_async_callback(self.token_store.aclose)
            closing.push_async_callback(self.wechat.aclose)
            closing.push_async_callback(self.notify_http.aclose)
            if isinstance(self.storage, S3Storage):
                closing.push_async_callback(self.storage.aclose)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
