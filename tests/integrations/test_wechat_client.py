"""The one shared WeChat access token (reliability 13) and errcode checking in HTTP 200
answers (reliability 11), driven through the real client against the fake WeChat."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.integrations.wechat import PhoneInfo, WeChatError, WeChatUnavailable
from app.integrations.wechat.fake import fake_wechat_handler
from app.kit.clock import FrozenClock
from app.models import WechatAccessToken
from app.runtime import Runtime
from tests.fixtures.apps import SpawnApp
from tests.fixtures.wechat import FakeWeChat

STABLE_TOKEN = "/cgi-bin/stable_token"
GET_PHONE = "/wxa/business/getuserphonenumber"
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def tokens_used(wechat: FakeWeChat) -> list[str]:
    """The access_token of every phone-number call, in order."""
    return [str(request.url.params["access_token"]) for request in wechat.calls_to(GET_PHONE)]


def issued_tokens(wechat: FakeWeChat) -> int:
    return len(wechat.calls_to(STABLE_TOKEN))


def refusing(*stale: str, errcode: int = 40001) -> Callable[[httpx.Request], httpx.Response]:
    """getuserphonenumber that refuses the ``stale`` tokens and answers for any other."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("access_token") in stale:
            return httpx.Response(200, json={"errcode": errcode, "errmsg": "invalid credential"})
        return fake_wechat_handler(request)

    return handle


async def stored_token(db: AsyncSession, settings: Settings) -> WechatAccessToken | None:
    row = await db.scalar(
        select(WechatAccessToken)
        .where(WechatAccessToken.appid == settings.wechat_appid)
        .execution_options(populate_existing=True)
    )
    await db.commit()
    return row


async def test_concurrent_callers_on_a_cold_cache_share_one_token_call(
    runtime: Runtime, wechat: FakeWeChat, db: AsyncSession, settings: Settings
) -> None:
    phones = [f"138{n:08d}" for n in range(20)]

    answers = await asyncio.gather(*(runtime.wechat.get_phone_number(phone) for phone in phones))

    assert [answer.pure_phone_number for answer in answers] == phones
    assert issued_tokens(wechat) == 1
    assert len(set(tokens_used(wechat))) == 1
    [token_call] = wechat.calls_to(STABLE_TOKEN)
    assert json.loads(token_call.content) == {
        "grant_type": "client_credential",
        "appid": settings.wechat_appid,
        "secret": settings.wechat_secret,
        "force_refresh": False,
    }
    if not settings.is_sqlite:  # shared through the database; SQLite keeps it in memory
        row = await stored_token(db, settings)
        assert row is not None
        assert row.access_token == tokens_used(wechat)[0]
        assert row.expires_at == START + timedelta(seconds=7200)


@pytest.mark.postgres_only  # SQLite deployments keep the token in memory
async def test_another_instance_reuses_the_token_in_the_database(
    runtime: Runtime, wechat: FakeWeChat, settings: Settings, spawn_app: SpawnApp
) -> None:
    await runtime.wechat.get_phone_number("13800000001")
    assert issued_tokens(wechat) == 1
    other, _ = await spawn_app(settings)

    answers = await asyncio.gather(
        *(other.state.runtime.wechat.get_phone_number(f"1380000{n:04d}") for n in range(10))
    )

    assert len(answers) == 10
    assert issued_tokens(wechat) == 1  # no second token call
    assert len(set(tokens_used(wechat))) == 1


async def test_the_token_is_cached_between_calls(runtime: Runtime, wechat: FakeWeChat) -> None:
    for n in range(5):
        await runtime.wechat.get_phone_number(f"1380000000{n}")

    assert issued_tokens(wechat) == 1


@pytest.mark.parametrize("errcode", [40001, 42001])
async def test_a_refused_token_is_refreshed_once_and_the_call_retried_once(
    runtime: Runtime, wechat: FakeWeChat, db: AsyncSession, settings: Settings, errcode: int
) -> None:
    await runtime.wechat.get_phone_number("13800000001")
    [stale] = tokens_used(wechat)
    wechat.overrides[GET_PHONE] = refusing(stale, errcode=errcode)

    answer = await runtime.wechat.get_phone_number("13812345678")

    assert answer == PhoneInfo("13812345678", "13812345678", "86")
    assert issued_tokens(wechat) == 2  # one refresh
    used = tokens_used(wechat)
    assert len(used) == 3  # the first call, the refused try, one retry
    assert used[1] == stale
    assert used[2] != stale
    refresh = json.loads(wechat.calls_to(STABLE_TOKEN)[1].content)
    assert refresh["force_refresh"] is True  # otherwise WeChat hands back the refused token
    if not settings.is_sqlite:
        row = await stored_token(db, settings)
        assert row is not None
        assert row.access_token == used[2]


