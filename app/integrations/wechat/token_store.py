"""The shared WeChat access token.

WeChat allows few refreshes a day, so callers share one token. Inside a process a lock makes
concurrent callers wait for one refresh. Across processes the token lives in the database
(PostgreSQL: the row lock serializes refreshes) or in Redis (a Redis lock does). SQLite
deployments are one process, and a second transaction could not take SQLite's write lock
while a request holds it, so there the token lives in memory only: a restart asks
stable_token again, which hands back the same token while it is valid.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.clock import Clock
from app.models import WechatAccessToken

Fetch = Callable[[], Awaitable[tuple[str, int]]]
Token = tuple[str, datetime]


class TokenStore(Protocol):
    async def get_token(self, fetch: Fetch) -> str: ...

    async def replace_token(self, rejected: str, fetch: Fetch) -> str: ...

    async def aclose(self) -> None: ...


class MemoryTokenStore:
    """One process; the base of the shared stores, which add where the token is kept."""

    def __init__(self, *, clock: Clock, refresh_margin: timedelta) -> None:
        self._clock = clock
        self._margin = refresh_margin
        self._lock = asyncio.Lock()
        self._cached: Token | None = None

    def _usable(self, token: Token | None, rejected: str | None = None) -> bool:
        return (
            token is not None
            and token[0] != rejected
            and token[1] - self._margin > self._clock.now()
        )

    async def get_token(self, fetch: Fetch) -> str:
        if self._cached and self._usable(self._cached):
            return self._cached[0]
        return await self._refresh(fetch, rejected=None)

    async def replace_token(self, rejected: str, fetch: Fetch) -> str:
        return await self._refresh(fetch, rejected=rejected)

    async def _refresh(self, fetch: Fetch, *, rejected: str | None) -> str:
        async with self._lock:
            # Another caller in this process may have refreshed while we waited.
            if not self._usable(self._cached, rejected):
                self._cached = await self._shared_or_fetch(fetch, rejected)
            assert self._cached is not None
            return self._cached[0]

    async def _fetch(self, fetch: Fetch) -> Token:
        token, expires_in = await fetch()
        return token, self._clock.now() + timedelta(seconds=expires_in)

    async def _shared_or_fetch(self, fetch: Fetch, rejected: str | None) -> Token:  # noqa: ARG002 - one process: nothing shared to check against
        return await self._fetch(fetch)

    async def aclose(self) -> None:
        return None


class DatabaseTokenStore(MemoryTokenStore):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        appid: str,
        clock: Clock,
        refresh_margin: timedelta,
    ) -> None:
        super().__init__(clock=clock, refresh_margin=refresh_margin)
        self._sessionmaker = sessionmaker
        self._appid = appid

    async def _shared_or_fetch(self, fetch: Fetch, rejected: str | None) -> Token:
        async with self._sessionmaker() as session, session.begin():
            row = await session.scalar(
                select(WechatAccessToken)
                .where(WechatAccessToken.appid == self._appid)
                .with_for_update()
            )
            if row is not None and self._usable((row.access_token, row.expires_at), rejected):
                return row.access_token, row.expires_at
            token, expires_at = await self._fetch(fetch)
            if row is None:
                row = WechatAccessToken(appid=self._appid)
                session.add(row)
            row.access_token, row.expires_at, row.updated_at = token, expires_at, self._clock.now()
            return token, expires_at


class RedisTokenStore(MemoryTokenStore):
    def __init__(
        self, redis: Redis, *, appid: str, clock: Clock, refresh_margin: timedelta
    ) -> None:
        super().__init__(clock=clock, refresh_margin=refresh_margin)
        self._redis = redis
        self._key = f"wechat:access-token:{appid}"

    async def _stored(self) -> Token | None:
        raw = await self._redis.get(self._key)
        if raw is None:
            return None
        data = json.loads(raw)
        return data["token"], datetime.fromisoformat(data["expires_at"])

    async def get_token(self, fetch: Fetch) -> str:
        if not (self._cached and self._usable(self._cached)):
            stored = await self._stored()  # another instance may hold a fresh one: no lock needed
            if self._usable(stored):
                self._cached = stored
        return await super().get_token(fetch)

    async def _shared_or_fetch(self, fetch: Fetch, rejected: str | None) -> Token:
        async with self._redis.lock(f"{self._key}:refresh-lock", timeout=30, blocking_timeout=20):
            stored = await self._stored()
            if stored is not None and self._usable(stored, rejected):
                return stored
            token, expires_at = await self._fetch(fetch)
            ttl = max(1, int((expires_at - self._clock.now()).total_seconds()))
            await self._redis.set(
                self._key,
                json.dumps({"token": token, "expires_at": expires_at.isoformat()}),
                ex=ttl,
            )
            return token, expires_at

    async def aclose(self) -> None:
        await self._redis.aclose()
