"""Refresh-token rotation with reuse detection (reliability 8, RFC 9700 §4.14) and logout."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.tokens import hash_refresh_secret
from app.kit.clock import utcnow
from app.models import Account, RefreshToken

LOGIN = "/api/v1/auth/wechat/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


async def login(client: httpx.AsyncClient, code: str = "alice") -> dict[str, Any]:
    response = await client.post(LOGIN, json={"code": code})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def family_of(db: AsyncSession, token: str) -> list[RefreshToken]:
    """Every token of the family ``token`` belongs to, oldest first."""
    family_id = await db.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == hash_refresh_secret(token))
    )
    rows = list(
        (
            await db.scalars(
                select(RefreshToken)
                .where(RefreshToken.family_id == family_id)
                .order_by(RefreshToken.created_at, RefreshToken.id)
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    await db.commit()  # on SQLite an open transaction holds the write lock
    return rows


async def test_refresh_answers_a_new_pair_and_the_old_token_is_spent(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await login(client)

    rotated = await refresh(client, first["refresh_token"])

    assert rotated.status_code == 200
    second = rotated.json()
    assert second["account_id"] == first["account_id"]
    assert second["expires_in"] == 900
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 200

    again = await refresh(client, first["refresh_token"])
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "auth.refresh_reused"

    rows = await family_of(db, first["refresh_token"])
    assert len(rows) == 2  # one family: the login's token and its successor
    assert rows[0].used_at is not None


async def test_reusing_a_spent_token_revokes_the_whole_family(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await login(client, "alice")
    other_session = await login(client, "alice")  # same account, another phone
    assert other_session["account_id"] == first["account_id"]
    second = (await refresh(client, first["refresh_token"])).json()
    third = (await refresh(client, second["refresh_token"])).json()

    # An attacker replays the stolen first token.
    reused = await refresh(client, first["refresh_token"])

    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "auth.refresh_reused"
    # The legitimate holder's newest token is refused too: the session is over.
    newest = await refresh(client, third["refresh_token"])
    assert newest.status_code == 401
    assert newest.json()["error"]["code"] == "auth.refresh_revoked"

    family = await family_of(db, first["refresh_token"])
    assert len(family) == 3
    assert all(row.revoked_at is not None for row in family)

    # The other login of the same account is a different family and is untouched.
    untouched = await family_of(db, other_session["refresh_token"])
    assert [row.revoked_at for row in untouched] == [None]
    assert (await refresh(client, other_session["refresh_token"])).status_code == 200


async def test_unknown_refresh_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    pair = await login(client)

    response = await refresh(client, "not-a-token-we-ever-issued")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.refresh_invalid"
    # Nothing was revoked by a guess.
    assert [row.revoked_at for row in await family_of(db, pair["refresh_token"])] == [None]


async def test_expired_refresh_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    pair = await login(client)
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == hash_refresh_secret(pair["refresh_token"]))
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    await db.commit()

    response = await refresh(client, pair["refresh_token"])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.refresh_expired"
    [row] = await family_of(db, pair["refresh_token"])
    assert row.used_at is None  # an expired token was not spent, and is not taken for reuse


async def test_refresh_of_a_disabled_account_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    pair = await login(client)
    await db.execute(
        update(Account).where(Account.id == pair["account_id"]).values(is_active=False)
    )
    await db.commit()

    response = await refresh(client, pair["refresh_token"])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.account_disabled"
    # The refusal wrote nothing: no new token in the family.
    assert len(await family_of(db, pair["refresh_token"])) == 1


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": "x" * 300}])
async def test_invalid_refresh_body_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post(REFRESH, json=body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert ["body", "refresh_token"] in [
        f["loc"] for f in response.json()["error"]["details"]["fields"]
    ]


async def test_logout_ends_the_session(client: httpx.AsyncClient, db: AsyncSession) -> None:
    pair = await login(client, "alice")
    other_session = await login(client, "alice")

    response = await client.post(
        LOGOUT, json={"refresh_token": pair["refresh_token"]}, headers=bearer(pair)
    )

    assert response.status_code == 204
    assert response.content == b""
    refused = await refresh(client, pair["refresh_token"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "auth.refresh_revoked"
    assert all(row.revoked_at is not None for row in await family_of(db, pair["refresh_token"]))
    # Only this session ends: the account's other login goes on.
    assert (await refresh(client, other_session["refresh_token"])).status_code == 200


async def test_logout_needs_an_access_token(client: httpx.AsyncClient, db: AsyncSession) -> None:
    pair = await login(client)

    response = await client.post(LOGOUT, json={"refresh_token": pair["refresh_token"]})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.missing_token"
    assert [row.revoked_at for row in await family_of(db, pair["refresh_token"])] == [None]


async def test_logout_with_another_accounts_refresh_token_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    mallory = await login(client, "mallory")
    alice = await login(client, "alice")
    assert mallory["account_id"] != alice["account_id"]

    response = await client.post(
        LOGOUT, json={"refresh_token": alice["refresh_token"]}, headers=bearer(mallory)
    )

    assert response.status_code == 204
    assert [row.revoked_at for row in await family_of(db, alice["refresh_token"])] == [None]
    assert (await refresh(client, alice["refresh_token"])).status_code == 200


@pytest.mark.parametrize("racers", [2, 10])
async def test_concurrent_refresh_with_one_token_lets_one_through_then_ends_the_family(
    client: httpx.AsyncClient, db: AsyncSession, racers: int
) -> None:
    pair = await login(client)

    answers = await asyncio.gather(*(refresh(client, pair["refresh_token"]) for _ in range(racers)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [401] * (racers - 1), [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 401} == {
        "auth.refresh_reused"
    }
    [winner] = [answer.json() for answer in answers if answer.status_code == 200]

    # Two holders of one token means it leaked: the token the winner got is refused as well.
    after = await refresh(client, winner["refresh_token"])
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "auth.refresh_revoked"

    family = await family_of(db, pair["refresh_token"])
    assert len(family) == 2  # the login's token and the single one issued in the race
    assert all(row.revoked_at is not None for row in family)
