"""Sign-in with a wx.login() code through code2Session, and how WeChat's failures reach the
mini-program."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.integrations.wechat.fake import fake_wechat_handler
from app.kit.clock import FrozenClock
from app.models import Account, OrgKind, RefreshToken
from tests.factories import Factory
from tests.fixtures.wechat import FakeWeChat

LOGIN = "/api/v1/auth/wechat/login"
CODE2SESSION = "/sns/jscode2session"


async def count(db: AsyncSession, model: type[Any]) -> int:
    number = int(await db.scalar(select(func.count()).select_from(model)) or 0)
    await db.commit()  # on SQLite an open transaction holds the write lock
    return number


async def test_first_login_creates_the_account(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    response = await client.post(LOGIN, json={"code": "abc123"})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"]
    assert body["refresh_token"]
    assert body["expires_in"] == 900
    assert body["refresh_expires_in"] == settings.refresh_token_days * 86400
    assert body["member_id"] is None

    accounts = (await db.scalars(select(Account))).all()
    await db.commit()
    assert len(accounts) == 1
    assert accounts[0].id == body["account_id"]
    assert accounts[0].openid == "fake-abc123"
    assert accounts[0].unionid == "fake-union-abc123"
    assert accounts[0].last_login_at is not None
    assert await count(db, RefreshToken) == 1

    # The access token opens the account's own page.
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["account_id"] == body["account_id"]


async def test_login_times_come_from_the_clock(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    first_at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    app.state.runtime.clock = clock = FrozenClock(first_at)
    await client.post(LOGIN, json={"code": "abc123"})
    clock.advance(days=1)

    await client.post(LOGIN, json={"code": "abc123"})

    [account] = (await db.scalars(select(Account))).all()
    await db.commit()
    assert account.created_at == first_at
    assert account.last_login_at == account.updated_at == clock.now()


async def test_code2session_is_called_with_the_app_credentials(
    client: httpx.AsyncClient, wechat: FakeWeChat, settings: Settings
) -> None:
    await client.post(LOGIN, json={"code": "abc123"})

    [call] = wechat.calls_to(CODE2SESSION)
    assert call.method == "GET"
    assert call.url.host == "api.weixin.qq.com"
    assert dict(call.url.params) == {
        "appid": settings.wechat_appid,
        "secret": settings.wechat_secret,
        "js_code": "abc123",
        "grant_type": "authorization_code",
    }


async def test_second_login_finds_the_same_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await client.post(LOGIN, json={"code": "same-user"})
    second = await client.post(LOGIN, json={"code": "same-user"})

    assert first.status_code == second.status_code == 200
    assert first.json()["account_id"] == second.json()["account_id"]
    assert first.json()["refresh_token"] != second.json()["refresh_token"]
    assert await count(db, Account) == 1
    # Two logins, two independent sessions.
    families = (await db.scalars(select(RefreshToken.family_id))).all()
    await db.commit()
    assert len(set(families)) == 2


async def test_a_slow_code2session_holds_up_no_other_request(
    client: httpx.AsyncClient, db: AsyncSession, wechat: FakeWeChat
) -> None:
    """The login asks WeChat before its first statement on the writer session: on SQLite
    that statement takes the write lock, which another user's refresh (a writer) would
    otherwise wait for as long as WeChat takes."""
    other = await client.post(LOGIN, json={"code": "other-user"})
    asked, answer = asyncio.Event(), asyncio.Event()

    async def slow_code2session(request: httpx.Request) -> httpx.Response:
        if request.url.params["js_code"] == "slow":
            asked.set()
            await answer.wait()
        return fake_wechat_handler(request)

    wechat.overrides[CODE2SESSION] = slow_code2session
    login = asyncio.create_task(client.post(LOGIN, json={"code": "slow"}))
    try:
        await asyncio.wait_for(asked.wait(), timeout=10)
        refreshed = await asyncio.wait_for(
            client.post(
                "/api/v1/auth/refresh", json={"refresh_token": other.json()["refresh_token"]}
            ),
            timeout=10,
        )
        assert refreshed.status_code == 200, refreshed.text
        assert not login.done()  # still waiting for WeChat
    finally:
        answer.set()

    response = await asyncio.wait_for(login, timeout=10)
    assert response.status_code == 200, response.text
    account = await db.scalar(select(Account).where(Account.id == response.json()["account_id"]))
    await db.commit()
    assert account is not None
    assert account.openid == "fake-slow"
    assert await count(db, RefreshToken) == 3  # other's login and refresh, and this login


async def test_login_of_a_linked_account_answers_its_member(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    committee = await factory.org(OrgKind.COMMITTEE)
    member = await factory.member(await factory.org(OrgKind.BRANCH, parent=committee))
    await factory.account(member, openid="fake-linked")

    response = await client.post(LOGIN, json={"code": "linked"})

    assert response.status_code == 200
    assert response.json()["member_id"] == member.id


def errcode(code: int, message: str = "error") -> Callable[[httpx.Request], httpx.Response]:
    return lambda _request: httpx.Response(200, json={"errcode": code, "errmsg": message})


def http_status(status: int) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _request: httpx.Response(status, text="upstream trouble")


def connect_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("timed out", request=request)


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def connection_refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def no_openid(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"session_key": "k", "errcode": 0, "errmsg": "ok"})


def not_json(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, text="<html>502 Bad Gateway</html>", headers={"content-type": "text/html"}
    )


def json_array(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[{"openid": "fake-x"}])


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        pytest.param(
            errcode(40029, "invalid code"), 401, "auth.wechat_code_invalid", id="40029_invalid_code"
        ),
        pytest.param(
            errcode(40163, "code been used"), 401, "auth.wechat_code_invalid", id="40163_code_used"
        ),
        pytest.param(
            errcode(45011, "api minute-quota reach limit"),
            429,
            "auth.wechat_rate_limited",
            id="45011_too_frequent",
        ),
        pytest.param(
            errcode(40226, "high risk user"), 403, "auth.wechat_risky_user", id="40226_risky_user"
        ),
        pytest.param(errcode(-1, "system error"), 503, "wechat.unavailable", id="minus1_busy"),
        pytest.param(errcode(99999, "something new"), 502, "wechat.error", id="unknown_errcode"),
        pytest.param(http_status(500), 503, "wechat.unavailable", id="http_500"),
        pytest.param(http_status(502), 503, "wechat.unavailable", id="http_502"),
        pytest.param(http_status(404), 502, "wechat.error", id="http_404"),
        pytest.param(connect_timeout, 503, "wechat.unavailable", id="connect_timeout"),
        pytest.param(read_timeout, 503, "wechat.unavailable", id="read_timeout"),
        pytest.param(connection_refused, 503, "wechat.unavailable", id="connection_refused"),
        pytest.param(no_openid, 503, "wechat.unavailable", id="200_without_openid"),
        pytest.param(not_json, 503, "wechat.unavailable", id="200_not_json"),
        pytest.param(json_array, 503, "wechat.unavailable", id="200_json_not_an_object"),
    ],
)
async def test_wechat_failure_is_mapped_and_writes_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    wechat: FakeWeChat,
    handler: Callable[[httpx.Request], httpx.Response],
    status: int,
    code: str,
) -> None:
    wechat.overrides[CODE2SESSION] = handler

    response = await client.post(LOGIN, json={"code": "abc123"})

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert len(wechat.calls_to(CODE2SESSION)) == 1  # refused, not retried inside the request
    assert await count(db, Account) == 0
    assert await count(db, RefreshToken) == 0


async def test_wechat_rate_limit_tells_the_client_when_to_retry(
    client: httpx.AsyncClient, wechat: FakeWeChat
) -> None:
    wechat.overrides[CODE2SESSION] = errcode(45011)

    response = await client.post(LOGIN, json={"code": "abc123"})

    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1


async def test_unknown_errcode_is_reported_in_details(
    client: httpx.AsyncClient, wechat: FakeWeChat
) -> None:
    wechat.overrides[CODE2SESSION] = errcode(99999, "something new")

    response = await client.post(LOGIN, json={"code": "abc123"})

    assert response.json()["error"]["details"] == {"errcode": 99999}


async def test_failed_login_leaves_an_existing_account_as_it_was(
    client: httpx.AsyncClient, db: AsyncSession, wechat: FakeWeChat
) -> None:
    first = await client.post(LOGIN, json={"code": "abc123"})
    assert first.status_code == 200
    wechat.overrides[CODE2SESSION] = errcode(40163, "code been used")

    again = await client.post(LOGIN, json={"code": "abc123"})

    assert again.status_code == 401
    assert await count(db, Account) == 1
    assert await count(db, RefreshToken) == 1


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"code": ""}, ["body", "code"], id="empty_code"),
        pytest.param({"code": "x" * 200}, ["body", "code"], id="code_of_200_chars"),
        pytest.param(None, ["body"], id="missing_body"),
        pytest.param({}, ["body", "code"], id="missing_code"),
        pytest.param({"code": 12345}, ["body", "code"], id="code_a_number"),
        pytest.param({"code": None}, ["body", "code"], id="code_null"),
        pytest.param({"code": ["a"]}, ["body", "code"], id="code_a_list"),
    ],
)
async def test_invalid_login_body_is_422_and_never_reaches_wechat(
    client: httpx.AsyncClient,
    db: AsyncSession,
    wechat: FakeWeChat,
    body: dict[str, Any] | None,
    loc: list[str],
) -> None:
    response = await client.post(LOGIN, json=body) if body is not None else await client.post(LOGIN)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert loc in [field["loc"] for field in error["details"]["fields"]]
    assert wechat.requests == []
    assert await count(db, Account) == 0


async def test_body_that_is_not_json_is_422(client: httpx.AsyncClient, wechat: FakeWeChat) -> None:
    response = await client.post(
        LOGIN, content=b"code=abc", headers={"content-type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert wechat.requests == []


async def test_concurrent_first_logins_of_one_user_make_one_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    answers = await asyncio.gather(*(client.post(LOGIN, json={"code": "racer"}) for _ in range(5)))

    assert [answer.status_code for answer in answers] == [200] * 5, [a.text for a in answers]
    assert len({answer.json()["account_id"] for answer in answers}) == 1
    assert await count(db, Account) == 1
    assert await count(db, RefreshToken) == 5


async def test_login_of_a_disabled_account_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await client.post(LOGIN, json={"code": "blocked"})
    await db.execute(
        update(Account).where(Account.id == first.json()["account_id"]).values(is_active=False)
    )
    await db.commit()

    response = await client.post(LOGIN, json={"code": "blocked"})

    # 401 as on every other request of a disabled account: the mini-program drops its
    # tokens and shows the sign-in page.
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "auth.account_disabled",
        "message": "账号不可用",
        "details": {},
    }
    assert await count(db, RefreshToken) == 1  # no session for it
