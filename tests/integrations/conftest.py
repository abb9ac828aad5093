from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.kit.clock import Clock
from app.main import create_app
from tests.fixtures.wechat import FakeWeChat

SpawnApp = Callable[[Settings], Awaitable[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
async def spawn_app(app: FastAPI, wechat: FakeWeChat, clock: Clock) -> AsyncIterator[SpawnApp]:
    """Another app instance on the same database and fake WeChat, as a second server process
    would be. Depends on ``app`` so that the tables are emptied first."""
    async with AsyncExitStack() as stack:

        async def spawn(settings: Settings) -> tuple[FastAPI, httpx.AsyncClient]:
            instance = create_app(
                settings, wechat_transport=wechat.transport(), clock=clock, configure_logs=False
            )
            stack.push_async_callback(instance.state.runtime.engine.dispose)
            stack.push_async_callback(instance.state.runtime.wechat.aclose)
            # The Redis token store holds a connection pool of its own.
            close_tokens = getattr(
                getattr(instance.state.runtime.wechat, "_tokens", None), "aclose", None
            )
            if close_tokens is not None:
                stack.push_async_callback(close_tokens)
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=instance), base_url="http://testserver"
                )
            )
            return instance, http

        yield spawn
