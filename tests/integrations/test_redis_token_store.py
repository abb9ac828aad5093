"""The shared access token in Redis: two instances, many callers, one token call."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from app.config import Settings
from app.integrations.wechat.token_store import RedisTokenStore
from tests.fixtures.apps import SpawnApp
from tests.fixtures.wechat import FakeWeChat

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (set TEST_REDIS_URL)")


@pytest.fixture
async def redis_settings(settings: Settings) -> AsyncIterator[Settings]:
    """An app id of its own per test, so its token key in Redis is no other run's (xdist's
    other workers, someone else's suite on the same Redis database)."""
    assert REDIS_URL
    appid = f"wx-test-{uuid.uuid4().hex[:12]}"
    yield settings.model_copy(update={"redis_url": REDIS_URL, "wechat_appid": appid})
    client = Redis.from_url(REDIS_URL)
    await client.delete(f"wechat:access-token:{appid}")
    await client.aclose()


async def test_two_instances_share_one_token(
    redis_settings: Settings, wechat: FakeWeChat, spawn_app: SpawnApp
) -> None:
    apps = [(await spawn_app(redis_settings))[0] for _ in range(2)]
    for app in apps:
        assert isinstance(app.state.runtime.token_store, RedisTokenStore)
    calls = [
        app.state.runtime.wechat.get_phone_number(f"138000{n}{i:04d}")
        for n, app in enumerate(apps)
        for i in range(10)
    ]
    phones = await asyncio.gather(*calls)
    assert len({p.pure_phone_number for p in phones}) == 20
    assert len(wechat.calls_to("/cgi-bin/stable_token")) == 1
    tokens = {
        r.url.params["access_token"] for r in wechat.calls_to("/wxa/business/getuserphonenumber")
    }
    assert len(tokens) == 1


async def test_rejected_token_is_replaced_once(
    redis_settings: Settings, wechat: FakeWeChat, spawn_app: SpawnApp
) -> None:
    rejected: set[str] = set()

    def phone(request: httpx.Request) -> httpx.Response:
        token = request.url.params["access_token"]
        if not rejected or token in rejected:
            rejected.add(token)
            return httpx.Response(200, json={"errcode": 40001, "errmsg": "invalid credential"})
        return httpx.Response(
            200, json={"errcode": 0, "phone_info": {"purePhoneNumber": "13800000000"}}
        )

    wechat.overrides["/wxa/business/getuserphonenumber"] = phone
    app, _ = await spawn_app(redis_settings)
    results = await asyncio.gather(
        *(app.state.runtime.wechat.get_phone_number("c") for _ in range(20))
    )
    assert {r.pure_phone_number for r in results} == {"13800000000"}
    assert (
        len(wechat.calls_to("/cgi-bin/stable_token")) == 2
    )  # the first token, then one replacement
