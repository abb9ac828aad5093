"""Login is rate-limited per IP and per WeChat user, refresh per IP, with 429 and
Retry-After (reliability 14); with Redis, every instance counts together."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Account, RefreshToken
from tests.fixtures.apps import SpawnApp
from tests.fixtures.wechat import FakeWeChat

LOGIN = "/api/v1/auth/wechat/login"
REFRESH = "/api/v1/auth/refresh"
CODE2SESSION = "/sns/jscode2session"


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Three logins a minute per IP and per openid; tests may change more through
    ``@pytest.mark.parametrize("settings", [{...}], indirect=True)``."""
    settings.rate_limit_login = "3/minute"
    settings.rate_limit_login_per_openid = "3/minute"
    for name, value in getattr(request, "param", {}).items():
        setattr(settings, name, value)
    return settings


def assert_rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60
    return int(retry_after)


async def count(db: AsyncSession, model: type[Any]) -> int:
    number = int(await db.scalar(select(func.count()).select_from(model)) or 0)
    await db.commit()
    return number


async def test_fourth_login_from_one_ip_is_refused_before_wechat_is_asked(
    client: httpx.AsyncClient, wechat: FakeWeChat, db: AsyncSession
) -> None:
    for n in range(3):
        assert (await client.post(LOGIN, json={"code": f"user-{n}"})).status_code == 200

    fourth = await client.post(LOGIN, json={"code": "user-3"})

    assert_rate_limited(fourth)
    assert len(wechat.calls_to(CODE2SESSION)) == 3  # the fourth code was never spent
    assert await count(db, Account) == 3


async def test_failed_logins_count_too(client: httpx.AsyncClient, wechat: FakeWeChat) -> None:
    """Guessing codes costs attempts as well: the limit is on tries, not on successes."""
    for _ in range(3):
        assert (await client.post(LOGIN, json={"code": "invalid-guess"})).status_code == 401

    assert_rate_limited(await client.post(LOGIN, json={"code": "good"}))
    assert len(wechat.calls_to(CODE2SESSION)) == 3


@pytest.mark.parametrize("settings", [{"trust_forwarded_for": True}], indirect=True)
async def test_ip_limit_applies_to_the_forwarded_address(client: httpx.AsyncClient) -> None:
    headers = {"X-Forwarded-For": "203.0.113.7, 10.0.0.1"}
    for n in range(3):
        assert (
            await client.post(LOGIN, json={"code": f"a{n}"}, headers=headers)
        ).status_code == 200

    assert_rate_limited(await client.post(LOGIN, json={"code": "a3"}, headers=headers))
    other = await client.post(
        LOGIN, json={"code": "b"}, headers={"X-Forwarded-For": "198.51.100.9"}
    )
    assert other.status_code == 200


async def test_forged_forwarded_for_does_not_escape_the_ip_limit(
    client: httpx.AsyncClient, wechat: FakeWeChat
) -> None:
    """Without a trusted proxy, X-Forwarded-For is whatever the caller wants it to be."""
    for n in range(3):
        headers = {"X-Forwarded-For": f"192.0.2.{n}"}
        assert (
            await client.post(LOGIN, json={"code": f"u{n}"}, headers=headers)
        ).status_code == 200

    assert_rate_limited(
        await client.post(LOGIN, json={"code": "u3"}, headers={"X-Forwarded-For": "192.0.2.99"})
    )
    assert len(wechat.calls_to(CODE2SESSION)) == 3


@pytest.mark.parametrize("settings", [{"trust_forwarded_for": True}], indirect=True)
async def test_fourth_login_of_one_wechat_user_is_refused(
    client: httpx.AsyncClient, wechat: FakeWeChat, db: AsyncSession
) -> None:
    # Same WeChat user (same openid), each time from another address.
    for n in range(3):
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}
        assert (await client.post(LOGIN, json={"code": "same"}, headers=headers)).status_code == 200

    fourth = await client.post(
        LOGIN, json={"code": "same"}, headers={"X-Forwarded-For": "198.51.100.50"}
    )

    assert_rate_limited(fourth)
    # The openid is only known from code2Session, so WeChat was asked; but no session was issued.
    assert len(wechat.calls_to(CODE2SESSION)) == 4
    assert await count(db, RefreshToken) == 3
    # Another user from that same address is not affected.
    other = await client.post(
        LOGIN, json={"code": "other"}, headers={"X-Forwarded-For": "198.51.100.50"}
    )
    assert other.status_code == 200


@pytest.mark.parametrize("settings", [{"rate_limit_refresh": "3/minute"}], indirect=True)
async def test_fourth_refresh_from_one_ip_is_refused_and_rotates_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    token = (await client.post(LOGIN, json={"code": "alice"})).json()["refresh_token"]
    guess = await client.post(REFRESH, json={"refresh_token": "guessed-" + "x" * 40})
    assert guess.status_code == 401  # guesses count as tries
    for _ in range(2):
        answer = await client.post(REFRESH, json={"refresh_token": token})
        assert answer.status_code == 200, answer.text
        token = answer.json()["refresh_token"]
    issued = await count(db, RefreshToken)

    assert_rate_limited(await client.post(REFRESH, json={"refresh_token": token}))
    assert await count(db, RefreshToken) == issued


REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
@pytest.mark.parametrize("settings", [{"trust_forwarded_for": True}], indirect=True)
async def test_instances_share_the_count_through_redis(
    settings: Settings, spawn_app: SpawnApp, wechat: FakeWeChat
) -> None:
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    _, first_client = await spawn_app(shared)
    _, second_client = await spawn_app(shared)
    # A fresh address and fresh codes per run: counts an earlier run left in Redis (they expire
    # with the window) never meet this one, and nothing else in the Redis database is touched.
    run = uuid.uuid4().int
    ip = f"10.{run % 250}.{run // 250 % 250}.{run // 62500 % 250}"
    headers = {"X-Forwarded-For": f"{ip}, 203.0.113.1"}

    answers = [
        await (first_client if n % 2 == 0 else second_client).post(
            LOGIN, json={"code": f"redis-{run}-{n}"}, headers=headers
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]

    # Each instance has seen fewer than three logins, yet together they have seen three.
    assert_rate_limited(
        await second_client.post(LOGIN, json={"code": f"redis-{run}-3"}, headers=headers)
    )
    assert_rate_limited(
        await first_client.post(LOGIN, json={"code": f"redis-{run}-4"}, headers=headers)
    )
    assert len(wechat.calls_to(CODE2SESSION)) == 3
