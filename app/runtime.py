"""The long-lived objects one app instance shares, built once in ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.integrations.wechat import WeChatClient
from app.kit.clock import Clock
from app.kit.crypto import FieldCipher
from app.kit.ratelimit import RateLimiter
from app.kit.storage import Storage
from app.observability import Metrics


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    wechat: WeChatClient
    limiter: RateLimiter
    cipher: FieldCipher
    metrics: Metrics
    storage: Storage

    def today(self) -> date:
        """Today's date where our users live (Asia/Shanghai by default)."""
        return self.clock.now().astimezone(ZoneInfo(self.settings.display_timezone)).date()


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