async def test_a_token_refused_again_after_the_refresh_is_an_error_not_a_loop(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    wechat.overrides[GET_PHONE] = lambda _request: httpx.Response(
        200, json={"errcode": 40001, "errmsg": "invalid credential"}
    )

    with pytest.raises(WeChatError) as raised:
        await runtime.wechat.get_phone_number("13812345678")

    assert raised.value.errcode == 40001
    assert issued_tokens(wechat) == 2  # the first token and one refresh
    assert len(wechat.calls_to(GET_PHONE)) == 2  # one try and one retry


async def test_twenty_callers_refused_the_same_stale_token_cause_one_refresh(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    await runtime.wechat.get_phone_number("13800000001")
    [stale] = tokens_used(wechat)
    wechat.overrides[GET_PHONE] = refusing(stale)

    answers = await asyncio.gather(
        *(runtime.wechat.get_phone_number(f"1381234{n:04d}") for n in range(20))
    )

    assert len(answers) == 20
    assert issued_tokens(wechat) <= 2  # at most one extra token call
    assert issued_tokens(wechat) == 2
    retried = [token for token in tokens_used(wechat)[1:] if token != stale]
    assert len(retried) == 20
    assert len(set(retried)) == 1


@pytest.mark.postgres_only  # SQLite deployments keep the token in memory
async def test_instance_with_a_stale_token_in_memory_takes_the_new_one_from_the_database(
    runtime: Runtime, wechat: FakeWeChat, settings: Settings, spawn_app: SpawnApp
) -> None:
    other, _ = await spawn_app(settings)
    await runtime.wechat.get_phone_number("13800000001")
    await other.state.runtime.wechat.get_phone_number("13800000002")  # both now hold it in memory
    [stale, _] = tokens_used(wechat)
    wechat.overrides[GET_PHONE] = refusing(stale)
    await runtime.wechat.get_phone_number("13800000003")  # refreshes, stores the new token
    assert issued_tokens(wechat) == 2

    answer = await other.state.runtime.wechat.get_phone_number("13800000004")

    assert answer.pure_phone_number == "13800000004"
    assert issued_tokens(wechat) == 2  # the other instance found the new token, no third call
    assert tokens_used(wechat)[-1] == tokens_used(wechat)[-3] != stale


async def test_a_token_about_to_expire_is_refreshed_before_use(
    runtime: Runtime, wechat: FakeWeChat, clock: FrozenClock, settings: Settings
) -> None:
    margin = settings.wechat_token_refresh_margin_seconds
    await runtime.wechat.get_phone_number("13800000001")
    assert issued_tokens(wechat) == 1

    clock.advance(seconds=7200 - margin - 1)  # one second before the refresh margin
    await runtime.wechat.get_phone_number("13800000002")
    assert issued_tokens(wechat) == 1

    clock.advance(seconds=2)  # inside the margin: still valid at WeChat, but refreshed now
    await runtime.wechat.get_phone_number("13800000003")
    assert issued_tokens(wechat) == 2
    first, second, third = tokens_used(wechat)
    assert first == second != third


@pytest.mark.postgres_only  # SQLite deployments keep the token in memory
@pytest.mark.usefixtures("clock")  # the app runs on the frozen clock
async def test_an_expiring_token_in_the_database_is_not_handed_out(
    runtime: Runtime, wechat: FakeWeChat, db: AsyncSession, settings: Settings
) -> None:
    db.add(
        WechatAccessToken(
            appid=settings.wechat_appid,
            access_token="left-by-another-instance",
            expires_at=START + timedelta(seconds=60),
            updated_at=START - timedelta(seconds=7140),
        )
    )
    await db.commit()

    await runtime.wechat.get_phone_number("13800000001")

    assert issued_tokens(wechat) == 1
    assert tokens_used(wechat) != ["left-by-another-instance"]
    row = await stored_token(db, settings)
    assert row is not None
    assert row.access_token == tokens_used(wechat)[0]


@pytest.mark.parametrize("errcode", [40013, 40125, 45009])
async def test_stable_token_http_200_with_errcode_raises(
    runtime: Runtime, wechat: FakeWeChat, db: AsyncSession, settings: Settings, errcode: int
) -> None:
    wechat.overrides[STABLE_TOKEN] = lambda _request: httpx.Response(
        200, json={"errcode": errcode, "errmsg": "refused"}
    )

    with pytest.raises(WeChatError) as raised:
        await runtime.wechat.get_phone_number("13812345678")

    assert raised.value.errcode == errcode
    assert wechat.calls_to(GET_PHONE) == []  # no call without a token
    if not settings.is_sqlite:
        assert await stored_token(db, settings) is None


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            httpx.Response(200, json={"errcode": -1, "errmsg": "system busy"}), id="minus1"
        ),
        pytest.param(httpx.Response(500, text="oops"), id="http_500"),
        pytest.param(httpx.Response(200, text="<html>gateway</html>"), id="not_json"),
    ],
)
async def test_stable_token_unavailable_raises_unavailable(
    runtime: Runtime, wechat: FakeWeChat, answer: httpx.Response
) -> None:
    wechat.overrides[STABLE_TOKEN] = lambda _request: answer

    with pytest.raises(WeChatUnavailable):
        await runtime.wechat.get_phone_number("13812345678")

    assert wechat.calls_to(GET_PHONE) == []


async def test_a_failed_token_call_is_not_cached(runtime: Runtime, wechat: FakeWeChat) -> None:
    wechat.overrides[STABLE_TOKEN] = lambda _request: httpx.Response(
        200, json={"errcode": -1, "errmsg": "system busy"}
    )
    with pytest.raises(WeChatUnavailable):
        await runtime.wechat.get_phone_number("13812345678")
    del wechat.overrides[STABLE_TOKEN]

    answer = await runtime.wechat.get_phone_number("13812345678")

    assert answer.pure_phone_number == "13812345678"
    assert issued_tokens(wechat) == 2


async def test_phone_number_http_200_with_errcode_raises(
    runtime: Runtime, wechat: FakeWeChat
) -> None:
    wechat.overrides[GET_PHONE] = lambda _request: httpx.Response(
        200, json={"errcode": 40029, "errmsg": "invalid code"}
    )

    with pytest.raises(WeChatError) as raised:
        await runtime.wechat.get_phone_number("bad")

    assert raised.value.errcode == 40029
    assert issued_tokens(wechat) == 1  # not an access-token problem: no refresh
    assert len(wechat.calls_to(GET_PHONE)) == 1
