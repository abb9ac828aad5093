"""Outages answer 503 with Retry-After, never 500, and end without a restart (reliability.md
requirement 18): a database that refuses connections, is dropped, is empty or is behind the
migration head. Each state is driven for real, on a scratch database of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.config import Settings
from app.migrate import head_revision, upgrade
from app.models import OrgKind, Role
from tests.factories import Factory
from tests.fixtures.apps import SpawnApp
from tests.fixtures.database import is_postgres

ORGS = "/api/v1/orgs"


def assert_unavailable(response: httpx.Response, code: str = "database.unavailable") -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == code
    assert int(response.headers["Retry-After"]) > 0


class Server:
    """SQL on the PostgreSQL server itself, beside the scratch database."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)

    async def run(self, *statements: str) -> None:
        conn = await asyncpg.connect(
            user=self.url.username or "postgres",
            host=self.url.host or "127.0.0.1",
            port=self.url.port or 5432,
            database=self.url.database,
        )
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()


@pytest.fixture
async def scratch(settings: Settings) -> AsyncIterator[tuple[Server, str, str]]:
    """An empty PostgreSQL database of this test's own: (server, its name, its URL)."""
    if not is_postgres(settings.database_url):
        pytest.skip("PostgreSQL only")
    server = Server(settings.database_url)
    name = f"{server.url.database}_outage"
    await server.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    url = server.url.set(database=name).render_as_string(hide_password=False)
    yield server, name, url
    await server.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def migrate(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


async def signed_in_app(
    spawn_app: SpawnApp, settings: Settings, url: str
) -> tuple[FastAPI, httpx.AsyncClient, dict[str, str]]:
    app, client = await spawn_app(settings.model_copy(update={"database_url": url}))
    factory = Factory(app)
    city = await factory.org(OrgKind.COMMITTEE, "市社会组织综合党委")
    admin = await factory.actor(Role.COMMITTEE_ADMIN, city)
    assert (await client.get(ORGS, headers=admin.headers)).status_code == 200
    return app, client, admin.headers


@pytest.mark.postgres_only
async def test_a_database_refusing_connections_answers_503_until_it_accepts_again(
    scratch: tuple[Server, str, str], settings: Settings, spawn_app: SpawnApp
) -> None:
    server, name, url = scratch
    await migrate(url)
    _, client, headers = await signed_in_app(spawn_app, settings, url)

    await server.run(
        f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",  # noqa: S608 - our own name
    )
    # The pool's connections were cut, and new ones are refused: every request says so.
    for _ in range(3):
        assert_unavailable(await client.get(ORGS, headers=headers))
    created = await client.post(
        ORGS,
        json={"name": "新支部", "kind": "branch"},
        headers={**headers, "Idempotency-Key": "during-outage"},
    )
    assert_unavailable(created)
    assert_unavailable(await client.get("/readyz"))

    await server.run(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert (await client.get("/readyz")).status_code == 200
    assert (await client.get(ORGS, headers=headers)).status_code == 200


@pytest.mark.postgres_only
async def test_a_dropped_database_answers_503_until_it_is_back(
    scratch: tuple[Server, str, str], settings: Settings, spawn_app: SpawnApp
) -> None:
    server, name, url = scratch
    await migrate(url)
    _, client, headers = await signed_in_app(spawn_app, settings, url)

    await server.run(f'DROP DATABASE "{name}" WITH (FORCE)')
    for _ in range(3):
        assert_unavailable(await client.get(ORGS, headers=headers))
    assert_unavailable(await client.get("/readyz"))

    await server.run(f'CREATE DATABASE "{name}"')
    assert_unavailable(await client.get("/readyz"), "database.not_migrated")
    await migrate(url)
    assert (await client.get("/readyz")).status_code == 200


async def _empty_database_then_migrated(
    client: httpx.AsyncClient, migrate_it: Callable[[], Awaitable[None]], headers: dict[str, str]
) -> None:
    ready = await client.get("/readyz")
    assert_unavailable(ready, "database.not_migrated")
    assert ready.json()["error"]["details"] == {"expected": head_revision(), "found": []}
    assert_unavailable(await client.get(ORGS, headers=headers))
    await migrate_it()
    assert (await client.get("/readyz")).status_code == 200


@pytest.mark.postgres_only
async def test_an_empty_postgresql_database_is_not_ready_and_answers_503(
    scratch: tuple[Server, str, str],
    settings: Settings,
    spawn_app: SpawnApp,
    factory: Factory,
) -> None:
    _, _, url = scratch
    city = await factory.org(OrgKind.COMMITTEE, "市社会组织综合党委")
    token = (await factory.actor(Role.COMMITTEE_ADMIN, city)).headers  # of the other database
    _, client = await spawn_app(settings.model_copy(update={"database_url": url}))
    await _empty_database_then_migrated(client, lambda: migrate(url), token)


async def test_an_empty_sqlite_database_is_not_ready_and_answers_503(
    tmp_path: Path, settings: Settings, spawn_app: SpawnApp, factory: Factory
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    city = await factory.org(OrgKind.COMMITTEE, "市社会组织综合党委")
    token = (await factory.actor(Role.COMMITTEE_ADMIN, city)).headers
    _, client = await spawn_app(settings.model_copy(update={"database_url": url}))
    await _empty_database_then_migrated(client, lambda: migrate(url), token)


async def test_a_database_behind_the_head_is_not_ready(
    tmp_path: Path, settings: Settings, spawn_app: SpawnApp
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    await migrate(url, "0004")
    _, client = await spawn_app(settings.model_copy(update={"database_url": url}))
    ready = await client.get("/readyz")
    assert_unavailable(ready, "database.not_migrated")
    assert ready.json()["error"]["details"]["found"] == ["0004"]
